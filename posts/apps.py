from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts"

    def ready(self):
        from django.contrib.auth import get_user_model
        from taggit.models import Tag, TaggedItem

        from posts import models
        from posts.page_cache import content_changed

        # Everything a public page shows comes from these: any change retires cached pages.
        # (Authors' names appear on posts; a login also saves the user, which costs little.)
        shown = [
            models.Post,
            models.Series,
            models.SeriesPart,
            models.Resource,
            models.Image,
            models.PreviousSlug,
            Tag,
            TaggedItem,
            get_user_model(),
        ]
        for model in shown:
            for signal in (post_save, post_delete):
                signal.connect(content_changed, sender=model, dispatch_uid=f"pages-{model}")
        for through in (models.Post.tags.through, models.Post.links.through):
            m2m_changed.connect(content_changed, sender=through, dispatch_uid=f"pages-{through}")
