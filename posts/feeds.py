"""RSS 2.0, Atom and JSON feeds of published posts: all of them, per tag, per series and per
author.

Each entry carries the summary and the full sanitised body with its resources, every link made
absolute; its id is the post's GUID, which never follows the slug or title. Each feed names its
own address and, when one is configured, the WebSub hub that pushes it to subscribers.
"""

import mimetypes
import re
from dataclasses import dataclass, replace
from html import escape, unescape
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import escape_uri_path
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from taggit.models import Tag

from posts.json_feed import JsonFeed
from posts.links import site_origin
from posts.models import AuthorProfile, Post, Series

ENTRIES = 20
# A start tag as the sanitiser writes it (attribute values always in double quotes).
START_TAG = re.compile(r'<[a-zA-Z][^\s/>]*(?:\s+[^\s"=>/]+(?:="[^"]*")?)*\s*/?>')
URL_ATTRIBUTE = re.compile(r'\s(href|src)="([^"]*)"')
SRCSET_ATTRIBUTE = re.compile(r'\ssrcset="([^"]*)"')
# Characters XML 1.0 cannot carry, such as control characters pasted from a PDF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def image_type(image):
    return mimetypes.guess_type(image.file.name)[0] or "application/octet-stream"


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

    def absolute_srcset(attribute):
        # Renditions' addresses, as posts.images writes them: "URL WIDTHw, URL WIDTHw".
        candidates = [c.split() for c in unescape(attribute[1]).split(",") if c.split()]
        try:
            srcset = ", ".join(" ".join([urljoin(base_url, c[0]), *c[1:]]) for c in candidates)
        except ValueError:
            return ""
        return f' srcset="{escape(srcset)}"'

    def absolutize_tag(tag):
        return SRCSET_ATTRIBUTE.sub(absolute_srcset, URL_ATTRIBUTE.sub(absolute, tag[0]))

    return START_TAG.sub(absolutize_tag, html)


class RssWithContent(Rss201rev2Feed):
    """RSS 2.0 with the full post in content:encoded beside the summary in description."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
            "xmlns:media": "http://search.yahoo.com/mrss/",
        }

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        if hub := self.feed.get("hub"):
            handler.addQuickElement("atom:link", None, {"rel": "hub", "href": hub})

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_html"])
        if image := item["image"]:
            # The feature image as feed readers that show a picture per entry look for it.
            handler.addQuickElement("media:content", "", image)


class AtomWithContent(Atom1Feed):
    """Atom with the full post in content beside the summary."""

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        if hub := self.feed.get("hub"):
            handler.addQuickElement("link", None, {"rel": "hub", "href": hub})

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
    feed_url: str = ""  # the feed's own absolute address, its rel="self"


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


def author_posts(request, slug):
    profile = get_object_or_404(AuthorProfile, slug=slug)
    posts = Post.objects.published().filter(author_id=profile.user_id)
    if not posts.exists():
        raise Http404("No published posts by this author.")
    return FeedScope(
        title=f"{settings.GUTBRAIN_SITE_TITLE}: posts by {profile.display_name}",
        description=f"The latest posts by {profile.display_name}.",
        link=profile.get_absolute_url(),
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
        return replace(self.scope(request, *args, **kwargs), feed_url=self_url(request))

    def title(self, scope):
        return xml_text(scope.title)

    def description(self, scope):
        return xml_text(scope.description)

    subtitle = description

    def link(self, scope):
        return scope.origin + scope.link

    def feed_url(self, scope):
        return scope.feed_url

    def feed_extra_kwargs(self, scope):
        return {"hub": settings.GUTBRAIN_WEBSUB_HUB or None}

    def author_name(self, scope):
        return settings.GUTBRAIN_SITE_TITLE

    def items(self, scope):
        posts = list(
            scope.posts.defer("body")  # entries show the rendered body
            .select_related("author__author_profile", "feature_image")
            .with_tags()
            .order_by("-published_at", "-id")[:ENTRIES]
        )
        for post in posts:
            post.absolute_url = scope.origin + post.get_absolute_url()
            if post.feature_image:
                post.image_url = urljoin(post.absolute_url, post.feature_image.file.url)
        self.attach_content(posts)
        return posts

    def attach_content(self, posts):
        prefetch_related_objects(posts, "resources")
        for post in posts:
            html = render_to_string(
                "posts/feed_entry.html", {"post": post, "resources": post.cited_resources()}
            )
            post.feed_content = xml_text(absolutize(html, post.absolute_url))

    def item_title(self, post):
        return xml_text(post.title)

    def item_link(self, post):
        return post.absolute_url

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

    def item_enclosures(self, post):
        if image := post.feature_image:
            try:
                size = image.file.size
            except OSError:  # its file is gone from the storage: the entry goes without
                return []
            return [Enclosure(post.image_url, str(size), image_type(image))]
        return []

    def item_extra_kwargs(self, post):
        image = post.feature_image
        profile = post.author_profile
        return {
            "content_html": post.feed_content,
            "summary": xml_text(post.summary),
            "author_url": profile and urljoin(post.absolute_url, profile.get_absolute_url()),
            "image": {
                "url": post.image_url,
                "medium": "image",
                "type": image_type(image),
                "width": str(image.width),
                "height": str(image.height),
            }
            if image
            else None,
        }


def self_url(request):
    return site_origin(request) + escape_uri_path(request.path)


def serve(feed):
    """The feed as a view, dated by the page cache, which gives it validators and answers
    conditional requests: by when the feed was built, which only moves forward, rather than
    by its newest entry, which moves back when that post leaves the feed."""

    def view(request, **kwargs):
        response = feed(request, **kwargs)
        del response["Last-Modified"]
        if hub := settings.GUTBRAIN_WEBSUB_HUB:
            # WebSub discovery for subscribers that read headers before (or instead of) the body.
            response["Link"] = f'<{hub}>; rel="hub", <{self_url(request)}>; rel="self"'
        return response

    return view


site_rss = serve(PostFeed(all_posts, RssWithContent))
site_atom = serve(PostFeed(all_posts, AtomWithContent))
tag_rss = serve(PostFeed(tag_posts, RssWithContent))
tag_atom = serve(PostFeed(tag_posts, AtomWithContent))
series_rss = serve(PostFeed(series_posts, RssWithContent))
series_atom = serve(PostFeed(series_posts, AtomWithContent))
author_rss = serve(PostFeed(author_posts, RssWithContent))
author_atom = serve(PostFeed(author_posts, AtomWithContent))
site_json = serve(PostFeed(all_posts, JsonFeed))
tag_json = serve(PostFeed(tag_posts, JsonFeed))
series_json = serve(PostFeed(series_posts, JsonFeed))
author_json = serve(PostFeed(author_posts, JsonFeed))
