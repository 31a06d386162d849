"""Links between posts: which post an href in a body points at, and what is wrong with it.

An author links to a post by identity (`[review here](post:the-gut-brain-axis)`) or by pasting
its address on this site (`/posts/the-gut-brain-axis/` or the full URL, old addresses
included). Either way the link is stored as a relation and rendered with the current address.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.db import models
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.formats import date_format

from posts.rendering import content_fragment

POST_SCHEME = "post:"


class PreviousSlug(models.Model):
    """An address a post had before it was renamed; it answers with a redirect."""

    slug = models.SlugField(max_length=200, unique=True)
    post = models.ForeignKey("Post", on_delete=models.CASCADE, related_name="previous_slugs")

    def __str__(self):
        return f"{self.slug} → {self.post.slug}"


def site_origin(request):
    """Scheme and host of the public site, for absolute links in pages, feeds and sitemaps:
    the configured public address, else the request's."""
    return settings.GUTBRAIN_SITE_URL or request.build_absolute_uri("/").rstrip("/")


def public_origin():
    """Scheme and host of the public site where no request tells them (mail, hub pings)."""
    return settings.GUTBRAIN_SITE_URL or "http://127.0.0.1:8000"


def check_public_origin(app_configs=None, **kwargs):
    """Deployed without GUTBRAIN_SITE_URL, e-mail and hub pings would name the wrong site."""
    if settings.GUTBRAIN_SITE_URL:
        return []
    return [
        checks.Warning(
            f"GUTBRAIN_SITE_URL is not set: links in e-mail point to {public_origin()}.",
            hint="Set it to the public address, e.g. https://blog.example.org.",
            id="gutbrain.W001",
        )
    ]


def site_hosts():
    """Host names under which a pasted URL counts as this site's."""
    hosts = {host.lstrip(".").strip("[]").lower() for host in settings.ALLOWED_HOSTS}
    if settings.GUTBRAIN_SITE_URL:
        hosts.add(urlsplit(settings.GUTBRAIN_SITE_URL).hostname)
    return hosts - {"*"}


def linked_slug(href):
    """(slug, fragment) of the post an href names, or None when it names no post of ours."""
    if href.startswith(POST_SCHEME):
        slug, _, fragment = href[len(POST_SCHEME) :].strip().partition("#")
        return slug.strip("/"), fragment
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme not in ("", "http", "https") or not parts.path.startswith("/"):
        return None
    if parts.netloc and (parts.hostname or "").lower() not in site_hosts():
        return None
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name != "posts:post":
        return None
    return match.kwargs["slug"], parts.fragment


class LinkResolver:
    """Resolves the links in one post's body, in two queries, and remembers what it found.

    Links to a draft or to no post become plain text; the others get the target's current
    address. `targets` are the posts linked to (the post itself excluded), `broken` the links
    shown as plain text, and `problems` what would stop the post from being published.
    """

    def __init__(self, post, find_posts):
        self.post = post
        self.find_posts = find_posts  # slugs -> {slug: post}, as Post.objects.named() gives
        self.targets = {}
        self.broken = []
        self.problems = []

    def __call__(self, hrefs):
        named = {href: found for href in hrefs if (found := linked_slug(href))}
        posts = self.find_posts({slug for slug, _ in named.values()})

        resolved = {}
        for href, (slug, fragment) in sorted(named.items()):
            target = self.post if slug == self.post.slug else posts.get(slug)
            same_row = target is not None and target.pk is not None and target.pk == self.post.pk
            if target is self.post or same_row:
                # Within the page: the fragment gets its content prefix when sanitised.
                resolved[href] = f"#{fragment}" if fragment else self.post.get_absolute_url()
                continue
            if target is None:
                self.broken.append(href)
                self.problems.append(f"“{href}” links to no post: no post has that address.")
                resolved[href] = None
                continue
            self.targets[target.pk] = target
            if target.status == target.Status.DRAFT:
                self.broken.append(href)
                self.problems.append(f"“{href}” links to “{target.title}”, which is a draft.")
                resolved[href] = None
                continue
            if self.public_too_late(target):
                self.problems.append(
                    f"“{href}” links to “{target.title}”, scheduled for "
                    f"{date_format(timezone.localtime(target.published_at), 'DATETIME_FORMAT')}"
                    ", after this post goes public."
                )
            url = target.get_absolute_url()
            resolved[href] = f"{url}#{content_fragment(fragment)}" if fragment else url
        return resolved

    def public_too_late(self, target):
        """Whether the target only goes public after this post does."""
        goes_public = max(self.post.published_at or timezone.now(), timezone.now())
        return target.published_at is not None and target.published_at > goes_public


def address_errors(post):
    """Form errors of a post's address and time that links make: an address that is another
    post's former one, or a time after that of a public post that links here."""
    errors = {}
    former = PreviousSlug.objects.filter(slug=post.slug).exclude(post_id=post.pk).first()
    if former is not None:
        errors["slug"] = (
            f"This was the address of “{former.post}”, and links and readers still "
            "follow it there. Choose another slug."
        )
    if post.status == post.Status.PUBLISHED and post.pk and post.published_at:
        earlier = post.linked_from.exclude(pk=post.pk).filter(
            status=post.Status.PUBLISHED, published_at__lt=post.published_at
        )
        if linker := earlier.order_by("published_at").first():
            errors["published_at"] = (
                f"“{linker}” links here and goes public "
                f"{date_format(timezone.localtime(linker.published_at), 'DATETIME_FORMAT')}, "
                "before this time: its link would lead to a page that is not public yet. "
                "Keep an earlier time, or remove the link there first."
            )
    return errors
