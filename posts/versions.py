"""A post's history: each save kept as a version, which an author can compare with the post
as it is and restore."""

from django.db import transaction

from posts.models import PostVersion, Resource


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
        {key: getattr(resource, key) for key in Resource.COPIED_FIELDS}
        for resource in sorted(post.resources.all(), key=lambda resource: resource.number)
    ]


@transaction.atomic
def restore_version(post, version):
    """Bring back the title, summary, text, tags and resources of an earlier version."""
    post.title, post.summary, post.body = version.title, version.summary, version.body
    post.save()
    post.tags.set(version.tags)
    post.resources.all().delete()
    Resource.objects.bulk_create(
        Resource(post=post, **{key: values.get(key) for key in Resource.COPIED_FIELDS})
        for values in version.resources
    )
    post.mark_content_changed()
