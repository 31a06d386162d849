"""Full-text search over published posts: PostgreSQL's own on PostgreSQL, FTS5 on SQLite.

Both rank title matches above summary and tag matches, and those above body matches, and
return a snippet of the body with the matched words marked.
"""

import itertools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchVector
from django.db import connection, transaction
from django.db.models import F, Value
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from taggit.models import Tag

from posts.models import Post, SearchEntry, Series, SeriesPart, TaggedPost
from posts.page_cache import remembered
from posts.rendering import CONTROL_CHARACTERS, plain_text

# Longer queries are cut: no reader types more, and each word costs a lookup.
MAX_QUERY_LENGTH = 200
MAX_TERMS = 20
# Results are the best of at most this many of the newest matching posts.
CANDIDATES = 1000
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


@dataclass(frozen=True)
class Choice:
    """A tag or a series that a search can be narrowed to."""

    pk: int
    slug: str
    name: str


def narrowing_choices():
    """{"tag": [Choice…], "series": [Choice…]}: the tags and the series of published posts,
    by name, remembered until content changes."""

    def by_name(rows):
        return sorted((Choice(*row) for row in rows), key=lambda c: (c.name.casefold(), c.name))

    def choices():
        published = Post.objects.published()
        tags = Tag.objects.filter(post__in=published).distinct()
        series = Series.objects.filter(parts__post__in=published).distinct()
        return {
            "tag": by_name(tags.values_list("pk", "slug", "name")),
            "series": by_name(series.values_list("pk", "slug", "title")),
        }

    return remembered("search-choices", choices)


class UnknownChoice(LookupError):
    """A tag or series to narrow to that no published post has; the message says which."""


def narrowed_to(choices, tag_slug="", series_slug=""):
    """{"tag": Choice or None, "series": Choice or None} for these slugs, among `choices`
    (narrowing_choices()); an empty slug narrows nothing."""
    chosen = {}
    for kind, slug in (("tag", tag_slug), ("series", series_slug)):
        chosen[kind] = next((c for c in choices[kind] if c.slug == slug), None)
        if slug and chosen[kind] is None:
            raise UnknownChoice(f"No public post has the {kind} “{clean_query(slug)[:100]}”.")
    return chosen


def search(query, tag=None, series=None):
    """Published posts matching `query`, best first, with authors and tags, to paginate: at
    most the newest CANDIDATES of them, so that a word in every post costs what a rare one
    does. With `tag` or `series` (ids), only posts with that tag and in that series."""
    query = clean_query(query)
    if connection.vendor == "postgresql":
        return RankedPosts(_postgresql_ranked_ids(query, tag, series))
    return RankedPosts(_fts5_ranked_ids(fts5_query(query), tag, series))


def _narrowed(rows, post_field, tag, series):
    """`rows` (posts, or what refers to them by `post_field`) with the tag and in the series."""
    if tag is not None:
        tagged = TaggedPost.objects.filter(tag_id=tag).values("content_object")
        rows = rows.filter(**{f"{post_field}__in": tagged})
    if series is not None:
        parts = SeriesPart.objects.filter(series_id=series).values("post")
        rows = rows.filter(**{f"{post_field}__in": parts})
    return rows


def _postgresql_ranked_ids(query, tag=None, series=None):
    # The ids alone, found and ranked once: counting and paging them costs no second search.
    terms = _tsquery(query)
    if _matches_are_common(terms):
        newest = _newest_through_posts(terms, tag, series)
    else:
        newest = _newest_through_entries(terms, tag, series)
    newest_sql, params = newest.query.sql_with_params()
    # Ranked outside the query that picks the newest: ranking reads each match's whole vector.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT post_id FROM ({newest_sql}) AS newest ORDER BY "
            "ts_rank(vector, websearch_to_tsquery(%s::regconfig, %s)) DESC, "
            "published_at DESC, post_id DESC",
            [*params, CONFIG, query],
        )
        return [row[0] for row in cursor.fetchall()]


