"""Search narrowed to a tag or a series, and "or" between words, on SQLite as on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posts.models import Post, Series, SeriesPart
from posts.search import fts5_query
from tests.test_search import either_way_to_the_newest  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

SEARCH = reverse("posts:search")


@pytest.fixture
def archive(make_post):
    """Four posts on the vagus nerve: two tagged Sleep, two in the series Gut and Mind."""
    series = Series.objects.create(title="Gut and Mind", slug="gut-and-mind")
    posts = {
        "sleep-only": make_post(
            title="Sleep only", body="The vagus nerve at night.", tags=["Sleep"]
        ),
        "both": make_post(title="Both", body="The vagus nerve and sleep.", tags=["Sleep", "Mood"]),
        "series-only": make_post(title="Series only", body="The vagus nerve in the series."),
        "neither": make_post(title="Neither", body="The vagus nerve, alone.", tags=["Mood"]),
    }
    SeriesPart.objects.create(series=series, post=posts["both"], position=1)
    SeriesPart.objects.create(series=series, post=posts["series-only"], position=2)
    return posts


def titles(response):
    return sorted(post.title for post in response.context["page"])


def test_a_search_narrowed_to_a_tag_finds_only_posts_with_it(client, archive):
    response = client.get(SEARCH, {"q": "vagus", "tag": "sleep"})
    assert titles(response) == ["Both", "Sleep only"]
    content = response.content.decode()
    assert "2 posts tagged “Sleep” match “vagus”" in content
    assert '<option value="sleep" selected>Sleep</option>' in content


def test_a_search_narrowed_to_a_series_finds_only_its_parts(client, archive):
    response = client.get(SEARCH, {"q": "vagus", "series": "gut-and-mind"})
    assert titles(response) == ["Both", "Series only"]
    assert "2 posts in the series “Gut and Mind” match “vagus”" in response.content.decode()


@pytest.mark.usefixtures("either_way_to_the_newest")
def test_a_search_narrowed_to_a_tag_and_a_series_finds_posts_with_both(client, archive):
    response = client.get(SEARCH, {"q": "vagus", "tag": "sleep", "series": "gut-and-mind"})
    assert titles(response) == ["Both"]
    content = response.content.decode()
    assert "1 post tagged “Sleep” in the series “Gut and Mind” matches “vagus”" in content


def test_an_empty_choice_narrows_nothing(client, archive):
    """The form's "Any tag" and "Any series" send empty values."""
    response = client.get(SEARCH, {"q": "vagus", "tag": "", "series": ""})
    assert titles(response) == ["Both", "Neither", "Series only", "Sleep only"]
    assert "4 posts match “vagus”" in response.content.decode()


def test_only_tags_and_series_of_published_posts_are_offered(client, archive, make_post):
    draft = make_post(title="Draft", body="vagus", tags=["Secret"], status=Post.Status.DRAFT)
    hidden = Series.objects.create(title="Hidden series", slug="hidden")
    SeriesPart.objects.create(series=hidden, post=draft, position=1)
    content = client.get(SEARCH).content.decode()
    assert '<option value="mood">Mood</option>' in content
    assert '<option value="gut-and-mind">Gut and Mind</option>' in content
    assert "Secret" not in content and "Hidden series" not in content


@pytest.mark.parametrize(
    "params",
    [
        {"tag": "no-such-tag"},
        {"series": "no-such-series"},
        {"tag": "secret"},  # a tag of drafts only
        {"tag": "x\x00<script>alert(1)</script>" + "y" * 5000},
        {"series": "\x00"},
    ],
    ids=["unknown-tag", "unknown-series", "drafts-only", "hostile", "nul"],
)
def test_a_tag_or_series_that_no_public_post_has_is_a_clear_404(
    client, archive, make_post, params
):
    make_post(title="Draft", body="vagus", tags=["Secret"], status=Post.Status.DRAFT)
    response = client.get(SEARCH, {"q": "vagus", **params})
    assert response.status_code == 404
    content = response.content.decode()
    kind = "tag" if "tag" in params else "series"
    assert f"No public post has the {kind} “" in content
    assert "<script>alert" not in content
    assert "Draft" not in content


def test_pages_of_a_narrowed_search_keep_the_narrowing(client, archive, settings):
    settings.GUTBRAIN_POSTS_PER_PAGE = 1
    response = client.get(SEARCH, {"q": "vagus", "tag": "sleep"})
    assert 'href="?q=vagus&amp;tag=sleep&amp;page=2" rel="next"' in response.content.decode()
    second = client.get(SEARCH, {"q": "vagus", "tag": "sleep", "page": "2"})
    assert 'href="?q=vagus&amp;tag=sleep&amp;page=1" rel="prev"' in second.content.decode()
    assert sorted(titles(response) + titles(second)) == ["Both", "Sleep only"]


def test_the_choices_are_remembered_until_content_changes(client, archive, make_post):
    with CaptureQueriesContext(connection) as first:
        client.get(SEARCH, {"q": "vagus"})
    with CaptureQueriesContext(connection) as again:
        client.get(SEARCH, {"q": "vagus"})
    # The tags, the series, and the next scheduled publication, which bounds how long.
    assert len(again) == len(first) - 3
    make_post(title="Newer", body="vagus", tags=["Fresh"])
    assert '<option value="fresh">Fresh</option>' in client.get(SEARCH).content.decode()


def test_or_between_words_finds_posts_with_either(client, make_post):
    """As PostgreSQL's websearch reads it: "a b or c" is a and b, or c."""
    make_post(title="Vagus", body="The vagus nerve.")
    make_post(title="Serotonin", body="Serotonin in the gut.")
    make_post(title="Both words", body="The vagus nerve and serotonin.")
    make_post(title="Neither", body="Bile acids.")
    response = client.get(SEARCH, {"q": "vagus or serotonin"})
    assert titles(response) == ["Both words", "Serotonin", "Vagus"]
    assert titles(client.get(SEARCH, {"q": "vagus OR serotonin"})) == titles(response)
    assert titles(client.get(SEARCH, {"q": "vagus nerve or bile"})) == [
        "Both words",
        "Neither",
        "Vagus",
    ]
    assert titles(client.get(SEARCH, {"q": "vagus serotonin"})) == ["Both words"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vagus or serotonin", '"vagus" OR "serotonin"'),
        ("a b OR c", '"a" "b" OR "c"'),
        ("or vagus or", '"vagus"'),
        ("vagus or or serotonin", '"vagus" OR "serotonin"'),
        ("or", ""),
        ("oregano or", '"oregano"'),
        ('vagus" OR "x NEAR(a b) * -c ^d', '"vagus" OR "x" "NEAR" "a" "b" "c" "d"'),
    ],
)
def test_fts5_reads_or_as_either_and_no_other_operator(query, expected):
    assert fts5_query(query) == expected
