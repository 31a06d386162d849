"""Feeds as a feed reader sees them: found by autodiscovery, parsed with feedparser."""

import json
import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from io import StringIO

import feedparser
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains
from taggit.models import Tag

from posts.feeds import ENTRIES
from posts.models import Post, Resource, Series, SeriesPart, TaggedPost
from tests.json_feed_rules import as_parsed, json_feed_problems

pytestmark = pytest.mark.django_db

# feedparser would quietly make relative links absolute and hide the bug a reader would see.
feedparser.RESOLVE_RELATIVE_URIS = False

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}


class AlternateLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.feeds = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "alternate" and attrs.get("type") in FEED_TYPES:
            self.feeds.append(attrs["href"])


def discover(client, url):
    """The feeds a page advertises, as a feed reader finds them."""
    parser = AlternateLinks()
    parser.feed(client.get(url).content.decode())
    return parser.feeds


def fetch(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    if response["Content-Type"].startswith("application/feed+json"):
        document = json.loads(response.content)
        assert json_feed_problems(document) == [], url
        return response, as_parsed(document)
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return response, parsed


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())
    return Post.objects.get(slug="the-link-between-mental-health-and-gut-health")


def test_every_page_kind_advertises_its_feeds(client, demo):
    """Home: the site's feeds; tag and series pages: theirs too; a post: its series' feeds."""
    assert discover(client, "/") == ["/feed/rss/", "/feed/atom/", "/feed/json/"]
    assert discover(client, "/tags/gut-health/") == [
        "/tags/gut-health/feed/rss/", "/tags/gut-health/feed/atom/",
        "/tags/gut-health/feed/json/", "/feed/rss/", "/feed/atom/", "/feed/json/",
    ]  # fmt: skip
    assert discover(client, "/series/gut-and-mind/")[:3] == [
        "/series/gut-and-mind/feed/rss/",
        "/series/gut-and-mind/feed/atom/",
        "/series/gut-and-mind/feed/json/",
    ]
    post_feeds = set(discover(client, demo.get_absolute_url()))
    assert {"/series/gut-and-mind/feed/atom/", "/series/gut-and-mind/feed/json/"} <= post_feeds
    home = client.get("/").content.decode()
    assert 'Subscribe to all posts: <a href="/feed/rss/"' in home


def test_feeds_found_by_autodiscovery_parse_with_complete_entries(client, demo):
    """Every advertised feed parses cleanly and its entries carry all a reader needs."""
    pages = ["/", "/tags/gut-health/", "/series/gut-and-mind/", demo.get_absolute_url()]
    feeds = {feed for page in pages for feed in discover(client, page)}
    assert len(feeds) == 9
    content_types = {
        "rss": "application/rss+xml",
        "atom": "application/atom+xml",
        "json": "application/feed+json",
    }
    for url in sorted(feeds):
        response, parsed = fetch(client, url)
        kind = url.rstrip("/").rpartition("/")[2]
        assert response["Content-Type"] == f"{content_types[kind]}; charset=utf-8"
        assert parsed.feed.title.startswith("gutbrain")
        assert parsed.feed.link.startswith("http://testserver/")
        titles = [entry.title for entry in parsed.entries]
        assert titles[0] == demo.title  # newest first
        for entry in parsed.entries:
            post = Post.objects.get(title=entry.title)
            assert entry.link == f"http://testserver{post.get_absolute_url()}"
            assert entry.id == f"urn:uuid:{post.guid}"
            assert entry.published_parsed[:6] == post.published_at.utctimetuple()[:6]
            if kind != "rss":  # RSS items have no updated date
                assert entry.updated_parsed is not None
            assert entry.author == "Demo Author"
            assert sorted(tag.term for tag in entry.tags) == sorted(
                tag.name for tag in post.tags.all()
            )
            assert unescape(entry.summary) == post.summary
            content = entry.content[0].value
            assert "<h2>Resources</h2>" in content or "Resources</h2>" in content
            for match in re.findall(r'(?:href|src)="([^"]*)"', content):
                assert match.startswith(("http://", "https://", "mailto:")), (url, match)