def _matches_are_common(terms):
    """Whether walking the newest posts, checking each, finds CANDIDATES matches sooner than
    visiting every match: it visits about CANDIDATES * entries / matches posts. Estimated by
    PostgreSQL's planner from its statistics of the index, without running the search."""
    matching_sql, params = (
        SearchEntry.objects.filter(vector=terms).values("pk").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {matching_sql}", params)
        plan = cursor.fetchone()[0]
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [SearchEntry._meta.db_table]
        )
        entries = cursor.fetchone()[0]
    matches = plan[0]["Plan"]["Plan Rows"]
    # Before its first analysis the table has no size (reltuples 0, or -1): the matches are
    # then found through the index, which costs no more than there are matches.
    return entries > 0 and matches * matches > CANDIDATES * entries


def _newest_through_posts(terms, tag, series):
    return (
        _narrowed(Post.objects.published(), "pk", tag, series)
        .filter(search_entry__vector=terms)
        .order_by("-published_at", "-id")
        .values("published_at", post_id=F("id"), vector=F("search_entry__vector"))[:CANDIDATES]
    )


def _newest_through_entries(terms, tag, series):
    # The index's own copy of the publication time spares a visit to each match's post. It is
    # null unless the post is published: this is published(), for entries.
    entries = SearchEntry.objects.filter(vector=terms, published_at__lte=timezone.now())
    return (
        _narrowed(entries, "post_id", tag, series)
        .order_by("-published_at", "-post_id")
        .values("post_id", "published_at", "vector")[:CANDIDATES]
    )


def _fts5_ranked_ids(terms, tag=None, series=None):
    if not terms:
        return []
    published = _narrowed(Post.objects.published(), "pk", tag, series)
    published, params = published.order_by().values("pk").query.sql_with_params()
    # The full-text table must drive this query, not the posts: the unary + keeps SQLite from
    # probing the index once per published post. bm25 weights the columns title, summary,
    # tags, body; lower is better.
    # The most recently written posts have the highest ids: close enough to the newest.
    sql = (
        f"SELECT rowid FROM (SELECT rowid, bm25({FTS_TABLE}, 10.0, 4.0, 4.0, 1.0) AS score "
        f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND +rowid IN ({published}) "
        "ORDER BY rowid DESC LIMIT %s) ORDER BY score, rowid DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [terms, *params, CANDIDATES])
        return [row[0] for row in cursor.fetchall()]


class RankedPosts(Sequence):
    """Posts in the order of a list of their ids, loaded (with authors and tags) a page at a
    time. A post unpublished behind the index's back (not through save()) is
    counted until its entry is next written, but never shown."""

    def __init__(self, ids):
        self.ids = ids

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[slice(index, index + 1 or None)][0]
        ids = self.ids[index]
        # published() again: the index may lag behind a change made around save().
        posts = {
            post.pk: post for post in Post.objects.published().filter(pk__in=ids).for_listing()
        }
        return [posts[pk] for pk in ids if pk in posts]


def snippets(query, posts):
    """A snippet of each post's text around the matched words (marked), by post id: for one
    page of results, since making them costs more than finding the posts."""
    query = clean_query(query)
    ids = [post.pk for post in posts]
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        headlines = (
            SearchEntry.objects.filter(post_id__in=ids)
            .annotate(
                headline=SearchHeadline(
                    "body",
                    _tsquery(query),
                    config=CONFIG,
                    start_sel=MATCH_START,
                    stop_sel=MATCH_END,
                    max_words=SNIPPET_WORDS,
                    min_words=SNIPPET_WORDS // 2,
                )
            )
            .values_list("pk", "headline")
        )
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, snippet({FTS_TABLE}, 3, %s, %s, ' … ', %s) FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({', '.join(['%s'] * len(ids))})",
                [MATCH_START, MATCH_END, SNIPPET_WORDS, fts5_query(query), *ids],
            )
            headlines = cursor.fetchall()
    return {pk: highlighted(headline) for pk, headline in headlines}


