from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from posts.models import Post, Resource, Series, SeriesPart

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden_posts(make_post):
    """A draft and a scheduled post sharing a tag and a series with a public post."""
    series = Series.objects.create(title="Gut and Mind")
    public = make_post(title="Public post", tags=["Gut Health"])
    draft = make_post(title="Secret draft", status=Post.Status.DRAFT, tags=["Gut Health"])
    scheduled = make_post(
        title="Secret scheduled",
        published_at=timezone.now() + timedelta(minutes=1),
        tags=["Gut Health"],
    )
    for position, post in enumerate([public, draft, scheduled], start=1):
        SeriesPart.objects.create(series=series, post=post, position=position)
    return public, draft, scheduled


def test_home_lists_latest_posts_with_title_date_summary_and_tags(client, make_post):
    """The home page shows each post's title, date, summary and linked tags, newest first."""
    older = make_post(title="Older", published_at=timezone.now() - timedelta(days=2))
    newer = make_post(title="Newer", summary="Why the gut matters.", tags=["Gut Health"])
    response = client.get(reverse("posts:home"))
    assertContains(response, f'<a href="{newer.get_absolute_url()}">Newer</a>', html=True)
    assertContains(response, "Why the gut matters.")
    assertContains(response, '<a href="/tags/gut-health/" rel="tag">Gut Health</a>', html=True)
    assertContains(response, newer.published_at.strftime("%B %Y"))
    content = response.content.decode()
    assert content.index("Newer") < content.index(older.title)


def test_home_paginates_by_ten(client, make_post):
    """Eleven posts make two pages; the second holds the oldest."""
    for days in range(11):
        make_post(title=f"Day {days} ago", published_at=timezone.now() - timedelta(days=days))
    first = client.get(reverse("posts:home"))
    second = client.get(reverse("posts:home"), {"page": 2})
    assert len(first.context["page"]) == 10
    assertContains(first, "Page 1 of 2")
    assertContains(first, '<a href="?page=2" rel="next">Older →</a>', html=True)
    assertContains(second, "Day 10 ago")
    assertNotContains(second, "Day 0 ago")


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "1.5", "", "9" * 40])
def test_bad_page_numbers_are_404(client, make_post, page):
    """A page that is not a page is a 404 in the site's style, never a 500."""
    make_post()
    response = client.get(reverse("posts:home"), {"page": page})
    assertContains(response, "Page not found", status_code=404)


def test_post_page_shows_everything_a_reader_needs(client, make_post, author):
    """Title, author, date, reading time, linked tags, series box, body and resources."""
    series = Series.objects.create(title="Gut and Mind")
    first = make_post(title="How the Gut Talks to the Brain")
    post = make_post(
        title="The Link between Mental Health and Gut Health",
        body="## Leaky gut\n\nRead Resource #4.",
        tags=["Mental Health"],
    )
    SeriesPart.objects.create(series=series, post=first, position=1)
    SeriesPart.objects.create(series=series, post=post, position=2)
    Resource.objects.create(
        post=post,
        number=4,
        title="Neuroactive potential",
        authors=[{"family": "Valles-Colomer", "given": "M"}],
        container_title="Nature Microbiology",
        year=2019,
        doi="10.1038/s41564-018-0337-x",
        pmid="30718848",
    )
    response = client.get(post.get_absolute_url())
    assertContains(response, "<h1>The Link between Mental Health and Gut Health</h1>", html=True)
    assertContains(response, "By Ada Writer")
    assertContains(response, "1 min read")
    assertContains(
        response, '<a href="/tags/mental-health/" rel="tag">Mental Health</a>', html=True
    )
    assertContains(response, "Part 2 of 2 in")
    assertContains(
        response, f'<a href="{first.get_absolute_url()}" rel="prev">{first.title}</a>', html=True
    )
    assertContains(
        response,
        '<h2 id="md-leaky-gut">Leaky gut <a aria-label="Link to this section" class="permalink"'
        ' href="#md-leaky-gut">#</a></h2>',
        html=True,
    )
    assertContains(response, '<li id="resource-4" value="4">', count=1)
    assertContains(response, 'href="https://doi.org/10.1038/s41564-018-0337-x"')
    assertContains(response, 'href="https://pubmed.ncbi.nlm.nih.gov/30718848/"')


def test_post_body_is_sanitised_on_the_page(client, make_post):
    """Hostile Markdown reaches the reader as inert HTML."""
    post = make_post(body='<script>alert(1)</script>[x](javascript:alert(2)) <b onclick="y">b</b>')
    response = client.get(post.get_absolute_url())
    assertNotContains(response, "<script>alert")
    assertNotContains(response, "javascript:")
    assertNotContains(response, "onclick")