def test_entry_content_makes_every_link_absolute(client, make_post):
    """Internal links, footnotes, citations, resource anchors and images point at the site."""
    target = make_post(slug="earlier")
    post = make_post(
        slug="later",
        body="See [earlier](post:earlier), [#1] and a note[^1]. ![chart](/media/chart.png)\n\n"
        "[^1]: A footnote.",
    )
    Resource.objects.create(post=post, number=1, title="Study")
    post.refresh_from_db()
    raw = client.get(reverse("posts:feed_atom")).content.decode()
    assert "href=&quot;/" not in raw and "src=&quot;/" not in raw
    assert "href=&quot;#" not in raw
    _, parsed = fetch(client, reverse("posts:feed_atom"))
    [entry] = [e for e in parsed.entries if e.title == post.title]
    content = entry.content[0].value
    base = "http://testserver/posts/later/"
    assert f'href="http://testserver{target.get_absolute_url()}"' in content
    assert f'href="{base}#resource-1"' in content
    assert f'href="{base}#md-fn:1"' in content
    assert f'href="{base}#md-cite-1-1"' in content
    assert 'src="http://testserver/media/chart.png"' in content


def test_the_guid_survives_renames_and_retitles(client, make_post):
    """A post's id in the feed never changes, so readers never see it again as new."""
    post = make_post(title="First title", slug="first-slug")
    _, before = fetch(client, reverse("posts:feed_rss"))
    post.title, post.slug = "Second title", "second-slug"
    post.save()
    _, after = fetch(client, reverse("posts:feed_rss"))
    assert before.entries[0].id == after.entries[0].id == f"urn:uuid:{post.guid}"
    assert after.entries[0].link.endswith("/posts/second-slug/")


def test_updated_moves_on_content_edits_only(make_post):
    """Title, summary, body and resource edits move the date; tags, series and status do not."""
    post = make_post(tags=["Sleep"])
    post.refresh_from_db()
    first = post.content_changed_at
    post.tags.add("Gut Health")
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=post, position=1)
    post.save()
    post.refresh_from_db()
    assert post.content_changed_at == first
    post.body += " More."
    post.save()
    post.refresh_from_db()
    second = post.content_changed_at
    assert second > first
    resource = Resource.objects.create(post=post, number=1, title="A study")
    post.refresh_from_db()
    assert post.content_changed_at > second
    third = post.content_changed_at
    resource.delete()
    post.refresh_from_db()
    assert post.content_changed_at > third


def test_only_public_posts_appear_and_scheduled_ones_in_their_time(client, make_post, monkeypatch):
    """Drafts never; a scheduled post appears in its time; the feed is never dated ahead."""
    make_post(title="Public")
    make_post(title="Draft", status=Post.Status.DRAFT)
    soon = timezone.now() + timedelta(hours=1)
    make_post(title="Scheduled", published_at=soon)
    for url in (reverse("posts:feed_rss"), reverse("posts:feed_atom"), reverse("posts:feed_json")):
        _, parsed = fetch(client, url)
        assert [e.title for e in parsed.entries] == ["Public"]
        if url == reverse("posts:feed_json"):
            continue  # a JSON feed has no date of its own
        feed_date = parsed.feed.get("updated_parsed")
        assert feed_date is not None
        assert feed_date <= timezone.now().utctimetuple()
    later = soon + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    for url in (reverse("posts:feed_rss"), reverse("posts:feed_json")):
        _, parsed = fetch(client, url)
        assert [e.title for e in parsed.entries] == ["Scheduled", "Public"]


def test_feeds_hold_the_newest_twenty(client, make_post):
    """Twenty entries, newest first."""
    now = timezone.now()
    for hours in range(ENTRIES + 3):
        make_post(title=f"{hours} hours old", published_at=now - timedelta(hours=hours + 1))
    _, parsed = fetch(client, reverse("posts:feed_atom"))
    assert [e.title for e in parsed.entries] == [f"{h} hours old" for h in range(ENTRIES)]


def test_conditional_get_answers_304_until_something_changes(client, make_post):
    """An up-to-date reader gets an empty 304; publishing, editing or unpublishing changes both
    validators."""
    post = make_post()
    url = reverse("posts:feed_rss")

    def validators():
        response = client.get(url)
        return response["ETag"], response["Last-Modified"]

    etag, last_modified = validators()
    for headers in ({"HTTP_IF_NONE_MATCH": etag}, {"HTTP_IF_MODIFIED_SINCE": last_modified}):
        response = client.get(url, **headers)
        assert response.status_code == 304
        assert response.content == b""

    clock = timezone.now()

    def changed(action):
        nonlocal etag, last_modified, clock
        # HTTP dates have whole seconds: make each change visibly later than the last.
        clock += timedelta(seconds=2)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(timezone, "now", lambda: clock)
            action()
            new_etag, new_last_modified = validators()
        assert new_etag != etag and new_last_modified != last_modified
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 200
        etag, last_modified = new_etag, new_last_modified

    changed(lambda: make_post(title="Newly published"))

    def edit():
        post.body = "Edited."
        post.save()

    changed(edit)

    def unpublish():
        post.status = Post.Status.DRAFT
        post.save()

    changed(unpublish)


