"""RSS 2.0 and Atom feeds of published posts: all of them, per tag and per series.

Each entry carries the summary and the full sanitised body with its resources, every link made
absolute; its id is the post's GUID, which never follows the slug or title. Feeds answer
conditional requests from validators computed in one query.
"""

import hashlib
import re
from dataclasses import dataclass
from html import escape, unescape
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import Count, Max, QuerySet, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.views.decorators.http import condition
from taggit.models import Tag

from posts.links import site_origin
from posts.models import Post, Series
from posts.page_cache import remembered

ENTRIES = 20
CONTENT_CACHE_SECONDS = 24 * 60 * 60
VALIDATOR_CACHE_SECONDS = 30 * 24 * 60 * 60
# Part of every cached entry's key: change it when feed_entry.html changes.
ENTRY_TEMPLATE_VERSION = 1
# A start tag as the sanitiser writes it (attribute values always in double quotes).
START_TAG = re.compile(r'<[a-zA-Z][^\s/>]*(?:\s+[^\s"=>/]+(?:="[^"]*")?)*\s*/?>')
URL_ATTRIBUTE = re.compile(r'\s(href|src)="([^"]*)"')
# Characters XML 1.0 cannot carry, such as control characters pasted from a PDF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value):
    return NOT_XML.sub("", value) if isinstance(value, str) else value


def absolutize(html, base_url):
    """Make every href and src in the HTML absolute, relative to the page it came from."""

    def absolute(attribute):
        try:
            url = urljoin(base_url, unescape(attribute[2]))
        except ValueError:  # an address urllib cannot read, kept in a body saved long ago
            return ""
        return f' {attribute[1]}="{escape(url)}"'

    return START_TAG.sub(lambda tag: URL_ATTRIBUTE.sub(absolute, tag[0]), html)


class RssWithContent(Rss201rev2Feed):
    """RSS 2.0 with the full post in content:encoded beside the summary in description."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_html"])


class AtomWithContent(Atom1Feed):
    """Atom with the full post in content beside the summary."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content_html"], {"type": "html"})


@dataclass(frozen=True)
class FeedScope:
    title: str
    description: str
    link: str
    posts: QuerySet
    origin: str  # scheme and host of the public site, for absolute links


def all_posts(request):
    return FeedScope(
        title=settings.GUTBRAIN_SITE_TITLE,
        description=f"The latest posts from {settings.GUTBRAIN_SITE_TITLE}.",
        link=reverse("posts:home"),
        posts=Post.objects.published(),
        origin=site_origin(request),
    )