def test_unknown_slugs_are_404_in_the_site_style(client):
    """Unknown post, tag and series addresses answer a styled 404."""
    for url in ["/posts/nope/", "/tags/nope/", "/series/nope/", "/nowhere/"]:
        response = client.get(url)
        assertContains(response, "Page not found", status_code=404)
        assertContains(response, 'class="site-header"', status_code=404)


@pytest.mark.parametrize("url", ["/archive/0/", "/archive/0000/", "/archive/10000/",
                                 "/archive/2026/0/", "/archive/2026/00/", "/archive/2026/13/",
                                 "/archive/2026/9/", "/archive/02026/09/", "/archive/1990/",
                                 "/archive/99999999999999999999/",
                                 "/archive/2026/99999999999999999999/"])  # fmt: skip
def test_impossible_or_empty_archive_dates_are_404(client, make_post, url):
    """Dates outside the calendar, or without posts, are a 404."""
    make_post()
    assertContains(client.get(url), "Page not found", status_code=404)


def test_drafts_and_scheduled_posts_never_appear(client, hidden_posts):
    """Only published() posts reach the home, tag, series, archive and post pages."""
    public, draft, scheduled = hidden_posts
    year, month = public.published_at.year, public.published_at.month
    urls = [
        reverse("posts:home"),
        reverse("posts:tag", args=["gut-health"]),
        reverse("posts:series", args=["gut-and-mind"]),
        reverse("posts:series_list"),
        reverse("posts:archive"),
        reverse("posts:archive_year", args=[year]),
        reverse("posts:archive_month", args=[year, month]),
        public.get_absolute_url(),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assertNotContains(response, "Secret")
    assertContains(client.get(public.get_absolute_url()), "Part 1 of 1 in")
    for post in (draft, scheduled):
        assert client.get(post.get_absolute_url()).status_code == 404


def test_a_tag_used_only_by_drafts_is_not_public(client, make_post):
    """The tag page of an unpublished tag is a 404, so draft tags do not leak."""
    make_post(status=Post.Status.DRAFT, tags=["Embargoed"])
    assert client.get(reverse("posts:tag", args=["embargoed"])).status_code == 404


def test_a_series_with_only_drafts_is_not_public(client, make_post):
    """A series page appears once its first part is published."""
    series = Series.objects.create(title="Embargoed series", description="Coming soon.")
    draft = make_post(status=Post.Status.DRAFT)
    SeriesPart.objects.create(series=series, post=draft, position=1)
    assertContains(client.get(series.get_absolute_url()), "Page not found", status_code=404)
    draft.status = Post.Status.PUBLISHED
    draft.save()
    assertContains(client.get(series.get_absolute_url()), "Coming soon.")


def test_unicode_tags_have_pages_and_links(client, make_post):
    """A tag such as "Über den Darm" gets a working Unicode address on every listing."""
    post = make_post(title="Darmflora", tags=["Über den Darm"])
    home = client.get(reverse("posts:home"))
    url = reverse("posts:tag", args=["über-den-darm"])
    assertContains(home, f'href="{url}"')
    assertContains(client.get(url), "Darmflora")
    assertContains(client.get(post.get_absolute_url()), "Über den Darm")


def test_tag_page_lists_its_posts(client, make_post):
    """A tag page lists the published posts with the tag, and counts them."""
    make_post(title="Tagged one", tags=["Sleep"])
    make_post(title="Untagged one")
    response = client.get(reverse("posts:tag", args=["sleep"]))
    assertContains(response, "Tagged one")
    assertNotContains(response, "Untagged one")
    assertContains(response, "1 post")


def test_series_page_lists_public_parts_in_order(client, make_post):
    """Parts appear by position, numbered among the published parts."""
    series = Series.objects.create(title="Gut and Mind", description="All about *it*.")
    for position, title in [(3, "Third"), (1, "First"), (2, "Second")]:
        SeriesPart.objects.create(series=series, post=make_post(title=title), position=position)
    response = client.get(series.get_absolute_url())
    content = response.content.decode()
    assert content.index("First") < content.index("Second") < content.index("Third")
    assertContains(response, "<p>All about <em>it</em>.</p>", html=True)
    assertContains(response, "Part 3")
    listing = client.get(reverse("posts:series_list"))
    assertContains(listing, "3 parts")


def test_archive_counts_posts_by_year_and_month(client, make_post):
    """The archive lists years with post counts; each year's page lists its months."""
    make_post(published_at=timezone.make_aware(timezone.datetime(2025, 3, 2, 12)))
    make_post(published_at=timezone.make_aware(timezone.datetime(2025, 3, 20, 12)))
    make_post(published_at=timezone.make_aware(timezone.datetime(2025, 11, 1, 12)))
    make_post(published_at=timezone.make_aware(timezone.datetime(2026, 1, 5, 12)))
    response = client.get(reverse("posts:archive"))
    years = response.content.decode().split('class="archive-years"')[1].split("</ul>")[0]
    assert years.index('<a href="/archive/2026/">2026</a>') < years.index(
        '<a href="/archive/2025/">2025</a>'
    )
    assertContains(response, '<span class="count">3 posts</span>', html=True)
    assertContains(response, '<span class="count">1 post</span>', html=True)
    year = client.get(reverse("posts:archive_year", args=[2025]))
    assertContains(year, "3 posts")
    months = year.content.decode().split('class="archive-months"')[1].split("</ul>")[0]
    assert months.index('<a href="/archive/2025/03/">March</a>') < months.index(
        '<a href="/archive/2025/11/">November</a>'
    )
    assert "January" not in months
    month = client.get("/archive/2025/03/")
    assertContains(month, "2 posts")
    assertContains(month, "March 2025")
    assertContains(client.get(reverse("posts:archive_year", args=[2026])), "1 post")


def test_server_errors_get_the_site_styled_500_page(client, settings):
    """An unexpected error shows the site's own 500 page, even with static files missing."""
    settings.ROOT_URLCONF = "tests.urls_failing"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    client.raise_request_exception = False
    response = client.get("/boom/")
    assertContains(response, "Something went wrong", status_code=500)
    assertContains(response, 'class="site-header"', status_code=500)
    assertNotContains(response, "Traceback", status_code=500)
    # Its inline style carries the nonce the policy allows, and nothing else is inline.
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assertContains(response, f'<style nonce="{nonce}">', status_code=500)


def test_a_database_outage_gets_a_503_page_to_retry(client, settings):
    settings.ROOT_URLCONF = "tests.urls_failing"
    client.raise_request_exception = False
    response = client.get("/no-database/")
    assertContains(response, "Back in a moment", status_code=503)
    assertContains(response, 'class="site-header"', status_code=503)
    assertNotContains(response, "connection refused", status_code=503)
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]


