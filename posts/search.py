"""Full-text search over published posts: PostgreSQL's own on PostgreSQL, FTS5 on SQLite.

Both rank title matches above summary and tag matches, and those above body matches, and
return a snippet of the body with the matched words marked.
"""

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe

from posts.models import Post, SearchEntry
from posts.rendering import CONTROL_CHARACTERS, plain_text

# Longer queries are cut: no reader types more, and each word costs a lookup.
MAX_QUERY_LENGTH = 200
MAX_TERMS = 20
CONFIG = "english"
FTS_TABLE = "posts_search_fts"
# Content never holds control characters (they are removed at save), so these cannot be
# confused with the text: they mark a match until the snippet is escaped.
MATCH_START, MATCH_END = "\x02", "\x03"
SNIPPET_WORDS = 30


def clean_query(raw):
    """The query as searched: no control characters, single spaces, at most the limit, cut
    between words."""
    text = " ".join(CONTROL_CHARACTERS.sub("", raw or "").split())
    if len(text) > MAX_QUERY_LENGTH:
        text = text[: MAX_QUERY_LENGTH + 1]
        text = text.rsplit(" ", 1)[0] if " " in text else text[:MAX_QUERY_LENGTH]
    return text


def search(query):
    """Published posts matching `query`, best first, each with a `headline`; or none."""
    query = clean_query(query)
    if connection.vendor == "postgresql":
        return _postgres_search(query)
    return _sqlite_search(query)


def _postgres_search(query):
    # websearch syntax reads quotes, "or" and "-" as people expect, and never fails on
    # stray operators such as ! : & | ( ).
    terms = SearchQuery(query, search_type="websearch", config=CONFIG)
    return (
        Post.objects.published()
        .filter(search_entry__vector=terms)
        .annotate(
            rank=SearchRank(F("search_entry__vector"), terms),
            headline=SearchHeadline(
                "search_entry__body",
                terms,
                config=CONFIG,
                start_sel=MATCH_START,
                stop_sel=MATCH_END,
                max_words=SNIPPET_WORDS,
                min_words=SNIPPET_WORDS // 2,
            ),
        )
        .order_by("-rank", "-published_at", "-id")
    )


def fts5_query(query):
    """The words of `query`, each quoted so that FTS5 reads no operator, all required."""
    words = re.findall(r"\w+", query)[:MAX_TERMS]
    return " ".join(f'"{word}"' for word in words)


def _sqlite_search(query):
    terms = fts5_query(query)
    if not terms:
        return Post.objects.none()
    match = f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    this_post = f"{match} AND rowid = {Post._meta.db_table}.id"
    return (
        Post.objects.published()
        .filter(pk__in=RawSQL(f"SELECT rowid {match}", [terms]))
        .annotate(
            # bm25 weights per column: title, summary, tags, body. Lower is better.
            rank=RawSQL(f"SELECT bm25({FTS_TABLE}, 10.0, 4.0, 4.0, 1.0) {this_post}", [terms]),
            headline=RawSQL(
                f"SELECT snippet({FTS_TABLE}, 3, %s, %s, ' … ', %s) {this_post}",
                [MATCH_START, MATCH_END, SNIPPET_WORDS, terms],
            ),
        )
        .order_by("rank", "-published_at", "-id")
    )


def highlighted(headline):
    """The snippet as safe HTML, its matches in <mark>."""
    # PostgreSQL's headline drops anything shaped like a tag, so its copy of the body is kept
    # escaped (entities pass through unchanged, and are not indexed as words).
    marked = headline or ""
    if connection.vendor != "postgresql":
        marked = escape(marked)
    return mark_safe(marked.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>"))


def index_posts(post_ids):
    """Bring the index up to date for these posts, after a save, a re-render or new tags."""
    post_ids = list(post_ids)
    if not post_ids:
        return
    posts = Post.objects.filter(pk__in=post_ids).prefetch_related("tags")
    documents = {
        post.pk: (
            post.title,
            post.summary,
            " ".join(tag.name for tag in post.tags.all()),
            plain_text(post.body_html),
        )
        for post in posts
    }
    if connection.vendor == "postgresql":
        _index_postgres(documents)
    elif connection.vendor == "sqlite":
        _index_sqlite(post_ids, documents)


def _index_postgres(documents):
    SearchEntry.objects.bulk_create(
        [
            SearchEntry(post_id=pk, title=title, summary=summary, tags=tags, body=escape(body))
            for pk, (title, summary, tags, body) in documents.items()
        ],
        update_conflicts=True,
        unique_fields=["post"],
        update_fields=["title", "summary", "tags", "body"],
    )
    SearchEntry.objects.filter(post_id__in=documents).update(
        vector=SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("summary", "tags", weight="B", config=CONFIG)
        + SearchVector("body", weight="C", config=CONFIG)
    )


def _index_sqlite(post_ids, documents):
    placeholders = ", ".join(["%s"] * len(post_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({placeholders})", post_ids)
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE} (rowid, title, summary, tags, body) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(pk, *document) for pk, document in documents.items()],
        )


def forget_post(post_id):
    """Remove a deleted post from the index."""
    if connection.vendor == "postgresql":
        SearchEntry.objects.filter(post_id=post_id).delete()
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [post_id])


def rebuild_index(batch_size=2000):
    """Index every post again: after bulk inserts that bypassed save()."""
    if connection.vendor == "postgresql":
        SearchEntry.objects.all().delete()
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
    ids = list(Post.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        index_posts(ids[start : start + batch_size])