def tag_posts(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    posts = Post.objects.published().filter(tags=tag)
    if not posts.exists():
        raise Http404("No published posts with this tag.")
    return FeedScope(
        title=f"{settings.GUTBRAIN_SITE_TITLE}: posts tagged “{tag.name}”",
        description=f"The latest posts tagged “{tag.name}”.",
        link=reverse("posts:tag", args=[tag.slug]),
        posts=posts,
        origin=site_origin(request),
    )


def series_posts(request, slug):
    series = get_object_or_404(Series, slug=slug)
    posts = Post.objects.published().filter(series_parts__series=series)
    if not posts.exists():
        raise Http404("No published parts in this series.")
    return FeedScope(
        title=f"{settings.GUTBRAIN_SITE_TITLE}: {series.title}",
        description=f"New parts of the series “{series.title}”.",
        link=series.get_absolute_url(),
        posts=posts,
        origin=site_origin(request),
    )


class PostFeed(Feed):
    """The newest published posts of one scope, in one feed format."""

    def __init__(self, scope, feed_type):
        super().__init__()
        self.scope = scope
        self.feed_type = feed_type

    def get_object(self, request, *args, **kwargs):
        return self.scope(request, *args, **kwargs)

    def title(self, scope):
        return xml_text(scope.title)

    def description(self, scope):
        return xml_text(scope.description)

    subtitle = description

    def link(self, scope):
        return scope.link

    def author_name(self, scope):
        return settings.GUTBRAIN_SITE_TITLE

    def items(self, scope):
        posts = list(
            scope.posts.defer("body")  # entries show the rendered body
            .select_related("author")
            .with_tags()
            .order_by("-published_at", "-id")[:ENTRIES]
        )
        for post in posts:
            post.absolute_url = scope.origin + post.get_absolute_url()
        self.attach_content(posts)
        return posts

    def attach_content(self, posts):
        """Each entry's full content, from the cache where this version was rendered before."""
        keys = {_content_key(post): post for post in posts}
        cached = cache.get_many(keys)
        # Only entries rendered afresh list their resources: one query for all of them.
        prefetch_related_objects(
            [post for key, post in keys.items() if key not in cached], "resources"
        )
        fresh = {}
        for key, post in keys.items():
            if key not in cached:
                html = render_to_string(
                    "posts/feed_entry.html", {"post": post, "resources": post.cited_resources()}
                )
                fresh[key] = xml_text(absolutize(html, post.absolute_url))
            post.feed_content = cached.get(key) or fresh[key]
        cache.set_many(fresh, timeout=CONTENT_CACHE_SECONDS)

    def item_title(self, post):
        return xml_text(post.title)

    def item_link(self, post):
        return post.get_absolute_url()

    def item_description(self, post):
        # Feeds carry the summary as HTML: escape the plain text so it reads as typed.
        return escape(xml_text(post.summary), quote=False) if post.summary else None

    def item_guid(self, post):
        return post.guid.urn

    item_guid_is_permalink = False

    def item_pubdate(self, post):
        return post.published_at

    def item_updateddate(self, post):
        # An edit before publication is not news to subscribers.
        return max(post.content_changed_at, post.published_at)

    def item_author_name(self, post):
        return xml_text(post.author_name)

    def item_categories(self, post):
        return sorted(xml_text(tag.name) for tag in post.tag_list)

    def item_extra_kwargs(self, post):
        return {"content_html": post.feed_content}


def _content_key(post):
    """Names one version of an entry's content: any change to what it shows gives a new key."""
    version = (
        f"{ENTRY_TEMPLATE_VERSION}|{post.absolute_url}|{post.content_changed_at.isoformat()}|"
        f"{post.body_html}"
    )
    return "feed-entry:" + hashlib.sha256(version.encode()).hexdigest()


def _validators(request, scope_posts):
    """(ETag, Last-Modified) of a feed, from one query over the public posts it shows.

    Posts are touched whenever anything a feed shows of them changes, and an unpublished or
    deleted post changes the count, so the fingerprint moves with every change. Last-Modified
    is the moment a fingerprint was first served, so it never goes back, even when the post
    that changed last leaves the feed.
    """
    if not hasattr(request, "feed_validators"):
        stats = remembered(
            f"feed-stats:{request.path}",
            lambda: scope_posts.aggregate(
                count=Count("pk", distinct=True),
                saved=Max("updated_at"),
                changed=Max("content_changed_at"),
                latest=Max("published_at"),
            ),
        )
        if not stats["count"]:
            request.feed_validators = (None, None)  # a 404, or a feed with nothing in it
        else:
            fingerprint = "|".join(
                [site_origin(request), request.path, str(stats["count"])]
                + [stats[name].isoformat() for name in ("saved", "changed", "latest")]
            )
            etag = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
            first_served = cache.get_or_set(
                f"feed-first-served:{etag}", timezone.now(), timeout=VALIDATOR_CACHE_SECONDS
            )
            request.feed_validators = (etag, first_served)
    return request.feed_validators


def serve(feed, scope_posts):
    """The feed as a view that answers If-None-Match and If-Modified-Since with 304."""

    def etag(request, **kwargs):
        return _validators(request, scope_posts(**kwargs))[0]

    def last_modified(request, **kwargs):
        return _validators(request, scope_posts(**kwargs))[1]

    def view(request, **kwargs):
        response = feed(request, **kwargs)
        # The feed dates itself by its entries only; `condition` sets the date that also
        # moves when a post leaves the feed.
        del response["Last-Modified"]
        return response

    return condition(etag_func=etag, last_modified_func=last_modified)(view)


# The posts whose state each feed's validators follow.
def _all():
    return Post.objects.published()


def _tagged(slug):
    return Post.objects.published().filter(tags__slug=slug)


def _in_series(slug):
    return Post.objects.published().filter(series_parts__series__slug=slug)


site_rss = serve(PostFeed(all_posts, RssWithContent), _all)
site_atom = serve(PostFeed(all_posts, AtomWithContent), _all)
tag_rss = serve(PostFeed(tag_posts, RssWithContent), _tagged)
tag_atom = serve(PostFeed(tag_posts, AtomWithContent), _tagged)
series_rss = serve(PostFeed(series_posts, RssWithContent), _in_series)
series_atom = serve(PostFeed(series_posts, AtomWithContent), _in_series)
