"""The published post a post page shows, with its author, tags and resources, in one query.

Through the ORM this is three queries, and building and compiling them, then turning rows
into models, costs more than everything else an uncached post page does. Here the post's tags
and resources come along as JSON arrays, each database building them with its own JSON
functions, and the one row becomes models as the ORM would make them: through the same
converters, so that dates, JSON and ids read the same on SQLite and PostgreSQL.

PostgreSQL takes longer to plan the query than to run it, so on PostgreSQL it is prepared on
each connection: after a few runs planned for their values, PostgreSQL reuses one plan made
without them (see `_cursor`)."""

import json

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils import timezone
from psycopg.pq import Format
from taggit.models import Tag

from posts.models import Post, Resource, TaggedPost

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid

# How each database gathers rows into a JSON array of objects, returned as text.
JSON_ARRAY_OF_OBJECTS = {
    "postgresql": "json_agg(json_build_object({}))::text",
    "sqlite": "json_group_array(json_object({}))",
}
POST_FIELDS = Post._meta.concrete_fields
# What Post.author_name reads; the author's other fields are left deferred.
AUTHOR_FIELDS = ["id", "username", "first_name", "last_name"]
TAG_FIELDS = [Tag._meta.get_field(name) for name in ("id", "name", "slug")]
RESOURCE_FIELDS = Resource._meta.concrete_fields


def _json_rows(vendor, fields, table_alias):
    """Each row as a JSON object of the fields' values, keyed by attribute name."""
    pairs = ", ".join(f"'{field.attname}', {table_alias}.{field.column}" for field in fields)
    return JSON_ARRAY_OF_OBJECTS[vendor].format(pairs)


def _sql(vendor):
    author_table = Post._meta.get_field("author").related_model._meta.db_table
    post_columns = ", ".join(f"post.{field.column}" for field in POST_FIELDS)
    author_columns = ", ".join(f"author.{name}" for name in AUTHOR_FIELDS[1:])
    return (
        f"SELECT {post_columns}, {author_columns},"
        f" (SELECT {_json_rows(vendor, TAG_FIELDS, 'tag')} FROM {Tag._meta.db_table} tag"
        f"  JOIN {TaggedPost._meta.db_table} item ON item.tag_id = tag.id"
        "  WHERE item.content_object_id = post.id),"
        f" (SELECT {_json_rows(vendor, RESOURCE_FIELDS, 'resource')}"
        f"  FROM {Resource._meta.db_table} resource"
        "  WHERE resource.post_id = post.id)"
        f" FROM {Post._meta.db_table} post"
        f" JOIN {author_table} author ON author.id = post.author_id"
        # published(), written out; tests/test_post_page.py holds the two to each other.
        " WHERE post.slug = %s AND post.status = %s AND post.published_at <= %s"
    )


SQL = {vendor: _sql(vendor) for vendor in JSON_ARRAY_OF_OBJECTS}


def _as_stored(values, connection):
    """The post's column values as the ORM gives them to a model."""
    values = list(values)
    for index, field in enumerate(POST_FIELDS):
        column = field.get_col(Post._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(
            connection
        )
        for convert in converters:
            values[index] = convert(values[index], column, connection)
    return values


def _from_json(model, fields, rows, using):
    names = [field.attname for field in fields]
    return [
        model.from_db(using, names, [row[name] for name in names])
        for row in json.loads(rows or "[]")
    ]


class PreparedCursor(psycopg.Cursor):
    """Binds parameters on the server and asks psycopg to prepare each query: on its first
    run if the connection has a prepare threshold (see settings.py), otherwise never."""

    def execute(self, query, params=None, **kwargs):
        kwargs.setdefault("prepare", True)
        return super().execute(query, params, **kwargs)


# A prepared statement the server no longer has, or whose plan a migration has changed the
# columns of ("cached plan must not change result type").
STALE_PREPARED_STATEMENT = {"26000", "0A000"}


def _cursor(connection):
    """connection.cursor(), except that on PostgreSQL the parameters are bound by the server:
    psycopg prepares only such queries. Django binds them on the client for all its own
    queries, where a list of more than 65,535 values would not fit in a query bound by the
    server."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    # What connection.cursor() does around making its cursor, so that this query is checked,
    # logged (with placeholders for its values) and counted as any other.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = PreparedCursor(connection.connection)
        loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != loader.timezone:
            register_tzloader(connection.timezone, cursor)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


def _post_row(connection, slug):
    now = Post._meta.get_field("published_at").get_db_prep_value(timezone.now(), connection)
    with _cursor(connection) as cursor:
        cursor.execute(SQL[connection.vendor], [slug, Post.Status.PUBLISHED, now])
        return cursor.fetchone()


def public_post(slug, using="default"):
    """The published post at `slug`, or None: with `author`, its tags as `tag_list` and its
    resources, with the places that cite them, as `resource_list`."""
    connection = connections[using]
    if connection.vendor not in SQL:
        raise ImproperlyConfigured(
            f"Post pages are read with SQL for PostgreSQL and SQLite, not {connection.vendor}."
        )
    try:
        row = _post_row(connection, slug)
    except DatabaseError as error:
        sqlstate = getattr(error.__cause__, "sqlstate", None)
        if sqlstate not in STALE_PREPARED_STATEMENT or connection.in_atomic_block:
            raise
        # Every later run on this connection would fail the same way: start on a new one.
        connection.close()
        row = _post_row(connection, slug)
    if row is None:
        return None
    post_values, row = row[: len(POST_FIELDS)], row[len(POST_FIELDS) :]
    author_values, (tag_rows, resource_rows) = row[:-2], row[-2:]
    post = Post.from_db(
        using, [field.attname for field in POST_FIELDS], _as_stored(post_values, connection)
    )
    post.author = Post._meta.get_field("author").related_model.from_db(
        using, AUTHOR_FIELDS, [post.author_id, *author_values]
    )
    # Strings and integers only: nothing for converters to do.
    post.tag_list = _from_json(Tag, TAG_FIELDS, tag_rows, using)
    resources = _from_json(Resource, RESOURCE_FIELDS, resource_rows, using)
    resources.sort(key=lambda resource: resource.number)
    post.resource_list = post.cited_resources(resources)
    return post
