"""Search: what readers find, how it is ranked and marked, and that hostile queries are safe."""

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.postgres.search import SearchVector
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from posts.models import Post, SearchEntry
from posts.search import MAX_QUERY_LENGTH, search

pytestmark = pytest.mark.django_db

SEARCH = reverse("posts:search")


def found_titles(client, query, counted=True, **params):
    response = client.get(SEARCH, {"q": query, **params})
    assert response.status_code == 200
    page = response.context["page"]
    if counted and not page.has_other_pages():  # the count readers see is of what is shown
        assert page.paginator.count == len(page.object_list)
    return [post.title for post in page]


# On PostgreSQL the newest matches are found from the index's copy of each publication time,
# or (for common words) by walking the newest posts; both must find the same.
WAYS_TO_THE_NEWEST = (
    ["through-entries", "through-posts"] if connection.vendor == "postgresql" else ["fts5"]
)


@pytest.fixture(params=WAYS_TO_THE_NEWEST)
def either_way_to_the_newest(request, monkeypatch):
    if request.param != "fts5":
        monkeypatch.setattr(
            "posts.search._matches_are_common", lambda terms: request.param == "through-posts"
        )


def test_finds_a_post_by_a_word_in_its_body_and_marks_it(client, make_post):
    make_post(title="Gut feelings", body="The vagus nerve carries signals both ways.")
    make_post(title="Something else", body="Nothing to see here.")
    response = client.get(SEARCH, {"q": "vagus"})
    content = response.content.decode()
    assert [post.title for post in response.context["page"]] == ["Gut feelings"]
    assert "1 post matches “vagus”" in content
    assert "The <mark>vagus</mark> nerve carries signals both ways." in content
    assert "Something else" not in content


def test_stems_words_as_readers_expect(client, make_post):
    make_post(title="Bacteria", body="Microbes ferment fibre.")
    assert found_titles(client, "fermenting") == ["Bacteria"]


def test_title_outranks_summary_and_tags_which_outrank_body(
    client, make_post, either_way_to_the_newest
):
    make_post(title="In the body", body="All about serotonin and more.")
    make_post(title="In the tags", body="Plain text.", tags=["Serotonin"])
    make_post(title="Serotonin in the title", body="Plain text.")
    assert found_titles(client, "serotonin") == [
        "Serotonin in the title",
        "In the tags",
        "In the body",
    ]


def test_searches_the_summary(client, make_post):
    make_post(title="A post", summary="On butyrate and the gut lining.", body="Text.")
    assert found_titles(client, "butyrate") == ["A post"]


def test_only_published_posts_are_found(client, make_post, either_way_to_the_newest):
    make_post(title="Public", body="probiotic yoghurt")
    make_post(title="Draft", body="probiotic yoghurt", status=Post.Status.DRAFT)
    make_post(
        title="Scheduled",
        body="probiotic yoghurt",
        published_at=timezone.now() + timedelta(days=1),
    )
    assert found_titles(client, "probiotic") == ["Public"]


def test_the_index_follows_edits_tags_and_deletions(client, make_post, either_way_to_the_newest):
    post = make_post(title="Changing", body="Original wording about kefir.")
    assert found_titles(client, "kefir") == ["Changing"]

    post.body = "New wording about kimchi."
    post.save()
    assert found_titles(client, "kefir") == []
    assert found_titles(client, "kimchi") == ["Changing"]

    post.tags.add("Fermented Foods")
    assert found_titles(client, "fermented") == ["Changing"]
    tag = Tag.objects.get(name="Fermented Foods")
    tag.name = "Cultured Foods"
    tag.save()
    assert found_titles(client, "fermented") == []
    assert found_titles(client, "cultured") == ["Changing"]
    tag.delete()
    assert found_titles(client, "cultured") == []

    post.delete()
    assert found_titles(client, "kimchi") == []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM posts_search_fts")
        else:
            cursor.execute("SELECT count(*) FROM posts_searchentry")
        assert cursor.fetchone()[0] == 0


