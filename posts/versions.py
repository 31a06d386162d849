"""A post's history: each save kept as a version, which an author can compare with the post
as it is and restore."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from posts.references import format_references


class EditConflict(Exception):
    """A post was saved over a version that is no longer the latest: someone else saved it
    after it was read, and this save would have overwritten their work."""

    def __init__(self, post):
        super().__init__(f"“{post}” was saved by someone else after version {post.version}.")
        self.post = post


class PostVersion(models.Model):
    """A post as one save left it: what an author can compare with, and restore."""

    post = models.ForeignKey("Post", on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    saved_at = models.DateTimeField(default=timezone.now)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    tags = models.JSONField(default=list)
    resources = models.JSONField(default=list)

    class Meta:
        ordering = ["post_id", "-number"]  # the column: see Resource
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="one_version_per_number")
        ]

    def __str__(self):
        return f"{self.post} (version {self.number})"


def record_version(post, user=None):
    """Keep the post as it is now (with its tags and resources) in its history."""
    return PostVersion.objects.update_or_create(
        post=post,
        number=post.version,
        defaults={
            "saved_by": user,
            "title": post.title,
            "summary": post.summary,
            "body": post.body,
            "tags": sorted((tag.name for tag in post.tags.all()), key=str.casefold),
            "resources": resource_copies(post),
        },
    )[0]


def resource_copies(post):
    """The post's resources as plain fields, by number: for versions and Markdown files."""
    return [
        resource.copy()
        for resource in sorted(post.resources.all(), key=lambda resource: resource.number)
    ]


@transaction.atomic
def restore_version(post, version):
    """Bring back the title, summary, text, tags and resources of an earlier version."""
    post.title, post.summary, post.body = version.title, version.summary, version.body
    post.save()
    post.tags.set(version.tags)
    post.resources.all().delete()
    Resource = post.resources.model
    restored = [Resource.from_copy(values, post=post) for values in version.resources]
    format_references(restored)  # as each save would
    Resource.objects.bulk_create(restored)
    post.mark_content_changed()
