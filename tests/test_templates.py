"""Every reader's page renders its own template with what it should show, and links to
addresses as reverse() gives them: Unicode slugs and a site served under a path prefix too."""

import re

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix
from pytest_django.asserts import assertContains, assertTemplateUsed
from taggit.models import Tag

from posts.models import Resource, Series, SeriesPart

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(make_post):
    """Two posts in a series, tagged, the first citing a resource."""
    first = make_post(
        title="Gut & brain",
        slug="a_b-9",
        summary="Why the gut's nerves <matter>.",
        body="Text citing [@1].",
        tags=["Zinc", "apples", "Déjà vu"],
    )
    Resource.objects.create(
        post=first, number=1, title="A study", authors="O'Hara A", year=2020, doi="10.1/x"
    )
    first.save()  # the citation becomes a link
    second = make_post(title="Second part", tags=["Zinc"])
    series = Series.objects.create(title="Gut and mind", slug="gut-and-mind")
    SeriesPart.objects.create(series=series, post=first, position=1)
    SeriesPart.objects.create(series=series, post=second, position=2)
    return {"first": first, "second": second, "series": series}


def pages(site):
    first = site["first"]
    year, month = first.published_at.year, first.published_at.month
    return [
        ("/", "posts/home.html", ["Latest posts", "Gut &amp; brain", "Second part"]),
        (first.get_absolute_url(), "posts/post_detail.html", ["A study", "Part 1 of 2"]),
        ("/tags/zinc/", "posts/tag_detail.html", ["2 posts", "Posts tagged “Zinc”"]),
        ("/series/", "posts/series_list.html", ["Gut and mind", "2 parts"]),
        ("/series/gut-and-mind/", "posts/series_detail.html", ["Part 1", "Part 2"]),
        ("/archive/", "posts/archive.html", ["2 posts"]),
        (f"/archive/{year}/", "posts/archive_period.html", ["2 posts"]),
        (f"/archive/{year}/{month:02d}/", "posts/archive_period.html", ["Second part"]),
        ("/search/?q=brain", "posts/search.html", ["1 post matches “brain”"]),
        ("/no-such-page/", "404.html", ["Page not found"]),
    ]


def test_every_page_renders_its_template_with_its_content(client, site):
    for url, template, texts in pages(site):
        response = client.get(url)
        assertTemplateUsed(response, template)
        assertTemplateUsed(response, "base.html")
        for text in texts:
            assertContains(response, text, status_code=response.status_code)


def test_post_cards_show_date_reading_time_summary_and_sorted_tags(client, site):
    page = client.get("/").content.decode()
    [card] = [
        card for card in page.split('<article class="post-card">') if "Gut &amp; brain" in card
    ]
    assert "Why the gut&#x27;s nerves &lt;matter&gt;." in card
    assert "min read" in card
    # By name, capitals first, as the tags were always sorted.
    assert re.findall(r'rel="tag">([^<]+)<', card) == ["Déjà vu", "Zinc", "apples"]


def test_a_tag_name_is_escaped_once_in_the_description(client, make_post):
    make_post(tags=["<b>&"])
    slug = Tag.objects.get().slug
    response = client.get(reverse("posts:tag", args=[slug]))
    assertContains(response, '<meta name="description" content="Posts tagged “&lt;b&gt;&amp;”')


def test_a_series_without_summary_counts_its_parts(client, make_post):
    series = Series.objects.create(title="Solo", slug="solo")
    SeriesPart.objects.create(series=series, post=make_post(), position=1)
    assertContains(client.get("/series/solo/"), 'content="A series in 1 part."')


def test_pagination_of_search_keeps_the_query(client, make_post, settings):
    settings.GUTBRAIN_POSTS_PER_PAGE = 1
    make_post(title="Kefir drink one")
    make_post(title="Kefir drink two")
    assertContains(
        client.get("/search/", {"q": "kefir drink"}), 'href="?q=kefir%20drink&amp;page=2"'
    )


@pytest.mark.parametrize("slug", ["gut-brain-axis", "a_b-9", "déjà-vu", "Ωmega"])
def test_tag_links_are_what_reverse_gives_and_lead_to_the_tag(client, make_post, slug):
    tag = Tag.objects.create(name=f"Tag {slug}", slug=slug)
    post = make_post(slug="a_b-9")
    post.tags.add(tag)
    address = reverse("posts:tag", args=[slug])
    for page in ["/", post.get_absolute_url()]:
        assertContains(client.get(page), f'href="{address}" rel="tag"')
    assertContains(client.get(address), post.title)


@pytest.fixture
def under_blog():
    set_script_prefix("/blog/")
    yield
    clear_script_prefix()


def test_a_site_under_a_path_prefix_links_within_it(client, site, under_blog):
    response = client.get("/", SCRIPT_NAME="/blog")
    page = response.content.decode()
    for address in [
        "/blog/",
        "/blog/series/",
        "/blog/archive/",
        "/blog/search/",
        "/blog/feed/rss/",
        "/blog/posts/a_b-9/",
        "/blog/tags/zinc/",
        "/blog/tags/d%C3%A9j%C3%A0-vu/",
    ]:
        assert f'href="{address}"' in page
    assert '<link rel="canonical" href="http://testserver/blog/">' in page
    assert 'href="/posts/' not in page
