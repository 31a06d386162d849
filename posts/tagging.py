"""How a post holds its tags."""

from django.db import models
from taggit.models import Tag, TaggedItemBase


class TaggedPost(TaggedItemBase):
    """A post's tag. A real foreign key to the post, where taggit's generic TaggedItem keeps
    an integer id beside a content type: a post's tags and a tag's posts are plain joins on
    indexed columns."""

    # Each foreign key leads one of the two indexes below, which serve it.
    content_object = models.ForeignKey(
        "Post", on_delete=models.CASCADE, related_name="tagged", db_index=False
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="posts_taggedpost_items", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_post_tag")
        ]
        # A tag's posts, for its page and feeds.
        indexes = [models.Index(fields=["tag", "content_object"], name="tag_post_idx")]

    def __str__(self):
        return f"{self.content_object_id}: {self.tag_id}"
