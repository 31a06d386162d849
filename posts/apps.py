from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts"

    def ready(self):
        from django.core import checks

        from posts import effects, references

        effects.connect()
        checks.register(references.check_style)
