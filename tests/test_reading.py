"""What readers and their tools get around the posts: related posts, page metadata,
sitemaps and robots.txt."""

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from posts.models import AuthorProfile, Post, Series, SeriesPart
from posts.sitemaps import PostSitemap
from posts.surroundings import related

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


class HeadParser(HTMLParser):
    """The <title>, <meta> and <link> elements of a page, as a reader's tools see them."""

    def __init__(self):
        super().__init__()
        self.meta, self.links, self.lang, self.title, self._in_title = {}, {}, None, "", False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and ("name" in attrs or "property" in attrs):
            key = attrs.get("name") or attrs.get("property")
            self.meta.setdefault(key, []).append(attrs.get("content"))
        elif tag == "link" and "rel" in attrs:
            self.links.setdefault(attrs["rel"], []).append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def head_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


# Related posts


def test_related_posts_share_the_most_tags_newest_first_and_never_the_post_itself(
    client, make_post
):
    now = timezone.now()
    post = make_post(title="The post", tags=["Gut", "Brain", "Mood"])
    make_post(title="Two shared, older", tags=["Gut", "Brain"], published_at=now - timedelta(3))
    make_post(title="Two shared, newer", tags=["Gut", "Mood"], published_at=now - timedelta(2))
    make_post(title="Three shared", tags=["Gut", "Brain", "Mood"], published_at=now - timedelta(9))
    make_post(title="One shared", tags=["Gut"])
    make_post(title="Nothing shared", tags=["Sleep"])
    make_post(title="Draft", tags=["Gut", "Brain", "Mood"], status=Post.Status.DRAFT)
    make_post(title="Scheduled", tags=["Gut", "Brain", "Mood"], published_at=now + timedelta(1))

    response = client.get(post.get_absolute_url())
    assert [other.title for other in response.context["related"]] == [
        "Three shared",
        "Two shared, newer",
        "Two shared, older",
    ]
    section = response.content.decode().split('id="related-heading"')[1].split("</section>")[0]
    assert section.count("<li>") == 3
    assert "The post</a>" not in section


def test_a_post_without_tags_has_no_related_section(client, make_post):
    post = make_post(title="Untagged")
    make_post(title="Other", tags=["Gut"])
    content = client.get(post.get_absolute_url()).content.decode()
    assert "Related posts" not in content


# Metadata on every public page


@pytest.fixture
def site(make_post):
    post = make_post(
        title="The Link between Mental Health and Gut Health",
        slug="the-link",
        summary="How the gut and the brain talk.",
        body="Text about the vagus nerve & serotonin.",
        tags=["Gut Health", "Mental Health"],
    )
    series = Series.objects.create(title="Gut and Mind", description="A series on the **gut**.")
    SeriesPart.objects.create(series=series, post=post, position=1)
    AuthorProfile.objects.create(
        user=post.author, slug="ada-writer", display_name="Ada Writer", bio="Writes on the gut."
    )
    return post


def public_urls(post):
    year, month = post.published_at.year, post.published_at.month
    return [
        reverse("posts:home"),
        post.get_absolute_url(),
        reverse("posts:tag", args=["gut-health"]),
        reverse("posts:tag_list"),
        reverse("posts:series_list"),
        reverse("posts:series", args=["gut-and-mind"]),
        reverse("posts:author", args=["ada-writer"]),
        reverse("posts:archive"),
        reverse("posts:archive_year", args=[year]),
        reverse("posts:archive_month", args=[year, month]),
        reverse("posts:search"),
        reverse("posts:search") + "?q=vagus",
    ]


def test_every_public_page_has_title_description_canonical_and_social_metadata(client, site):
    titles = set()
    for url in public_urls(site):
        head = head_of(client, url)
        assert head.lang == "en"
        assert head.title.strip(), url
        titles.add(head.title)
        (description,) = head.meta["description"]
        assert len(description) > 10, url
        if "?q=" in url:
            continue  # results are not for indexing: see below
        (canonical,) = head.links["canonical"]
        assert canonical == "http://testserver" + url.split("?")[0], url
        assert head.meta["og:url"] == [canonical]
        assert head.meta["og:title"][0]
        assert head.meta["og:description"] == [description]
        assert head.meta["og:type"][0] in ("website", "article", "profile")
        assert head.meta["twitter:card"] == ["summary_large_image"]
        (card,) = head.meta["og:image"]
        assert card.startswith("http://testserver/")
        assert head.meta["og:image:width"] == ["1200"]
        assert head.meta["og:image:height"] == ["630"]
        assert head.meta["og:image:alt"][0]
    assert len(titles) == len(public_urls(site))


