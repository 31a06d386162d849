"""PostgreSQL's copy of each post's words, for search (posts.search)."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchEntry(models.Model):
    """A post's words for PostgreSQL's full-text search (SQLite has an FTS5 table instead)."""

    # No constraint and no cascade by Django: deleting a post must also work on SQLite, where
    # this table is absent. The entry goes with its post in posts.search.index().
    post = models.OneToOneField(
        "Post",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="search_entry",
    )
    title = models.TextField()
    summary = models.TextField()
    tags = models.TextField()
    body = models.TextField()
    vector = SearchVectorField(null=True)
    # The post's publication time while it is published, else null: searches that match many
    # posts pick the newest without visiting each one's row in posts. Not indexed: walking an
    # index in time order is only quicker for common words, which search through posts.
    published_at = models.DateTimeField(null=True)

    class Meta:
        required_db_vendor = "postgresql"
        indexes = [GinIndex(fields=["vector"], name="post_search_vector_idx")]

    def __str__(self):
        return self.title