def test_last_modified_is_never_ahead_of_now(client, make_post):
    """A scheduled post does not date the feed in the future."""
    make_post()
    make_post(published_at=timezone.now() + timedelta(days=3))
    response = client.get(reverse("posts:feed_atom"))
    modified = timezone.datetime.strptime(response["Last-Modified"], "%a, %d %b %Y %H:%M:%S GMT")
    assert timezone.make_aware(modified, timezone.UTC) <= timezone.now()


@pytest.mark.parametrize(
    "url",
    [
        "/tags/nope/feed/rss/",
        "/tags/nope/feed/atom/",
        "/series/nope/feed/rss/",
        "/series/nope/feed/atom/",
        "/tags/draft-only/feed/rss/",
        "/tags/nope/feed/json/",
        "/series/nope/feed/json/",
        "/tags/draft-only/feed/json/",
    ],
)
def test_unknown_or_unpublished_tag_and_series_feeds_are_404(client, make_post, url):
    """A feed for a tag or series with nothing public is a 404."""
    make_post(status=Post.Status.DRAFT, tags=["Draft only"])
    assert client.get(url).status_code == 404


def test_control_characters_from_a_pdf_still_give_a_valid_feed(client, make_post):
    """Characters XML cannot carry are dropped, and the feed parses."""
    make_post(
        title="Pasted\x0b from\x00 a PDF",
        summary="Form\x0cfeed",
        body="Text with\x01 control\x1f characters \ufffe.",
        tags=["Odd\x07tag"],
    )
    for url in (reverse("posts:feed_rss"), reverse("posts:feed_atom"), reverse("posts:feed_json")):
        _, parsed = fetch(client, url)
        [entry] = parsed.entries
        assert entry.title == "Pasted from a PDF"
        assert "Text with control characters" in entry.content[0].value


