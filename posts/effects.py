"""What a change to content sets off, whoever makes it (the admin, an import, a shell, a bulk
action): posts whose links read differently are rendered again, the search index follows,
cached pages are retired, a post going public is announced (e-mailed to its subscribers, when
its time comes) and the WebSub hub is told of changed feeds. Changes are gathered as they are
saved and acted on once per transaction, when it commits.

Connected in PostsConfig.ready(); the models never import this module.
"""

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.utils import timezone
from taggit.models import Tag

from posts import mailing, renditions, search, websub
from posts.images import IMAGE_SCHEME, Image
from posts.models import (
    Announcement,
    AuthorProfile,
    Post,
    PreviousSlug,
    Resource,
    Series,
    SeriesPart,
    TaggedPost,
)
from posts.page_cache import retire_pages

# What pages show of a user: an author's name. A login saves only last_login.
SHOWN_USER_FIELDS = {"username", "first_name", "last_name"}


@dataclass(frozen=True)
class Render:
    """A post's render, as far as images go."""

    step: int
    shown: frozenset  # the ids of the images it shows
    waiting: frozenset  # and of those whose renditions were being made


@dataclass
class Changes:
    """What has changed in the transaction under way, by post id."""

    moved: set = field(default_factory=set)  # new address, or public now or no longer
    dependants: set = field(default_factory=set)  # posts to render again
    # Images and posts by the step of the transaction that last changed or rendered them: a
    # post is rendered again for an image changed after it (see for_images).
    images: dict = field(default_factory=dict)  # {image id: step}
    renders: dict = field(default_factory=dict)  # {post id: Render}
    steps: Iterator = field(default_factory=itertools.count)
    surroundings: set = field(default_factory=set)  # tags or series changed
    content: set = field(default_factory=set)  # resources changed: news for feeds
    indexed: set = field(default_factory=set)  # search entries to write again, or remove
    # A post took another's former address: links to it lead to the new post now.
    address_taken_over: bool = False
    going_public: dict = field(default_factory=dict)  # posts to announce, at their time
    feeds_changed: dict = field(default_factory=dict)  # public posts changed, or withdrawn
    feeds_of_deleted: list = field(default_factory=list)  # and of tags or series left
    imported: set = field(default_factory=set)  # published elsewhere: not news here


_pending = threading.local()


@contextmanager
def importing():
    """Posts saved within come from elsewhere, published there already: they are not news,
    so no e-mail goes out and no hub is told."""
    _pending.importing = True
    try:
        yield
    finally:
        _pending.importing = False


def importing_now():
    return getattr(_pending, "importing", False)


@contextmanager
def changes():
    """The changes of the transaction under way, to add to; acted on when it commits (at once
    outside a transaction)."""
    yield _pending.__dict__.setdefault("changes", Changes())
    # One action for all the transaction's changes: whichever callback runs first takes them.
    transaction.on_commit(act)


def forget():
    """Drop the changes gathered in a transaction that was rolled back: nothing happened."""
    _pending.__dict__.pop("changes", None)


def act():
    """Render dependants again, bring the index up to date, then retire cached pages."""
    pending = _pending.__dict__.pop("changes", None)
    if pending is None:
        return
    with transaction.atomic():
        now = timezone.now()
        Post.objects.filter(pk__in=pending.surroundings).update(updated_at=now)
        Post.objects.filter(pk__in=pending.content).update(content_changed_at=now, updated_at=now)
        dependants = (
            pending.dependants
            | linking_posts(pending.moved, pending.address_taken_over)
            | for_images(pending)
        )
        # One at a time, not all kept: after an import, every post may be here. Each is read
        # locked, so that an edit committing meanwhile is not overwritten with an older
        # render; in one order, so that two transactions doing this never wait on each other.
        again = Post.objects.filter(pk__in=dependants).select_for_update().order_by("pk")
        for post in again.iterator(chunk_size=200):
            post.rerender()
        search.index(pending.indexed | dependants | pending.surroundings | pending.content)
    retire_pages()
    for post in pending.going_public.values():
        mailing.ask_to_announce(post)
    websub.ping_feeds(
        [url for post in feeds_changed(pending) for url in websub.feeds_to_ping(post)]
        + pending.feeds_of_deleted
    )