def test_post_metadata_describes_the_article(client, site):
    head = head_of(client, site.get_absolute_url())
    assert head.title == "The Link between Mental Health and Gut Health · gutbrain"
    assert head.meta["description"] == ["How the gut and the brain talk."]
    assert head.meta["og:type"] == ["article"]
    assert head.meta["og:title"] == ["The Link between Mental Health and Gut Health"]
    assert head.meta["article:published_time"] == [site.published_at.isoformat()]
    assert sorted(head.meta["article:tag"]) == ["Gut Health", "Mental Health"]


def test_a_post_without_summary_is_described_by_its_opening_words(client, make_post):
    post = make_post(summary="", body="Fibre feeds the microbes & they feed us. " * 20)
    (description,) = head_of(client, post.get_absolute_url()).meta["description"]
    assert description.startswith("Fibre feeds the microbes & they feed us.")
    assert description.endswith("…")
    assert len(description.split()) <= 31


def test_series_page_is_described_by_its_description(client, site):
    head = head_of(client, reverse("posts:series", args=["gut-and-mind"]))
    assert head.meta["description"] == ["A series on the gut."]


def test_canonical_of_a_later_page_keeps_the_page_number(client, make_post, settings):
    settings.GUTBRAIN_POSTS_PER_PAGE = 1
    make_post()
    make_post()
    head = head_of(client, reverse("posts:home") + "?page=2&utm_source=x")
    assert head.links["canonical"] == ["http://testserver/?page=2"]
    head = head_of(client, reverse("posts:home") + "?page=1")
    assert head.links["canonical"] == ["http://testserver/"]


def test_canonical_uses_the_configured_public_address(client, site, settings):
    settings.GUTBRAIN_SITE_URL = "https://gutbrain.example.org"
    head = head_of(client, site.get_absolute_url())
    assert head.links["canonical"] == ["https://gutbrain.example.org/posts/the-link/"]


# robots.txt and sitemaps


def test_robots_txt_names_the_sitemap_and_keeps_crawlers_out_of_the_admin(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def sitemap_locations(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    root = ElementTree.fromstring(response.content)
    return {
        element.findtext("sm:loc", namespaces=SITEMAP_NS): element.findtext(
            "sm:lastmod", namespaces=SITEMAP_NS
        )
        for element in root
    }


def test_sitemap_lists_every_public_page_and_nothing_else(client, site, make_post):
    make_post(title="A draft", slug="a-draft", tags=["Secret"], status=Post.Status.DRAFT)
    sections = sitemap_locations(client, "/sitemap.xml")
    assert set(sections) == {
        f"http://testserver/sitemap-{name}.xml"
        for name in ("pages", "posts", "tags", "series", "authors", "archive")
    }
    # The index gives each section's latest change as a W3C datetime.
    newest = max(post.last_changed for post in Post.objects.published())
    latest = sections["http://testserver/sitemap-posts.xml"]
    assert datetime.fromisoformat(latest) == newest
    pages = {}
    for section in sections:
        pages.update(sitemap_locations(client, section))
    year, month = site.published_at.year, site.published_at.month
    assert set(pages) == {
        f"http://testserver{path}"
        for path in [
            "/",
            "/series/",
            "/tags/",
            "/authors/ada-writer/",
            "/posts/the-link/",
            "/tags/gut-health/",
            "/tags/mental-health/",
            "/series/gut-and-mind/",
            "/archive/",
            f"/archive/{year}/",
            f"/archive/{year}/{month:02d}/",
        ]
    }
    # Every page the sitemap lists answers.
    for url in pages:
        assert client.get(url.removeprefix("http://testserver")).status_code == 200, url


def test_a_posts_lastmod_is_its_last_content_change(client, site):
    changed = timezone.now() + timedelta(days=2)
    Post.objects.filter(pk=site.pk).update(content_changed_at=changed)
    pages = sitemap_locations(client, "/sitemap-posts.xml")
    assert pages["http://testserver/posts/the-link/"] == changed.date().isoformat()
    assert client.get("/sitemap-posts.xml")["Last-Modified"]


def test_a_big_section_is_paged_in_the_index(client, make_post, monkeypatch):
    monkeypatch.setattr(PostSitemap, "limit", 2)
    for _ in range(5):
        make_post()
    sections = sitemap_locations(client, "/sitemap.xml")
    assert {url for url in sections if "posts" in url} == {
        "http://testserver/sitemap-posts.xml",
        "http://testserver/sitemap-posts.xml?p=2",
        "http://testserver/sitemap-posts.xml?p=3",
    }
    assert len(sitemap_locations(client, "/sitemap-posts.xml?p=3")) == 1
    assert client.get("/sitemap-posts.xml?p=4").status_code == 404
    assert client.get("/sitemap-posts.xml?p=x").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # Sizes and dates are remembered until content changes; the first to need one after a
        # change also looks up the next scheduled publication, which bounds how long.
        ("/sitemap.xml", 10),  # sizes and latest changes of the sections, next
        ("/sitemap-posts.xml", 3),  # count, next, page
        ("/sitemap-tags.xml", 3),
        ("/sitemap-archive.xml", 2),
    ],
)
def test_sitemaps_run_a_constant_number_of_queries(
    client, make_post, url, queries, django_assert_num_queries, settings
):
    settings.GUTBRAIN_PAGE_CACHE = False  # counts of building the sitemap
    for number in range(30):
        make_post(tags=[f"Tag {number % 7}"])
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_pages_declare_a_language_and_no_remote_fonts_or_scripts(client, site):
    for url in public_urls(site):
        content = client.get(url).content.decode()
        assert '<html lang="en">' in content
        assert not re.search(r"<script(?![^>]*application/ld\+json)", content), url
        assert "fonts.googleapis" not in content