def _tsquery(query):
    # websearch syntax reads quotes, "or" and "-" as people expect, and never fails on
    # stray operators such as ! : & | ( ).
    return SearchQuery(query, search_type="websearch", config=CONFIG)


def fts5_query(query):
    """The words of `query`, each quoted so that FTS5 reads no operator of the reader's, all
    required; but "or" between words finds either side, as websearch does on PostgreSQL
    ("vagus or serotonin": `"vagus" OR "serotonin"`, and "a b or c" is a and b, or c)."""
    alternatives, words = [[]], 0
    for word in re.findall(r"\w+", query):
        if word.casefold() == "or":
            if alternatives[-1]:  # one at the start or end, or twice in a row, says nothing
                alternatives.append([])
        elif words < MAX_TERMS:
            alternatives[-1].append(f'"{word}"')
            words += 1
    return " OR ".join(" ".join(group) for group in alternatives if group)


def highlighted(headline):
    """The snippet as safe HTML, its matches in <mark>."""
    # PostgreSQL's headline drops anything shaped like a tag, so its copy of the body is kept
    # escaped (entities pass through unchanged, and are not indexed as words).
    marked = headline or ""
    if connection.vendor != "postgresql":
        marked = escape(marked)
    return mark_safe(marked.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>"))


def index(post_ids, batch_size=500):
    """Bring the index up to date with these posts as readers see them: an entry for each that
    exists, none for those that no longer do. A batch at a time: an import's thousands of
    posts are never all in memory."""
    for batch in itertools.batched(post_ids, batch_size):
        index_batch(list(batch))


def index_batch(post_ids):
    tag_names = defaultdict(list)
    tagged = TaggedPost.objects.filter(content_object__in=post_ids)
    for post_id, name in tagged.values_list("content_object", "tag__name"):
        tag_names[post_id].append(name)
    posts = Post.objects.filter(pk__in=post_ids).values_list(
        "pk", "title", "summary", "body_html", "status", "published_at"
    )
    documents, publication_times = {}, {}
    for pk, title, summary, body_html, status, published_at in posts:
        tags = " ".join(sorted(tag_names[pk]))
        documents[pk] = (title, summary, tags, plain_text(body_html))
        publication_times[pk] = published_at if status == Post.Status.PUBLISHED else None
    gone = set(post_ids) - documents.keys()
    if connection.vendor == "postgresql":
        SearchEntry.objects.filter(post_id__in=gone).delete()
        _index_postgres(documents, publication_times)
    elif connection.vendor == "sqlite":
        _index_sqlite(post_ids, documents)


def _index_postgres(documents, publication_times):
    # Each entry is written whole, vector included, in one statement: a second write would
    # leave a dead copy of every entry behind, spread over twice the pages.
    entries = []
    for pk, (title, summary, tags, body) in documents.items():
        body = escape(body)
        vector = (
            SearchVector(Value(title), weight="A", config=CONFIG)
            + SearchVector(Value(summary), Value(tags), weight="B", config=CONFIG)
            + SearchVector(Value(body), weight="C", config=CONFIG)
        )
        entries.append(
            SearchEntry(
                post_id=pk,
                title=title,
                summary=summary,
                tags=tags,
                body=body,
                vector=vector,
                published_at=publication_times[pk],
            )
        )
    SearchEntry.objects.bulk_create(
        entries,
        update_conflicts=True,
        unique_fields=["post"],
        update_fields=["title", "summary", "tags", "body", "vector", "published_at"],
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


@transaction.atomic
def rebuild_index(post_ids=None, batch_size=2000):
    """Index these posts again, or every post: after bulk inserts that bypassed save()."""
    if post_ids is None:
        if connection.vendor == "postgresql":
            SearchEntry.objects.all().delete()
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {FTS_TABLE}")
        post_ids = Post.objects.order_by("pk").values_list("pk", flat=True)
    index(post_ids, batch_size)