def feeds_changed(pending):
    """Public posts whose entries in feeds changed: edited or withdrawn, or given other tags
    or series (which moves them between feeds, or renames a feed)."""
    changed = list(pending.feeds_changed.values())
    retagged = pending.surroundings - pending.feeds_changed.keys() - pending.going_public.keys()
    if settings.GUTBRAIN_WEBSUB_HUB and (retagged := retagged - pending.imported):
        changed += Post.objects.published().filter(pk__in=retagged)
    return changed


def linking_posts(moved, address_taken_over):
    """Ids of the posts whose links to these posts read differently now: those that link to
    them, and those whose links to their addresses found no post until now."""
    if not moved:
        return set()
    found, posts = set(), Post.objects.filter(pk__in=moved).only("slug")
    # A few hundred posts at a time: SQLite refuses a condition more than 1,000 deep, which
    # the posts of an import would make.
    for number, batch in enumerate(itertools.batched(posts, 200)):
        mentioning = Q()
        for post in batch:
            mentioning |= Q(body__contains=f"post:{post.slug}")
            mentioning |= Q(body__contains=post.get_absolute_url().rstrip("/"))
        linking = mentioning if address_taken_over else mentioning & ~Q(broken_links=[])
        if number == 0:
            linking |= Q(links__in=moved)
        found |= set(Post.objects.filter(linking).values_list("pk", flat=True))
    return found


def for_images(pending):
    """Ids of the posts to render again for their images, found after the commit so that a
    post another transaction saved meanwhile is found too: those showing an image changed
    after they were rendered, and those rendered while an image's renditions were being made
    that are made now (the worker that made them found no post to render again, as this one
    was not yet saved for good)."""
    stale = set()
    for post in showing(pending.images):
        render = pending.renders.get(post)
        if render is None or any(pending.images.get(i, -1) > render.step for i in render.shown):
            stale.add(post)
    return stale | made_meanwhile(pending.renders)


def showing(images):
    """Ids of the posts whose text shows any of these images."""
    found = set()
    for batch in itertools.batched(sorted(images), 200):  # a regular expression of bounded size
        numbers = "|".join(map(str, batch))
        # `image:4` and no more digits: an image, a figure, a reference, at the end of the text.
        pattern = rf"{IMAGE_SCHEME}({numbers})([^0-9]|$)"
        found |= set(Post.objects.filter(body__regex=pattern).values_list("pk", flat=True))
    return found


def made_meanwhile(renders):
    """Ids of the posts rendered while their images' renditions were being made, which are
    made now."""
    waiting = {post: render.waiting for post, render in renders.items() if render.waiting}
    if not waiting:
        return set()
    made = set(
        Image.objects.filter(pk__in=set().union(*waiting.values()))
        .filter(renditions=Image.Renditions.READY)
        .values_list("pk", flat=True)
    )
    return {post for post, images in waiting.items() if images & made}


def post_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return  # loaded as it was dumped
    with changes() as pending:
        pending.indexed.add(instance.pk)
        if shown := getattr(instance, "images_shown", None):
            waiting = instance.images_waiting
            pending.renders[instance.pk] = Render(next(pending.steps), shown, waiting)
        else:
            pending.renders.pop(instance.pk, None)
        if created or instance.address_changed:
            pending.moved.add(instance.pk)
        pending.address_taken_over |= instance.slug_taken_over
        published = instance.status == Post.Status.PUBLISHED
        if importing_now():
            if published:
                pending.imported.add(instance.pk)
                # Announced in the import's own transaction: no sweep finds it unannounced.
                Announcement.objects.get_or_create(post=instance)
        elif getattr(instance, "was_public", False):
            pending.feeds_changed[instance.pk] = instance  # edited, or withdrawn
        elif published:
            pending.going_public[instance.pk] = instance


