from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts"

    def ready(self):
        from django.core import checks

        from posts import effects, links, references

        effects.connect()
        checks.register(references.check_style)
        checks.register(links.check_public_origin, deploy=True)