def test_follows_a_linked_post_being_renamed(client, make_post):
    target = make_post(title="Target", slug="target", body="Text.")
    make_post(title="Linker", body="See [the target post](post:target) about histamine.")
    target.title = "Renamed target"
    target.save()
    # The linking post is re-rendered; its words stay searchable.
    assert found_titles(client, "histamine") == ["Linker"]


def test_snippets_escape_what_the_post_shows_as_text(client, make_post):
    make_post(title="Code", body="Write `<script>alert(1)</script>` to test the sanitiser.")
    content = client.get(SEARCH, {"q": "sanitiser"}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert" not in content
    assert "<mark>sanitiser</mark>" in content


def test_an_empty_query_shows_the_form_without_results_or_error(client, make_post):
    make_post(title="Anything")
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = client.get(SEARCH, params)
        content = response.content.decode()
        assert response.status_code == 200
        assert 'name="q"' in content
        assert "match" not in content
        assert "Anything" not in content
        assert 'name="robots"' not in content


def test_no_match_says_so(client, make_post):
    make_post(title="Anything")
    content = client.get(SEARCH, {"q": "zymurgy"}).content.decode()
    assert "No posts match “zymurgy”" in content
    assert 'content="noindex, follow"' in content


def test_results_are_paginated_and_keep_the_query(client, make_post, settings):
    settings.GUTBRAIN_POSTS_PER_PAGE = 2
    for number in range(5):
        make_post(title=f"Lactobacillus {number}", body="Text.")
    first = client.get(SEARCH, {"q": "lactobacillus"})
    assert len(first.context["page"]) == 2
    assert "5 posts match" in first.content.decode()
    assert 'href="?q=lactobacillus&amp;page=2"' in first.content.decode()
    last = client.get(SEARCH, {"q": "lactobacillus", "page": 3})
    assert len(last.context["page"]) == 1
    assert client.get(SEARCH, {"q": "lactobacillus", "page": 4}).status_code == 404
    assert client.get(SEARCH, {"q": "lactobacillus", "page": "x"}).status_code == 404


HOSTILE_QUERIES = [
    "' OR 1=1 --",
    "'; DROP TABLE posts_post; --",
    'microbiome" OR "1"="1',
    "!:&|()<>*",
    "gut & !brain | (mood <-> sleep):*",
    'unbalanced "quote',
    "unbalanced 'quote",
    "NEAR(gut brain)",
    "title:gut",
    "gut AND OR NOT",
    "^gut",
    "🦠 microbiome 🧠",
    "micro\x00biome\x07\x1b",
    "\\",
    "%_%",
    "-",
    '"',
    "*",
    "ü" * 300,
    "microbiome " * 1000,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_get_a_results_page(client, make_post, query):
    make_post(title="The microbiome", body="Gut bacteria and the brain.")
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert '<h1 class="page-title">Search</h1>' in response.content.decode()
    assert Post.objects.count() == 1


def test_a_ten_kilobyte_query_is_cut_not_refused(client, make_post):
    make_post(title="The microbiome", body="Text.")
    response = client.get(SEARCH, {"q": "microbiome " + "x" * 10_000})
    assert response.status_code == 200
    assert response.context["query"] == "microbiome"
    response = client.get(SEARCH, {"q": "x" * 10_000})
    assert response.context["query"] == "x" * MAX_QUERY_LENGTH
    # Words beyond the limit are dropped, so this still finds the post.
    response = client.get(SEARCH, {"q": "microbiome " * 2000})
    assert [post.title for post in response.context["page"]] == ["The microbiome"]


def test_the_last_of_repeated_queries_counts(client, make_post):
    make_post(title="Kombucha", body="Text.")
    response = client.get(SEARCH + "?q=nothing-here&q=kombucha")
    assert [post.title for post in response.context["page"]] == ["Kombucha"]


def test_control_characters_do_not_reach_the_database(make_post):
    make_post(title="The microbiome", body="Text.")
    assert [post.title for post in search("micro\x00biome microbiome")] == ["The microbiome"]


def test_header_links_to_search(client):
    assert f'href="{SEARCH}"' in client.get(reverse("posts:home")).content.decode()


def test_rebuild_command_indexes_posts_loaded_without_save(client, make_post, author):
    make_post(title="Saved", body="Text about bifidobacteria.")
    Post.objects.bulk_create(
        [
            Post(
                title="Bulk loaded",
                slug="bulk-loaded",
                author=author,
                body="Bifidobacteria again.",
                body_html="<p>Bifidobacteria again.</p>",
                status=Post.Status.PUBLISHED,
                published_at=timezone.now() - timedelta(hours=2),
            )
        ]
    )
    assert found_titles(client, "bifidobacteria") == ["Saved"]
    output = StringIO()
    call_command("rebuild_search_index", stdout=output)
    assert output.getvalue() == "Indexed 2 posts.\n"
    assert sorted(found_titles(client, "bifidobacteria")) == ["Bulk loaded", "Saved"]


def test_merging_tags_in_the_admin_updates_search(admin_client, make_post):
    post = make_post(title="Merged", tags=["Psychobiotics", "Mood"])
    make_post(title="Other", tags=["Mood"])
    tags = Tag.objects.filter(name__in=["Psychobiotics", "Mood"])
    response = admin_client.post(
        reverse("admin:taggit_tag_changelist"),
        {"action": "merge_into_most_used", "_selected_action": [tag.pk for tag in tags]},
    )
    assert response.status_code == 302
    assert list(post.tags.names()) == ["Mood"]
    assert found_titles(client=admin_client, query="psychobiotics") == []


def test_a_title_only_match_shows_the_summary(client, make_post):
    make_post(title="Kefir basics", summary="What kefir is.", body="Fermented milk drink.")
    make_post(title="Other", summary="Other summary.", body="About kefir grains.")
    content = client.get(SEARCH, {"q": "kefir"}).content.decode()
    assert '<p class="summary">What kefir is.</p>' in content
    assert "About <mark>kefir</mark> grains." in content


def test_a_word_in_very_many_posts_ranks_the_newest_of_them(
    client, make_post, monkeypatch, either_way_to_the_newest
):
    monkeypatch.setattr("posts.search.CANDIDATES", 3)
    monkeypatch.setattr("posts.views.search_candidates", 3)
    now = timezone.now()
    for number in reversed(range(5)):  # written oldest first, as posts are
        make_post(
            title=f"Post {number}",
            body="Prebiotics." + (" Prebiotics prebiotics." if number == 4 else ""),
            published_at=now - timedelta(hours=number + 1),
        )
    response = client.get(SEARCH, {"q": "prebiotics"})
    # Post 4, the best match, is older than the newest three matches.
    assert sorted(post.title for post in response.context["page"]) == [
        "Post 0",
        "Post 1",
        "Post 2",
    ]
    assert "More than 3 posts match “prebiotics”" in response.content.decode()


def test_search_follows_unpublishing_and_publishing_again(
    client, make_post, either_way_to_the_newest
):
    post = make_post(title="Back and forth", body="Notes on akkermansia.")
    post.status = Post.Status.DRAFT
    post.save()
    assert found_titles(client, "akkermansia") == []
    post.status = Post.Status.PUBLISHED
    post.save()
    assert found_titles(client, "akkermansia") == ["Back and forth"]


def test_a_post_unpublished_behind_the_index_is_not_shown(
    client, make_post, either_way_to_the_newest
):
    make_post(title="Still public", body="Lactobacillus here.")
    hidden = make_post(title="Hidden", body="Lactobacillus there.")
    with connection.cursor() as cursor:  # neither save() nor the queryset: no reindex
        cursor.execute("UPDATE posts_post SET status = 'draft' WHERE id = %s", [hidden.pk])
    # Counted among the matches until the index catches up, but never shown.
    assert found_titles(client, "lactobacillus", counted=False) == ["Still public"]


def test_bulk_publishing_and_unpublishing_in_the_admin_reach_the_index(
    client, admin_client, make_post, either_way_to_the_newest
):
    draft = make_post(title="Bulk", body="Notes on bifidobacteria.", status=Post.Status.DRAFT)
    changelist = reverse("admin:posts_post_changelist")
    admin_client.post(changelist, {"action": "publish_now", "_selected_action": [draft.pk]})
    assert found_titles(client, "bifidobacteria") == ["Bulk"]
    admin_client.post(changelist, {"action": "unpublish", "_selected_action": [draft.pk]})
    assert found_titles(client, "bifidobacteria") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search entries are PostgreSQL's")
def test_the_index_copy_of_when_a_post_is_public_agrees_with_the_post(make_post):
    """The entry's publication time changes with the post's, in the same transaction."""
    post = make_post(title="Copied", status=Post.Status.DRAFT)
    changes = [
        (Post.Status.PUBLISHED, timezone.now() - timedelta(hours=2)),
        (Post.Status.PUBLISHED, timezone.now() + timedelta(days=1)),
        (Post.Status.DRAFT, None),
        (Post.Status.PUBLISHED, None),
    ]
    for status, published_at in changes:
        with transaction.atomic():
            post.status, post.published_at = status, published_at
            post.save()
            entry = SearchEntry.objects.get(post=post)
            assert entry.published_at == post.public_since
    assert entry.published_at is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner decides")
def test_common_words_walk_the_newest_posts_and_rare_ones_their_matches(
    client, make_post, monkeypatch
):
    monkeypatch.setattr("posts.search.CANDIDATES", 3)
    monkeypatch.setattr("posts.views.search_candidates", 3)
    now = timezone.now()
    for number in range(40):
        make_post(
            title=f"Post {number}",
            body="Microbiome notes." + (" Rare tryptophan." if number == 0 else ""),
            published_at=now - timedelta(hours=number + 1),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE posts_searchentry")
    for word, walks_posts, titles in [
        ("microbiome", True, ["Post 0", "Post 1", "Post 2"]),
        ("tryptophan", False, ["Post 0"]),
    ]:
        with CaptureQueriesContext(connection) as queries:
            assert sorted(found_titles(client, word)) == titles
        ranking = next(query["sql"] for query in queries if "ts_rank" in query["sql"])
        assert ('FROM "posts_post"' in ranking) == walks_posts, word


def test_a_scheduled_post_is_found_once_its_time_comes(
    client, make_post, either_way_to_the_newest
):
    soon = timezone.now().replace(microsecond=0) + timedelta(seconds=2)
    make_post(title="Scheduled", body="Notes on butyrate.", published_at=soon)
    assert found_titles(client, "butyrate") == []
    time.sleep(max(0, (soon - timezone.now()).total_seconds()) + 0.1)
    assert found_titles(client, "butyrate") == ["Scheduled"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search entries are PostgreSQL's")
def test_each_entry_is_written_once_with_the_vector_of_its_own_columns(make_post):
    """A save writes its entry once, vector and text together: a second write would leave a
    dead copy of the row behind. The vector is what the database makes of the columns beside
    it, weighted title, then summary and tags, then body."""
    post = make_post(
        title="Vagus nerve", summary="Signals up", body="Serotonin & the <gut>.", tags=["Gut"]
    )
    writes_before = entry_writes()
    post.title = "Vagus nerve, revisited"
    post.save()
    assert entry_writes() - writes_before == 1
    expected = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", "tags", weight="B", config="english")
        + SearchVector("body", weight="C", config="english")
    )
    entry = SearchEntry.objects.filter(post=post).annotate(expected=expected)
    stored, recomputed = entry.values_list("vector", "expected").get()
    assert stored == recomputed
    assert "'revisit':3A" in stored and "'gut':6B" in stored and "'serotonin':7C" in stored


def entry_writes():
    """Rows of search entries inserted or updated so far in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins + n_tup_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = 'posts_searchentry'"
        )
        return cursor.fetchone()[0]
