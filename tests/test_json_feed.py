"""JSON Feed 1.1 beside RSS and Atom, checked against the format's rules; WebSub discovery in
every feed format."""

import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from xml.etree import ElementTree

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from posts.images import Image
from posts.models import AuthorProfile, Post, Resource, Series, SeriesPart
from tests.json_feed_rules import VERSION, json_feed_problems
from tests.test_images import image_file

pytestmark = pytest.mark.django_db

# feedparser would quietly make relative links absolute and hide the bug a reader would see.
feedparser.RESOLVE_RELATIVE_URIS = False

CONTENT_TYPE = "application/feed+json; charset=utf-8"
HUB = "https://hub.example.org/websub"
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}


def fetch_json_feed(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    assert response["Content-Type"] == CONTENT_TYPE
    document = json.loads(response.content)
    assert json_feed_problems(document) == [], url
    return response, document


def parse_xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return response, parsed


@pytest.fixture
def site(make_post, author):
    """Ada's posts in a tag and a series, with a feature image, resources and summaries; a
    draft and a scheduled post in the same tag and series."""
    AuthorProfile.objects.create(user=author, slug="ada-writer", display_name="Ada Writer")
    photo = Image.objects.create(file=image_file(size=(800, 600)), alt_text="A chart")
    series = Series.objects.create(title="Gut and Mind", slug="gut-and-mind")
    posts = {
        "older": make_post(
            title="Fibre & the gut",
            slug="fibre-the-gut",
            summary="Plain text: 5 < 7 & <b>not bold</b>.",
            body="See [#1]. ![chart](/media/chart.png)",
            tags=["Gut Health", "Fibre"],
            published_at=timezone.now() - timedelta(days=2),
        ),
        "newer": make_post(
            title="The gut-brain axis",
            body="Read [the earlier post](/posts/fibre-the-gut/) first.",
            tags=["Gut Health"],
            feature_image=photo,
        ),
        "draft": make_post(title="A draft", status=Post.Status.DRAFT, tags=["Gut Health"]),
        "scheduled": make_post(
            title="Scheduled",
            tags=["Gut Health"],
            published_at=timezone.now() + timedelta(days=1),
        ),
    }
    Resource.objects.create(post=posts["older"], number=1, title="A fibre study")
    for position, name in enumerate(["older", "newer", "draft", "scheduled"], start=1):
        SeriesPart.objects.create(series=series, post=posts[name], position=position)
    for post in posts.values():
        post.refresh_from_db()
    return posts


SCOPES = {
    "site": ("posts:feed_{kind}", []),
    "tag": ("posts:tag_feed_{kind}", ["gut-health"]),
    "series": ("posts:series_feed_{kind}", ["gut-and-mind"]),
    "author": ("posts:author_feed_{kind}", ["ada-writer"]),
}


def feed_url(scope, kind):
    name, args = SCOPES[scope]
    return reverse(name.format(kind=kind), args=args)


@pytest.mark.parametrize("scope", SCOPES)
def test_every_json_feed_follows_json_feed_1_1(client, site, scope):
    """Site, tag, series and author feeds: valid, described, absolute, published posts only."""
    url = feed_url(scope, "json")
    _, document = fetch_json_feed(client, url)
    assert next(iter(document)) == "version"  # at the top, as the format asks
    assert document["feed_url"] == f"http://testserver{url}"
    assert document["home_page_url"].startswith("http://testserver/")
    assert document["title"].startswith("gutbrain")
    assert document["description"]
    assert document["language"] == "en"
    assert document["authors"] == [{"name": "gutbrain"}]
    assert [item["title"] for item in document["items"]] == [
        "The gut-brain axis",
        "Fibre & the gut",
    ]


def test_items_carry_what_a_reader_shows(client, site):
    """Summary as typed, RFC 3339 dates, author with profile, tags, feature image, resources
    and absolute links in the content."""
    _, document = fetch_json_feed(client, reverse("posts:feed_json"))
    newer, older = document["items"]
    post = site["newer"]
    image_url = "http://testserver" + post.feature_image.file.url
    assert newer["id"] == f"urn:uuid:{post.guid}"
    assert newer["url"] == f"http://testserver{post.get_absolute_url()}"
    assert newer["image"] == image_url
    assert newer["attachments"] == [
        {
            "url": image_url,
            "mime_type": "image/png",
            "size_in_bytes": post.feature_image.file.size,
        }
    ]
    assert newer["authors"] == [
        {"name": "Ada Writer", "url": "http://testserver/authors/ada-writer/"}
    ]
    assert datetime.fromisoformat(newer["date_published"]) == post.published_at
    assert datetime.fromisoformat(newer["date_modified"]) == max(
        post.content_changed_at, post.published_at
    )
    assert 'href="http://testserver/posts/fibre-the-gut/"' in newer["content_html"]
    assert older["summary"] == "Plain text: 5 < 7 & <b>not bold</b>."
    assert older["tags"] == ["Fibre", "Gut Health"]
    assert "image" not in older and "attachments" not in older
    assert "A fibre study" in older["content_html"]
    assert 'src="http://testserver/media/chart.png"' in older["content_html"]
    for match in re.findall(r'(?:href|src)="([^"]*)"', older["content_html"]):
        assert match.startswith(("http://", "https://", "mailto:")), match


@pytest.mark.parametrize("scope", SCOPES)
def test_json_and_atom_feeds_hold_the_same_entries(client, site, scope):
    """The same ids (the GUID), links, titles, dates and content as the Atom feed."""
    _, document = fetch_json_feed(client, feed_url(scope, "json"))
    response, atom = parse_xml(client, feed_url(scope, "atom"))
    # As written, where feedparser would clean the HTML up.
    contents = ElementTree.fromstring(response.content).iterfind("a:entry/a:content", ATOM_NS)
    assert [item["content_html"] for item in document["items"]] == [c.text for c in contents]
    assert document["title"] == atom.feed.title
    assert document["home_page_url"] == atom.feed.link
    assert [item["id"] for item in document["items"]] == [entry.id for entry in atom.entries]
    for item, entry in zip(document["items"], atom.entries, strict=True):
        assert item["url"] == entry.link
        assert item["title"] == entry.title
        assert item["tags"] == [tag.term for tag in entry.tags]
        assert item["authors"][0]["name"] == entry.author
        published = datetime.fromisoformat(item["date_published"]).utctimetuple()
        assert published[:6] == entry.published_parsed[:6]


def test_scheduled_posts_join_the_json_feed_in_their_time(client, site, monkeypatch):
    """Never a draft; a scheduled post once its time has come."""
    _, document = fetch_json_feed(client, reverse("posts:tag_feed_json", args=["gut-health"]))
    titles = [item["title"] for item in document["items"]]
    assert "A draft" not in titles and "Scheduled" not in titles
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    _, document = fetch_json_feed(client, reverse("posts:tag_feed_json", args=["gut-health"]))
    assert document["items"][0]["title"] == "Scheduled"


@pytest.mark.parametrize("scope", SCOPES)
def test_a_json_feed_answers_304_while_unchanged(client, site, scope, later):
    """From the page cache, by ETag and by date, as RSS and Atom do; a new post changes it."""
    url = feed_url(scope, "json")
    first = client.get(url)
    assert first["ETag"] and "no-cache" in first["Cache-Control"]
    for headers in (
        {"HTTP_IF_NONE_MATCH": first["ETag"]},
        {"HTTP_IF_MODIFIED_SINCE": first["Last-Modified"]},
    ):
        response = client.get(url, **headers)
        assert response.status_code == 304
        assert response.content == b""
    later()
    site["draft"].status = Post.Status.PUBLISHED
    site["draft"].published_at = timezone.now()
    site["draft"].save()
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@pytest.fixture
def later(monkeypatch):
    clock = [timezone.now()]

    def later():
        clock[0] += timedelta(seconds=2)  # HTTP dates have whole seconds
        monkeypatch.setattr(timezone, "now", lambda: clock[0])

    return later


@pytest.mark.parametrize(
    "url",
    [
        "/tags/nope/feed/json/",
        "/series/nope/feed/json/",
        "/authors/nope/feed/json/",
        "/tags/draft-only/feed/json/",
        "/series/drafts-only/feed/json/",
    ],
)
def test_unknown_or_unpublished_json_feeds_are_404(client, make_post, url):
    draft = make_post(status=Post.Status.DRAFT, tags=["Draft only"])
    series = Series.objects.create(title="Drafts only", slug="drafts-only")
    SeriesPart.objects.create(series=series, post=draft, position=1)
    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 404


def test_an_author_with_only_drafts_has_no_json_feed(client, make_post, django_user_model):
    writer = django_user_model.objects.create_user(username="bo", password="unused-password")
    AuthorProfile.objects.create(user=writer, slug="bo-writes", display_name="Bo")
    make_post(author=writer, status=Post.Status.DRAFT)
    assert client.get("/authors/bo-writes/feed/json/").status_code == 404


class JsonFeedLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.alternates, self.visible = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("type") != "application/feed+json":
            return
        if tag == "link" and attrs.get("rel") == "alternate":
            self.alternates.append(attrs["href"])
        elif tag == "a":
            self.visible.append(attrs["href"])


def json_feed_links(client, url):
    parser = JsonFeedLinks()
    parser.feed(client.get(url).content.decode())
    return parser


def test_pages_advertise_their_json_feeds(client, site):
    """Home: the site's; tag, series and author pages: theirs too; a post: its series'. Each
    feed advertised answers."""
    post = site["newer"]
    expected = {
        "/": ["/feed/json/"],
        "/tags/gut-health/": ["/tags/gut-health/feed/json/", "/feed/json/"],
        "/series/gut-and-mind/": ["/series/gut-and-mind/feed/json/", "/feed/json/"],
        "/authors/ada-writer/": ["/authors/ada-writer/feed/json/", "/feed/json/"],
        post.get_absolute_url(): ["/series/gut-and-mind/feed/json/", "/feed/json/"],
    }
    for page, feeds in expected.items():
        links = json_feed_links(client, page)
        assert sorted(links.alternates) == sorted(feeds), page
        assert links.visible[-1] == "/feed/json/"  # the footer's
        for feed in feeds:
            fetch_json_feed(client, feed)
    assert json_feed_links(client, "/tags/gut-health/").visible == [
        "/tags/gut-health/feed/json/",
        "/feed/json/",
    ]


def every_feed_url():
    return [feed_url(scope, kind) for scope in SCOPES for kind in ("rss", "atom", "json")]


def links_of(client, url):
    """The feed's own (self) and hub addresses, read as its format writes them."""
    response = client.get(url)
    assert response.status_code == 200, url
    if url.endswith("/json/"):
        document = json.loads(response.content)
        assert json_feed_problems(document) == []
        return response, document["feed_url"], [hub["url"] for hub in document.get("hubs", [])]
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    links = parsed.feed.links
    [self_link] = [link.href for link in links if link.rel == "self"]
    return response, self_link, [link.href for link in links if link.rel == "hub"]


def test_with_a_hub_every_feed_names_it_and_itself(client, site, settings):
    """RSS's atom:link, Atom's link, JSON Feed's hubs, and a Link header, in every feed."""
    settings.GUTBRAIN_WEBSUB_HUB = HUB
    for url in every_feed_url():
        response, self_link, hubs = links_of(client, url)
        assert self_link == f"http://testserver{url}"
        assert hubs == [HUB], url
        assert response["Link"] == f'<{HUB}>; rel="hub", <http://testserver{url}>; rel="self"'
    raw = client.get(reverse("posts:feed_rss")).content.decode()
    assert f'<atom:link href="{HUB}" rel="hub"/>' in raw
    _, document = fetch_json_feed(client, reverse("posts:feed_json"))
    assert document["hubs"] == [{"type": "WebSub", "url": HUB}]


def test_without_a_hub_feeds_name_themselves_only(client, site, settings):
    settings.GUTBRAIN_WEBSUB_HUB = ""
    for url in every_feed_url():
        response, self_link, hubs = links_of(client, url)
        assert self_link == f"http://testserver{url}"
        assert hubs == [], url
        assert "Link" not in response
        assert 'rel="hub"' not in response.content.decode()


def test_feeds_use_the_public_address(client, site, settings):
    """Behind a proxy that passes another host name, every feed still gives the public one."""
    settings.GUTBRAIN_SITE_URL = "https://blog.example.org"
    settings.GUTBRAIN_WEBSUB_HUB = HUB
    for url in every_feed_url():
        response, self_link, _ = links_of(client, url)
        assert self_link == f"https://blog.example.org{url}"
        assert f'<https://blog.example.org{url}>; rel="self"' in response["Link"]
    _, document = fetch_json_feed(client, reverse("posts:feed_json"))
    assert document["home_page_url"] == "https://blog.example.org/"
    assert all(item["url"].startswith("https://blog.example.org/") for item in document["items"])
    _, atom = parse_xml(client, reverse("posts:feed_atom"))
    assert atom.feed.link == "https://blog.example.org/"
    assert all(entry.link.startswith("https://blog.example.org/") for entry in atom.entries)


def test_the_json_tag_feed_costs_what_the_atom_one_does(
    client, site, settings, django_assert_num_queries
):
    """Tag, any public post, posts with authors, their tags, their resources."""
    settings.GUTBRAIN_PAGE_CACHE = False
    with django_assert_num_queries(5):
        response = client.get("/tags/gut-health/feed/json/")
    assert json.loads(response.content)["items"][0]["title"] == "The gut-brain axis"


BROKEN = [
    ({"version": "https://jsonfeed.org/version/1"}, "feed.version"),
    ({"title": None}, "feed.title: not a str"),
    ({"items": {}}, "feed.items: not an array"),
    ({"feed_url": "/feed/json/"}, "feed.feed_url: not an absolute URL"),
    ({"authors": {"name": "Ada"}}, "feed.authors: not an array"),
    ({"authors": [{}]}, "feed.authors[0]: an author with nothing in it"),
    ({"hubs": [{"type": "WebSub"}]}, "feed.hubs[0]: no url"),
    ({"extra": 1}, "feed: unknown key 'extra'"),
    ({"items": [{"content_html": "<p>x</p>"}]}, "feed.items[0]: no id"),
    ({"items": [{"id": 1, "content_html": ""}]}, "feed.items[0].id: not a str"),
    ({"items": [{"id": "1"}]}, "feed.items[0]: neither content_html nor content_text"),
    (
        {"items": [{"id": "1", "content_text": "x", "date_published": "2024-01-01 10:00"}]},
        "feed.items[0].date_published: not an RFC 3339 date",
    ),
    (
        {"items": [{"id": "1", "content_text": "x", "tags": "a, b"}]},
        "feed.items[0].tags: not an array",
    ),
    (
        {"items": [{"id": "1", "content_text": "x", "attachments": [{"url": "http://a/b"}]}]},
        "feed.items[0].attachments[0]: no mime_type",
    ),
    (
        {"items": [{"id": "1", "content_text": "x"}, {"id": "1", "content_text": "y"}]},
        "feed.items: an id used twice",
    ),
]


@pytest.mark.parametrize(("change", "problem"), BROKEN)
def test_the_checker_finds_what_breaks_the_format(change, problem):
    valid = {"version": VERSION, "title": "A feed", "items": [], "_gutbrain": {"about": "x"}}
    assert json_feed_problems(valid) == []
    assert any(p.startswith(problem) for p in json_feed_problems({**valid, **change}))