def post_deleting(sender, instance, **kwargs):
    # Known only before the links go with the post.
    instance.linking_post_ids = set(instance.linked_from.values_list("pk", flat=True))
    if instance.is_published:
        instance.feeds = websub.feeds_to_ping(instance)  # its tags and series go with it


def post_deleted(sender, instance, **kwargs):
    with changes() as pending:
        pending.indexed.add(instance.pk)  # gone: its entry goes too
        pending.dependants |= getattr(instance, "linking_post_ids", set()) - {instance.pk}
        pending.feeds_of_deleted += getattr(instance, "feeds", [])


def tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    with changes() as pending:
        pending.surroundings.update((pk_set or set()) if reverse else {instance.pk})


def tagging_changed(sender, instance, **kwargs):
    with changes() as pending:
        pending.surroundings.add(instance.content_object_id)
        if kwargs.get("signal") is post_delete and not importing_now():  # its feeds lose it
            feeds = websub.feeds_left(instance.content_object_id, "tag", instance.tag_id)
            pending.feeds_of_deleted += feeds


def tag_saved(sender, instance, **kwargs):
    tagged = TaggedPost.objects.filter(tag=instance).values_list("content_object_id", flat=True)
    with changes() as pending:
        pending.surroundings.update(tagged)


def tag_deleting(sender, instance, **kwargs):
    tag_saved(sender, instance)  # its posts are known only before the tag goes


def series_saved(sender, instance, created, **kwargs):
    with changes() as pending:
        pending.surroundings.update(instance.parts.values_list("post_id", flat=True))


def part_changed(sender, instance, **kwargs):
    with changes() as pending:
        pending.surroundings.add(instance.post_id)
        if kwargs.get("signal") is post_delete and not importing_now():  # its feeds lose it
            feeds = websub.feeds_left(instance.post_id, "series", instance.series_id)
            pending.feeds_of_deleted += feeds


def resource_changed(sender, instance, **kwargs):
    with changes() as pending:
        pending.content.add(instance.post_id)


def image_changed(sender, instance, **kwargs):
    if getattr(instance, "file_is_new", False) and kwargs.get("signal") is post_save:
        renditions.ask_for(instance)
    with changes() as pending:
        pending.images[instance.pk] = next(pending.steps)


def shown_elsewhere(sender, **kwargs):
    """A change pages show that sets nothing else off: a former address, an author's name or
    profile."""
    update_fields = kwargs.get("update_fields")
    if sender is get_user_model() and update_fields and not SHOWN_USER_FIELDS & update_fields:
        return
    with changes():
        pass  # pages show it: retiring them is all there is to do


def connect():
    post_save.connect(post_saved, sender=Post, dispatch_uid="effects-post")
    pre_delete.connect(post_deleting, sender=Post, dispatch_uid="effects-post")
    post_delete.connect(post_deleted, sender=Post, dispatch_uid="effects-post")
    m2m_changed.connect(tags_changed, sender=Post.tags.through, dispatch_uid="effects-tags")
    pre_delete.connect(tag_deleting, sender=Tag, dispatch_uid="effects-tag")
    for signal, receivers in {
        post_save: [
            (tag_saved, Tag),
            (series_saved, Series),
            (tagging_changed, TaggedPost),
            (part_changed, SeriesPart),
            (resource_changed, Resource),
            (image_changed, Image),
            (shown_elsewhere, PreviousSlug),
            (shown_elsewhere, get_user_model()),
            (shown_elsewhere, AuthorProfile),
        ],
        post_delete: [
            (shown_elsewhere, Tag),
            (tagging_changed, TaggedPost),
            (part_changed, SeriesPart),
            (resource_changed, Resource),
            (image_changed, Image),
            (shown_elsewhere, PreviousSlug),
            (shown_elsewhere, get_user_model()),
            (shown_elsewhere, AuthorProfile),
        ],
    }.items():
        for receiver, sender in receivers:
            signal.connect(receiver, sender=sender, dispatch_uid=f"effects-{sender.__name__}")