def test_favicon_ico_points_at_the_site_icon(client):
    """/favicon.ico, which browsers request on their own, leads to the icon."""
    response = client.get("/favicon.ico", follow=True)
    assert response.redirect_chain == [("/static/posts/favicon.svg", 301)]
    assert b"<svg" in b"".join(response.streaming_content)


@pytest.mark.parametrize("page", [1, 2, 3, 4, 5])
def test_every_page_lists_its_posts_in_order_whichever_end_it_is_read_from(
    client, make_post, settings, page
):
    settings.GUTBRAIN_POSTS_PER_PAGE = 3
    now = timezone.now()
    for number in range(14):
        make_post(title=f"Post {number:02d}", published_at=now - timedelta(hours=number + 1))
    titles = [post.title for post in client.get("/", {"page": page}).context["page"]]
    expected = [f"Post {number:02d}" for number in range(14)][(page - 1) * 3 : page * 3]
    assert titles == expected


def test_a_long_series_is_paged_and_numbers_its_parts_throughout(client, make_post, settings):
    settings.GUTBRAIN_POSTS_PER_PAGE = 3
    series = Series.objects.create(title="Long series")
    for position in range(1, 8):
        SeriesPart.objects.create(
            series=series, post=make_post(title=f"Part {position} title"), position=position
        )
    content = client.get(series.get_absolute_url(), {"page": 3}).content.decode()
    assert '<ol class="series-parts" start="7">' in content
    assert '<p class="kicker">Part 7</p>' in content
    assert "Part 7 title" in content and "Part 6 title" not in content
    assert "Page 3 of 3" in content
    assert client.get(series.get_absolute_url(), {"page": 4}).status_code == 404
    middle = client.get(Post.objects.get(title="Part 4 title").get_absolute_url())
    (place,) = middle.context["series_places"]
    assert (place.number, place.total) == (4, 7)
    assert (place.previous.title, place.next.title) == ("Part 3 title", "Part 5 title")


def test_remembered_counts_follow_every_change(client, make_post, settings):
    settings.GUTBRAIN_PAGE_CACHE = False
    make_post(tags=["Kefir"])
    assert "1 post" in client.get("/tags/kefir/").content.decode()
    make_post(tags=["Kefir"])
    assert "2 posts" in client.get("/tags/kefir/").content.decode()
    Post.objects.filter(tags__name="Kefir").first().delete()
    assert "1 post" in client.get("/tags/kefir/").content.decode()


def test_pages_give_times_in_the_site_time_zone(client, make_post, settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+05:30 all year
    post = make_post(
        title="Late in March",
        published_at=datetime(2026, 3, 31, 20, 0, tzinfo=UTC),
    )
    expected = '<time datetime="2026-04-01T01:30:00+05:30">1 April 2026</time>'
    assert expected in client.get(post.get_absolute_url()).content.decode()
    assert expected in client.get(reverse("posts:home")).content.decode()
