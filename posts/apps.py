from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts"

    def ready(self):
        from django.contrib.auth import get_user_model
        from taggit.models import Tag

        from posts import models
        from posts.page_cache import author_changed, content_changed

        # Everything a public page shows comes from these: any change retires cached pages.
        shown = [
            models.Post,
            models.Series,
            models.SeriesPart,
            models.Resource,
            models.Image,
            models.PreviousSlug,
            Tag,
            models.TaggedPost,
        ]
        for model in shown:
            for signal in (post_save, post_delete):
                signal.connect(content_changed, sender=model, dispatch_uid=f"pages-{model}")
        # Posts show their authors' names.
        post_save.connect(author_changed, sender=get_user_model(), dispatch_uid="pages-user")
        post_delete.connect(content_changed, sender=get_user_model(), dispatch_uid="pages-user")
        for through in (models.Post.tags.through, models.Post.links.through):
            m2m_changed.connect(content_changed, sender=through, dispatch_uid=f"pages-{through}")