@pytest.mark.parametrize("page", ["²", "٣", "9" * 5000, "-1", "1e3"])
def test_odd_page_numbers_never_break_a_page(client, site, page):
    assert client.get(reverse("posts:home"), {"page": page}).status_code == 404
    response = client.get(site.get_absolute_url(), {"page": page})
    assert response.status_code == 200
    # A page that is not paginated is its own canonical address, whatever the query says.
    assert head_of(client, site.get_absolute_url() + "?page=7").links["canonical"] == [
        "http://testserver/posts/the-link/"
    ]


def test_pages_for_no_one_to_index_name_no_canonical_address(client, site):
    for url, status in [
        (reverse("posts:search") + "?q=vagus", 200),
        ("/no-such-page/", 404),
    ]:
        response = client.get(url)
        assert response.status_code == status
        parser = HeadParser()
        parser.feed(response.content.decode())
        assert parser.meta["robots"] == ["noindex, follow"]
        assert "canonical" not in parser.links
        assert "og:url" not in parser.meta


def test_a_scheduled_then_published_post_was_not_modified_before_it_went_public(client, make_post):
    post = make_post(title="Scheduled")
    # Written a day ago, scheduled for five minutes ago.
    now = timezone.now()
    Post.objects.filter(pk=post.pk).update(
        content_changed_at=now - timedelta(days=1), published_at=now - timedelta(minutes=5)
    )
    head = head_of(client, post.get_absolute_url())
    assert head.meta["article:modified_time"] == head.meta["article:published_time"]


def test_series_description_is_plain_text_once_escaped(client, make_post):
    post = make_post()
    series = Series.objects.create(title="Gut & Brain", description="Bugs **&** moods.")
    SeriesPart.objects.create(series=series, post=post, position=1)
    content = client.get(series.get_absolute_url()).content.decode()
    assert '<meta name="description" content="Bugs &amp; moods.">' in content


def test_sitemaps_and_robots_use_the_configured_public_address(client, site, settings):
    settings.GUTBRAIN_SITE_URL = "https://gutbrain.example.org"
    pages = sitemap_locations(client, "/sitemap-posts.xml")
    assert list(pages) == ["https://gutbrain.example.org/posts/the-link/"]
    assert (
        "Sitemap: https://gutbrain.example.org/sitemap.xml"
        in client.get("/robots.txt").content.decode().splitlines()
    )
    content = client.get(site.get_absolute_url()).content.decode()
    assert '"url": "https://gutbrain.example.org/posts/the-link/"' in content


def test_related_posts_come_from_the_newest_posts_sharing_a_tag(make_post):
    now = timezone.now()
    post = make_post(title="The post", tags=["Gut", "Brain"])
    make_post(title="Old, both tags", tags=["Gut", "Brain"], published_at=now - timedelta(30))
    make_post(title="Newer, one tag", tags=["Gut"], published_at=now - timedelta(2))
    make_post(title="Newest, one tag", tags=["Brain"], published_at=now - timedelta(1))
    tags = list(post.tags.all())
    assert [other.title for other in related(post, tags, among=2)] == [
        "Newest, one tag",
        "Newer, one tag",
    ]
    assert related(post, tags)[0].title == "Old, both tags"
