"""Hostile input: the whole public site crawled and every address pattern it shows fuzzed, and
random Markdown and HTML through the rendering pipeline."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import feedparser
import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from posts.models import Series, SeriesPart
from posts.rendering import RenderError, render

pytestmark = pytest.mark.django_db


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.hrefs.append(value)


def same_site_paths(html):
    parser = Links()
    parser.feed(html)
    for href in parser.hrefs:
        parts = urlsplit(href)
        local = parts.netloc in ("", "testserver") and parts.scheme in ("", "http", "https")
        if local and parts.path.startswith("/"):
            yield parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client, start="/", limit=400):
    """Every page reachable from `start` by following links: path -> status."""
    seen, queue = {}, [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response.status_code
        assert response.status_code < 500, path
        content_type = response.get("Content-Type", "")
        page = response.status_code == 200 and not response.streaming  # not a static file
        if page and ("html" in content_type or "xml" in content_type):
            body = response.content
            queue += [p for p in same_site_paths(body.decode()) if p not in seen]
            if "xml" in content_type:  # sitemaps and feeds name their pages in <loc> and <link>
                for url in re.findall(r"<(?:loc|link)[^>]*>(https?://[^<]+)<", body.decode()):
                    queue.append(urlsplit(url).path)
        elif page and content_type.startswith("application/feed+json"):  # its pages, images
            queue += [urlsplit(url).path for url in json_feed_urls(json.loads(response.content))]
        finish(response)
    return seen


def json_feed_urls(feed):
    yield from (feed.get(name) for name in ("home_page_url", "feed_url") if feed.get(name))
    for item in feed["items"]:
        yield from (item[name] for name in ("url", "image") if name in item)
        yield from (attachment["url"] for attachment in item.get("attachments", []))


def finish(response):
    """Read a streamed response (a static file) to its end, which closes it as a server
    would; the test client has closed the others."""
    if response.streaming:
        b"".join(response.streaming_content)


@pytest.fixture
def demo(settings):
    settings.GUTBRAIN_PAGE_CACHE = False
    call_command("load_demo", verbosity=0)


# The last but one is an Arabic-Indic digit one.
BAD_NUMBERS = ["0", "-1", "1.5", "abc", "99999999999999999999999", "1e309", "%00", "\u0661", ""]
BAD_SEGMENTS = [
    "ünïcödé",
    "💩",
    "a" * 5000,
    "%zz",
    "%C3%28",
    "%00",
    "%2e%2e",
    "..",
    "<script>",
    "' OR 1=1 --",
    "%F0%9F%92%A9",
]
ODD_HEADERS = [
    {"HTTP_ACCEPT": "*/*;q=nonsense"},
    {"HTTP_ACCEPT_LANGUAGE": "x" * 5000},
    {"HTTP_ACCEPT_ENCODING": "gzip;q=abc, br, ☃"},
    {"HTTP_IF_NONE_MATCH": '"' + "z" * 1000},
    {"HTTP_IF_MODIFIED_SINCE": "yesterday at noon"},
    {"HTTP_IF_MODIFIED_SINCE": "Sat, 01 Jan 99999 00:00:00 GMT"},
    {"HTTP_RANGE": "bytes=-1-2"},
    {"HTTP_X_FORWARDED_PROTO": "gopher"},
    {"HTTP_COOKIE": "sessionid=" + "x" * 4000 + "; csrftoken=\x00"},
    {"HTTP_USER_AGENT": "\u202e" * 100},
    {"HTTP_HOST": "evil.example.org"},
]
ODD_METHODS = ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]


def variants(path):
    """Hostile versions of one address of a pattern."""
    base = path.partition("?")[0]
    for number in BAD_NUMBERS:
        yield f"{base}?page={number}"
        yield f"{base}?p={number}"
    yield f"{base}?page=1&page=2&q=" + "x" * 3000
    yield f"{base}?q=%00%ff" + "'\"<>" * 10
    segments = base.strip("/").split("/")
    for index in range(len(segments)):
        for bad in BAD_SEGMENTS:
            changed = [*segments[:index], bad, *segments[index + 1 :]]
            yield "/" + "/".join(changed) + "/"
    yield base + "/extra/segments/"
    yield "//" + base.lstrip("/")
    yield base.rstrip("/")


def test_the_whole_site_answers_every_hostile_request_below_500(client, demo):
    pages = crawl(client)
    assert len(pages) > 30
    patterns = {}
    for path in pages:
        try:
            route = resolve(path.split("?")[0]).route
        except Resolver404:
            route = path  # a static file, served before URL patterns
        patterns.setdefault(route, path)
    # Every public pattern the site links to is here: posts, tags, series, archive, feeds.
    for expected in (
        "posts/<slug:slug>/",
        "tags/<tag:slug>/",
        "archive/<year:year>/",
        "feed/json/",
        "tags/<tag:slug>/feed/json/",
        "series/<slug:slug>/feed/json/",
        "authors/<slug:slug>/feed/json/",
    ):
        assert expected in patterns
    client.raise_request_exception = True
    checked = 0

    def check(response, what):
        nonlocal checked
        finish(response)
        assert response.status_code < 500, what
        checked += 1

    for path in patterns.values():
        for variant in variants(path):
            check(client.get(variant), variant)
        for method in ODD_METHODS:
            check(client.generic(method, path), (method, path))
        for headers in ODD_HEADERS:
            check(client.get(path, **headers), (headers, path))
    assert checked > 1000


# Pieces that have broken Markdown sanitizers, mixed with random text.
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "<iframe src=//evil>",
    "<object data=x>",
    "<embed src=x>",
    "<form action=//evil><input>",
    "<base href=//evil/>",
    "<style>*{}</style>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href=javascript:alert(1)>",
    '<div style="background:url(javascript:alert(1))">',
    "<a href='&#106;avascript:alert(1)'>x</a>",
    "<<script>script>",
    "[a]: javascript:alert(1)\n\n[b][a]",
    "<details open ontoggle=alert(1)>",
    "```\n<script>\n```",
    "> " * 50,
    "* " * 50,
    "[^1]\n\n[^1]: <script>",
    "<!-- <script> -->",
    "<p onclick=alert(1)>",
    "| a |\n|---|\n| <script> |",
]
FORBIDDEN_TAGS = {"script", "style", "iframe", "object", "embed", "form", "base"}


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_safe(html):
    parser = Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.elements:
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            assert name != "style", html
            url = re.sub(r"[\s\x00-\x1f]", "", (value or "")).lower()
            assert not url.startswith(("javascript:", "data:", "vbscript:")), html


text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40)), min_size=1, max_size=12
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=text)
@example(source="".join(HOSTILE))
def test_rendering_never_raises_or_lets_script_through(source):
    try:
        rendered = render(source, resolve_links=lambda hrefs: {}, resolve_images=lambda s: {})
    except RenderError:
        return  # too deeply nested: a clear error for the author, not a crash
    assert_safe(rendered.html)


NOISE = st.text(alphabet=st.sampled_from("<>&\"'=/ \n:;#[]()!*_`abcjsvrtpion"), max_size=300)


@settings(max_examples=200, deadline=None)
@given(source=NOISE)
def test_html_like_noise_renders_safely(source):
    try:
        rendered = render(source)
    except RenderError:
        return
    assert_safe(rendered.html)


# Addresses urllib refuses or that feeds once choked on, and the parts to build more from.
ODD_ADDRESSES = [
    "http://[",
    "http://[oops]/",
    "http://[::1/",
    "//[x]",
    "http://host:99999/",
    "http://host:port/",
    "https://%zz/",
    "http://a\u2100b/",
    "javascript:alert(1)",
    "data:text/html,x",
    "ftp://[x]/",
]
address = st.one_of(
    st.sampled_from(ODD_ADDRESSES),
    st.builds(
        "{}//{}{}{}".format,
        st.sampled_from(
            ["", "http:", "https:", "ftp:", "javascript:", "data:", "HTTP:", "mailto:"]
        ),
        st.one_of(
            st.sampled_from(
                ["[", "[oops]", "[::1", "[::1]", "[x", "%zz", "ünï.de", "a\u2100b", ""]
            ),
            st.text(max_size=8),
        ),
        st.one_of(
            st.sampled_from(["", ":", ":99999", ":port", ":-1", ":0", ":65535"]),
            st.text(max_size=4).map(":".__add__),
        ),
        st.sampled_from(["", "/", "/a.png", "?q=[", "#f"]),
    ),
)


def readable(url):
    try:
        urlsplit(url).port  # noqa: B018 (reading the port checks it)
    except ValueError:
        return False
    return True


@pytest.fixture
def post_in_every_feed(make_post):
    post = make_post(title="Odd addresses", tags=["Odd"])
    series = Series.objects.create(title="Odd", slug="odd")
    SeriesPart.objects.create(series=series, post=post, position=1)
    return post


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(addresses=st.lists(address, min_size=1, max_size=3))
def test_odd_hosts_ports_and_schemes_break_no_feed(client, post_in_every_feed, addresses):
    """Links and images to any address render to HTML whose every address urllib can read,
    and every feed (site, tag, series; RSS and Atom) shows the post."""
    post = post_in_every_feed
    post.body = "\n\n".join(f"[link]({url}) ![image]({url}) <{url}>" for url in addresses)
    post.save()
    addresses_kept = Links()
    addresses_kept.feed(post.body_html)
    assert all(readable(url) for url in addresses_kept.hrefs)
    for url in [
        "/feed/rss/", "/feed/atom/", "/tags/odd/feed/rss/", "/tags/odd/feed/atom/",
        "/series/odd/feed/rss/", "/series/odd/feed/atom/",
    ]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        [entry] = feedparser.parse(response.content).entries
        assert entry.title == "Odd addresses"
