"""What a post's page shows besides the post's own row: its tags and resources, its places in
series with the parts before and after it, the posts that link to it, and related posts."""

from dataclasses import dataclass

from django.db import models

from posts.models import Post, PostQuerySet, Series, SeriesPart, TaggedPost
from posts.page_cache import remembered


@dataclass(frozen=True)
class SeriesPlace:
    """Where a post stands in one series, counting only published parts."""

    series: Series
    number: int
    total: int
    previous: Post | None
    next: Post | None


def surroundings(post):
    """What the post's page shows besides the post's own row: its tags, its resources with
    the places that cite them, its places in series, the posts that link to it, and related
    posts (lists of enough of each post for a link).

    For a published post, remembered until content changes: these queries are most of the
    page's cost (related posts weigh the tags of hundreds of posts, and counting the parts
    of a series grows with the series)."""
    if post.is_published:
        return remembered(f"surroundings:{post.pk}", lambda: _surroundings(post))
    return _surroundings(post)


def _surroundings(post):
    tags = list(post.tags.all())
    linked_from = (
        Post.objects.published()
        .filter(links=post)
        .exclude(pk=post.pk)
        .only("title", "slug", "published_at")
        .order_by("-published_at", "-id")
    )
    return {
        "tags": tags,
        "resources": post.cited_resources(),
        "series_places": series_places(post),
        "linked_from": list(linked_from),
        "related": list(related(post, tags).only("title", "slug", "published_at")),
    }


def related(post, tags, limit=3, among=500):
    """Published posts sharing the most tags with this one, newest first among equals,
    chosen from the `among` newest posts that share any: a tag on half of 100,000 posts
    then costs what a rare one does. (taggit's similar_objects() cannot keep to published
    posts or stop at `limit` in SQL.)"""
    tag_ids = [tag.pk for tag in tags]
    if not tag_ids:
        return Post.objects.none()
    sharing = TaggedPost.objects.filter(tag_id__in=tag_ids, content_object=models.OuterRef("pk"))
    newest = (
        Post.objects.published()
        .exclude(pk=post.pk)
        .filter(models.Exists(sharing))
        .order_by("-published_at", "-id")
        .values("pk")[:among]
    )
    return (
        Post.objects.filter(pk__in=newest, tags__in=tag_ids)
        .annotate(shared_tags=models.Count("tags"))
        .order_by("-shared_tags", "-published_at", "-id")[:limit]
    )


def series_places(post):
    """This post's place in each of its series, with the published parts around it: one
    query, however long the series."""
    public = SeriesPart.objects.filter(
        PostQuerySet.published_condition("post__"), series=models.OuterRef("series")
    )
    before = public.filter(position__lt=models.OuterRef("position"))
    after = public.filter(position__gt=models.OuterRef("position"))

    def count(parts):
        counted = parts.order_by().values("series").annotate(n=models.Count("pk"))
        return models.functions.Coalesce(models.Subquery(counted.values("n")), 0)

    def neighbour(parts, field):
        return models.Subquery(parts.values(f"post__{field}")[:1])

    earlier, later = before.order_by("-position"), after.order_by("position")
    mine = (
        SeriesPart.objects.filter(post=post)
        .select_related("series")
        .annotate(
            published_parts=count(public),
            parts_before=count(before),
            previous_pk=neighbour(earlier, "pk"),
            previous_slug=neighbour(earlier, "slug"),
            previous_title=neighbour(earlier, "title"),
            next_pk=neighbour(later, "pk"),
            next_slug=neighbour(later, "slug"),
            next_title=neighbour(later, "title"),
        )
        .order_by("series__title", "series_id")
    )
    # A draft or scheduled post, shown to staff, counts itself among the parts.
    itself = 0 if post.is_published else 1
    return [
        SeriesPlace(
            series=part.series,
            number=part.parts_before + 1,
            total=part.published_parts + itself,
            # Enough of a post for a link: its address and title.
            previous=Post(pk=part.previous_pk, slug=part.previous_slug, title=part.previous_title)
            if part.previous_pk
            else None,
            next=Post(pk=part.next_pk, slug=part.next_slug, title=part.next_title)
            if part.next_pk
            else None,
        )
        for part in mine
    ]