def test_demo_series_feed_in_a_reader(client, demo):
    """The series feed shows the three parts with absolute links and resources; a rename does
    not make a post new; a second poll is a 304."""
    series_feed = discover(client, "/series/gut-and-mind/")[0]
    assert series_feed == "/series/gut-and-mind/feed/rss/"
    _, parsed = fetch(client, series_feed)
    assert len(parsed.entries) == 3
    seed = parsed.entries[0]
    assert "http://testserver/posts/how-the-gut-talks-to-the-brain/" in seed.content[0].value
    assert "doi.org/10.1038/s41564-018-0337-x" in seed.content[0].value
    ids = [entry.id for entry in parsed.entries]

    part_one = Post.objects.get(slug="how-the-gut-talks-to-the-brain")
    part_one.slug = "gut-brain-conversation"
    part_one.save()
    _, after = fetch(client, series_feed)
    assert [entry.id for entry in after.entries] == ids
    assert "http://testserver/posts/gut-brain-conversation/" in after.entries[0].content[0].value

    again = client.get(series_feed, HTTP_IF_NONE_MATCH=client.get(series_feed)["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize("count", [20, 500])
def test_feed_queries_do_not_grow_with_posts(
    client, author, count, django_assert_num_queries, settings
):
    """A tag feed costs the same queries with 20 posts as with 500."""
    settings.GUTBRAIN_PAGE_CACHE = False  # counts of building the feed
    now = timezone.now()
    posts = Post.objects.bulk_create(
        Post(
            title=f"Post {n}",
            slug=f"post-{n}",
            author=author,
            body="Text",
            body_html="<p>Text</p>",
            status=Post.Status.PUBLISHED,
            published_at=now - timedelta(minutes=n + 1),
        )
        for n in range(count)
    )
    tag = Tag.objects.create(name="Gut Health", slug="gut-health")
    TaggedPost.objects.bulk_create(TaggedPost(tag=tag, content_object=post) for post in posts)
    Resource.objects.bulk_create(Resource(post=post, number=1, title="Study") for post in posts)
    # tag, any public post, posts with authors, their tags, their resources
    with django_assert_num_queries(5):
        response = client.get("/tags/gut-health/feed/atom/")
    assert feedparser.parse(response.content).entries[0].title == "Post 0"
    # posts with authors, their tags, their resources
    with django_assert_num_queries(3):
        client.get("/feed/rss/")
    with django_assert_num_queries(3):
        response = client.get("/feed/json/")
    assert json.loads(response.content)["items"][0]["title"] == "Post 0"


def assert_feed_changed(client, url, later, action):
    """After `action`, a reader holding the old validators gets the new feed, never a 304."""
    etag, last_modified = validators(client, url)
    later()
    action()
    response = client.get(url)
    assert response["ETag"] != etag
    assert response["Last-Modified"] != last_modified
    for headers in ({"HTTP_IF_NONE_MATCH": etag}, {"HTTP_IF_MODIFIED_SINCE": last_modified}):
        assert client.get(url, **headers).status_code == 200


def validators(client, url):
    response = client.get(url)
    return response["ETag"], response["Last-Modified"]


@pytest.fixture
def later(monkeypatch):
    """Moves the clock on by whole seconds, as HTTP dates need to see a change."""
    clock = [timezone.now()]

    def later():
        clock[0] += timedelta(seconds=2)
        monkeypatch.setattr(timezone, "now", lambda: clock[0])

    return later


def test_feeds_change_when_a_post_leaves_or_joins_them(client, make_post, later):
    """Deleting the newest post, untagging it, or adding an older post to a series changes the
    tag and series feeds, for ETag and If-Modified-Since readers alike."""
    older = make_post(
        title="Older", tags=["Sleep"], published_at=timezone.now() - timedelta(days=9)
    )
    newest = make_post(title="Newest", tags=["Sleep"])
    series = Series.objects.create(title="Sleep series")
    SeriesPart.objects.create(series=series, post=newest, position=2)
    tag_feed, series_feed = "/tags/sleep/feed/rss/", "/series/sleep-series/feed/atom/"

    assert_feed_changed(client, tag_feed, later, lambda: newest.tags.remove("Sleep"))
    assert_feed_changed(
        client,
        series_feed,
        later,
        lambda: SeriesPart.objects.create(series=series, post=older, position=1),
    )
    newest.tags.add("Sleep")
    assert_feed_changed(client, tag_feed, later, newest.delete)


def test_feeds_change_when_what_an_entry_shows_changes(client, make_post, later):
    """New tags (categories), a renamed tag, and a linked post's rename change the feed."""
    target = make_post(slug="target", tags=["Gut Health"])
    make_post(title="Linker", body="[see](post:target)", tags=["Gut Health"])
    url = reverse("posts:feed_atom")
    assert_feed_changed(client, url, later, lambda: target.tags.add("Microbiome"))

    def rename_tag():
        tag = Tag.objects.get(name="Microbiome")
        tag.name = "Gut flora"
        tag.save()

    assert_feed_changed(client, url, later, rename_tag)

    def rename_target():
        target.slug = "target-renamed"
        target.save()

    assert_feed_changed(client, url, later, rename_target)
    _, parsed = fetch(client, url)
    [linker] = [entry for entry in parsed.entries if entry.title == "Linker"]
    assert "http://testserver/posts/target-renamed/" in linker.content[0].value


def test_last_modified_never_goes_back(client, make_post, later):
    """When the most recently changed post leaves the feed, the date still moves forward."""
    make_post(title="Old", published_at=timezone.now() - timedelta(days=30))
    latest = make_post(title="Latest")
    url = reverse("posts:feed_rss")
    _, first = validators(client, url)
    later()
    latest.delete()
    _, second = validators(client, url)
    parse = lambda value: timezone.datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT")  # noqa: E731
    assert parse(second) > parse(first)


def test_summary_is_shown_as_typed(client, make_post):
    """A summary is plain text: markup in it is shown, not interpreted."""
    make_post(summary="5 < 7 & <b>bold</b> <img src=x>")
    raw = client.get(reverse("posts:feed_rss")).content.decode()
    assert "&lt;b&gt;" not in raw or "&amp;lt;b&amp;gt;" in raw
    _, parsed = fetch(client, reverse("posts:feed_rss"))
    assert unescape(parsed.entries[0].summary) == "5 < 7 & <b>bold</b> <img src=x>"


def test_only_attributes_are_made_absolute(client, make_post):
    """Text that looks like an attribute, as in code, is left as written."""
    make_post(slug="code", body='Write `<a href="#top">` for a link to the top.')
    _, parsed = fetch(client, reverse("posts:feed_atom"))
    assert '&lt;a href="#top"&gt;' in parsed.entries[0].content[0].value


@pytest.mark.parametrize(
    "url",
    [
        "/tags/%00/feed/rss/",
        "/tags/%00/",
        "/tags/nope/feed/rss/",
        "/series/nope/feed/atom/",
        "/tags/%00/feed/json/",
        "/authors/nope/feed/json/",
    ],
)
def test_odd_or_unknown_feeds_are_404_even_for_any_etag(client, url):
    """Control characters in a tag address, and `If-None-Match: *` for a missing feed: 404."""
    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 404


def test_feeds_for_another_host_have_their_own_validators(client, make_post):
    """The same feed under another host name has other links, so another ETag."""
    make_post()
    url = reverse("posts:feed_rss")
    etag = client.get(url)["ETag"]
    other = client.get(url, HTTP_HOST="localhost", HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200
    assert b"http://localhost/posts/" in other.content


def test_tag_and_series_names_with_control_characters_keep_feeds_valid(client, make_post):
    """A tag or series named with an invisible character still gives a valid feed."""
    post = make_post(tags=["Odd\x07tag"])
    series = Series.objects.create(title="Bad\x0bseries", slug="bad-series")
    SeriesPart.objects.create(series=series, post=post, position=1)
    for url in (
        "/tags/oddtag/feed/rss/",
        "/series/bad-series/feed/atom/",
        "/tags/oddtag/feed/json/",
    ):
        _, parsed = fetch(client, url)
        assert len(parsed.entries) == 1


def every_feed(post):
    """The site's, the post's first tag's and its first series' feeds, in every format."""
    tag = post.tags.first().slug
    series = post.series.first().slug
    return [
        reverse("posts:feed_rss"),
        reverse("posts:feed_atom"),
        reverse("posts:tag_feed_rss", args=[tag]),
        reverse("posts:tag_feed_atom", args=[tag]),
        reverse("posts:series_feed_rss", args=[series]),
        reverse("posts:series_feed_atom", args=[series]),
        reverse("posts:feed_json"),
        reverse("posts:tag_feed_json", args=[tag]),
        reverse("posts:series_feed_json", args=[series]),
    ]


@pytest.fixture
def post_in_a_series(make_post):
    post = make_post(title="Odd links", tags=["Links"])
    series = Series.objects.create(title="Odd", slug="odd")
    SeriesPart.objects.create(series=series, post=post, position=1)
    return post


@pytest.mark.parametrize(
    "body",
    ["[x](http://[oops]/)", "[x](//[x])", "![i](https://[x]/a.png)"],
)
def test_a_link_urllib_cannot_read_breaks_no_feed_or_page(client, post_in_a_series, body):
    """Every feed still parses with the post in it, its link text or image description kept;
    the post's page, home and the sitemap answer too."""
    post = post_in_a_series
    post.body = f"Before {body} after."
    post.save()
    for url in every_feed(post):
        _, parsed = fetch(client, url)
        [entry] = parsed.entries
        assert entry.title == "Odd links"
        content = entry.content[0].value
        assert re.search(r"Before (<a>)?[xi](</a>)? after\.", content), content
        assert "[" not in content
    for url in (post.get_absolute_url(), reverse("posts:home")):
        assertContains(client.get(url), "Odd links")
    sitemap = client.get(reverse("posts:sitemap_section", args=["posts"]))
    assertContains(sitemap, f"http://testserver{post.get_absolute_url()}")


def test_a_body_stored_with_such_a_link_before_still_gives_every_feed(client, post_in_a_series):
    """HTML saved before the sanitiser dropped these links is still served: the address that
    cannot be made absolute is left out of the entry."""
    post = post_in_a_series
    Post.objects.filter(pk=post.pk).update(
        body_html='<p>Before <a href="http://[oops]/">x</a> <img src="//[x]" alt="i"> '
        '<a href="/posts/elsewhere/">y</a></p>'
    )
    for url in every_feed(post):
        _, parsed = fetch(client, url)
        [entry] = parsed.entries
        content = entry.content[0].value
        assert "<a>x</a>" in content and '<img alt="i"' in content
        assert 'href="http://testserver/posts/elsewhere/"' in content
