"""Public pages run a fixed number of queries, however much content there is."""

import pytest
from django.db import connection, transaction
from django.urls import reverse

from posts.models import Resource, Series, SeriesPart

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uncached_pages(settings):
    """Query counts are those of building a page, which the page cache saves readers."""
    settings.GUTBRAIN_PAGE_CACHE = False


TAGS = ["Gut Health", "Mental Health", "Microbiome", "Inflammation", "Stress"]

# page name -> (expected queries, what they are). Counts and archive months are remembered
# until content changes; the first page to need them after a change also looks up the next
# scheduled publication ("next"), which bounds how long they are kept.
EXPECTED_QUERIES = {
    "home": 4,  # count, next, posts with authors, their tags
    # post with author, its tags, its resources; next; series places, linked from, related
    "post": 7,
    "tag": 5,  # tag, count, next, posts with authors, their tags
    "series": 5,  # series, count, next, published parts with posts and authors, their tags
    "series_list": 1,  # series with published part counts
    "archive": 2,  # month counts, next
    "archive_year": 5,  # count, next, month counts, posts with authors, their tags
    "archive_month": 4,  # count, next, posts with authors, their tags
    # the tags and series to narrow to (remembered), next; ranked ids of the matches, a page of
    # them with authors, tags, snippets; on PostgreSQL first the planner's estimate of the
    # matches and the size of the index, which choose how to find the newest of them
    "search": {"sqlite": 7, "postgresql": 9},
}


@pytest.fixture(params=[1, 50], ids=["1-post", "50-posts"])
def site(request, make_post):
    series = Series.objects.create(title="Gut and Mind")
    posts = []
    with transaction.atomic():  # written as one save of many posts: what it sets off runs once
        for position in range(1, request.param + 1):
            post = make_post(tags=TAGS)
            SeriesPart.objects.create(series=series, post=post, position=position)
            Resource.objects.bulk_create(
                Resource(post=post, number=n, title=f"Study {n}") for n in range(1, 6)
            )
            posts.append(post)
    return posts


def urls_for(posts):
    post = posts[len(posts) // 2]
    return {
        "home": reverse("posts:home"),
        "post": post.get_absolute_url(),
        "tag": reverse("posts:tag", args=["gut-health"]),
        "series": reverse("posts:series", args=["gut-and-mind"]),
        "series_list": reverse("posts:series_list"),
        "archive": reverse("posts:archive"),
        "archive_year": reverse("posts:archive_year", args=[post.published_at.year]),
        "archive_month": reverse(
            "posts:archive_month", args=[post.published_at.year, post.published_at.month]
        ),
        "search": reverse("posts:search") + "?q=body",
    }


@pytest.mark.parametrize("page", EXPECTED_QUERIES)
def test_public_pages_run_a_constant_number_of_queries(
    client, site, page, django_assert_num_queries
):
    """The count is the same with 1 post and with 50 posts of 5 tags each."""
    url = urls_for(site)[page]
    expected = EXPECTED_QUERIES[page]
    if isinstance(expected, dict):
        expected = expected[connection.vendor]
    with django_assert_num_queries(expected):
        response = client.get(url)
    content = response.content.decode()
    count = len(site)
    plural = "s" if count > 1 else ""
    expected = {
        "home": f"{site[-1].title}</a>",
        "post": f"Part {count // 2 + 1} of {count} in",
        "tag": f"{count} post{plural}",
        "series": f"{site[0].title}</a>",
        "series_list": f"{count} part{plural}",
        "archive": f'<span class="count">{count} post{plural}</span>',
        "archive_year": f"{count} post{plural}",
        "archive_month": f"{count} post{plural}",
        "search": f"{count} post{plural} match",
    }
    assert expected[page] in content


# What a page costs once its remembered counts and aggregates are in the cache.
EXPECTED_QUERIES_REMEMBERED = {
    "home": 2,  # posts with authors, their tags
    "post": 1,  # post with author
    "tag": 3,  # tag, posts with authors, their tags
    "archive": 0,
}


@pytest.mark.parametrize("page", EXPECTED_QUERIES_REMEMBERED)
def test_remembered_aggregates_are_not_queried_again(
    client, site, page, django_assert_num_queries
):
    url = urls_for(site)[page]
    first = client.get(url).content.decode()
    with django_assert_num_queries(EXPECTED_QUERIES_REMEMBERED[page]):
        again = client.get(url).content.decode()
    assert again == first


def test_a_post_page_shows_a_new_related_post_after_remembering(client, make_post):
    """Remembered surroundings last only until content changes, as cached pages do."""
    post = make_post(title="The gut-brain axis", tags=["Gut Health"])
    linker = make_post(title="A linker", body=f"[see](post:{post.slug})")
    before = client.get(post.get_absolute_url()).content.decode()
    assert "A linker" in before
    assert "Related posts" not in before
    make_post(title="Newly related", tags=["Gut Health"])
    linker.delete()
    after = client.get(post.get_absolute_url()).content.decode()
    related = after.split('id="related-heading"')[1].split("</section>")[0]
    assert "Newly related" in related
    assert "A linker" not in after


def test_a_post_page_counts_a_new_part_of_its_series_after_remembering(client, make_post):
    """A post's remembered place in its series lasts only until content changes."""
    first = make_post(title="Part one")
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=first, position=1)
    assert "Part 1 of 1 in" in client.get(first.get_absolute_url()).content.decode()
    second = make_post(title="Part two")
    SeriesPart.objects.create(series=series, post=second, position=2)
    page = client.get(first.get_absolute_url()).content.decode()
    assert "Part 1 of 2 in" in page
    assert "Part two" in page


def test_a_post_page_shows_its_new_tag_and_resource_after_remembering(client, make_post):
    """A post's remembered tags and resources last only until they change."""
    post = make_post(title="The gut-brain axis", tags=["Gut Health"], body="See [#1].")
    Resource.objects.create(post=post, number=1, title="A first study")
    page = client.get(post.get_absolute_url()).content.decode()
    assert "A first study" in page and "Vagus" not in page
    post.tags.add("Vagus")
    Resource.objects.create(post=post, number=2, title="A second study")
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Vagus" in page
    assert "A second study" in page


@pytest.mark.parametrize("backlinks", [1, 50])
def test_backlinks_add_no_query_per_linking_post(
    client, make_post, backlinks, django_assert_num_queries
):
    """A post linked from 1 or from 50 posts in a series costs the same queries."""
    target = make_post(title="The gut-brain axis", tags=["Gut Health"])
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=target, position=1)
    for number in range(backlinks):
        linker = make_post(
            title=f"Linker {number}", body=f"[see](post:{target.slug})", tags=["Gut Health"]
        )
        SeriesPart.objects.create(series=series, post=linker, position=number + 2)
    with django_assert_num_queries(EXPECTED_QUERIES["post"]):
        response = client.get(target.get_absolute_url())
    content = response.content.decode()
    linked_from = content.split('id="linked-from-heading"')[1].split("</section>")[0]
    assert linked_from.count('<li><a href="/posts/linker-') == backlinks
    assert f"Part 1 of {backlinks + 1} in" in content
