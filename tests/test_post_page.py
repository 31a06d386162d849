"""The post page's own data, read in one query: every field as stored, on both databases."""

import json
import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from taggit.models import Tag

from posts.models import Post, Resource
from posts.post_page import public_post

pytestmark = pytest.mark.django_db

AWKWARD = "Quotes \" and ' , a backslash \\ , </script> , “curly” and ünïcödé \u2028 end"


def test_tags_and_resources_come_whole_and_in_order(make_post):
    post = make_post(title="Cited", body="See [#2], then [#1] and [#2].", tags=[AWKWARD, "Gut"])
    for number in (3, 1, 2):  # stored out of order
        Resource.objects.create(
            post=post,
            number=number,
            title=f"{AWKWARD} {number}",
            authors="O'Brien, A.",
            year=2000 + number,
            doi=f"10.1000/x{number}",
            pmid=str(number),
        )

    page = public_post(post.slug)

    assert page.author_name == "Ada Writer"
    assert sorted(tag.name for tag in page.tag_list) == sorted([AWKWARD, "Gut"])
    assert {tag.slug for tag in page.tag_list} == set(post.tags.values_list("slug", flat=True))
    stored = list(post.resources.order_by("number"))
    assert [vars_of(r) for r in page.resource_list] == [vars_of(r) for r in stored]
    assert [len(r.citation_ids) for r in page.resource_list] == [1, 2, 0]
    assert [r.citation_ids for r in page.resource_list] == [
        r.citation_ids for r in post.cited_resources()
    ]


def test_the_post_reads_as_the_orm_reads_it(make_post):
    post = make_post(title="Typed", body="See [#1] and [a gap](post:nowhere).", tags=["Gut"])
    Resource.objects.create(post=post, number=1, title="A study")
    expected = Post.objects.get(pk=post.pk)
    page = public_post(post.slug)
    for field in Post._meta.concrete_fields:
        value, wanted = getattr(page, field.attname), getattr(expected, field.attname)
        assert (value, type(value)) == (wanted, type(wanted)), field.name
    assert page.citations and page.broken_links  # JSON, decoded
    assert page.published_at.tzinfo is not None


def vars_of(resource):
    return {field.attname: getattr(resource, field.attname) for field in Resource._meta.fields}


def test_a_post_without_tags_or_resources_has_empty_lists(make_post, client):
    post = make_post(title="Bare")
    page = public_post(post.slug)
    assert (page.tag_list, page.resource_list) == ([], [])
    content = client.get(post.get_absolute_url()).content.decode()
    assert "Bare" in content
    assert 'class="tags"' not in content and "resources-heading" not in content


def test_the_page_shows_awkward_text_escaped_and_data_intact(make_post, client):
    post = make_post(title="Awkward", tags=[AWKWARD])
    Resource.objects.create(post=post, number=1, title=AWKWARD)
    content = client.get(post.get_absolute_url()).content.decode()
    assert "</script> ," not in content  # escaped everywhere, the JSON-LD included
    [ld] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', content, re.S)
    data = json.loads(ld)
    assert data["keywords"] == [AWKWARD]
    assert data["citation"][0]["name"] == AWKWARD


def test_only_a_published_post_whose_time_has_come(make_post):
    post = make_post(title="Here")
    assert public_post(post.slug).pk == post.pk
    assert public_post("another-address") is None
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() + timedelta(hours=2))
    assert public_post(post.slug) is None
    Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT, published_at=None)
    assert public_post(post.slug) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares statements")
def test_once_prepared_the_query_still_finds_each_post_and_only_public_ones(make_post):
    """The query is prepared on its connection and, after a few runs, served from a plan made
    without its values: every answer must still be the right one."""
    first, second = make_post(title="First", tags=["Gut"]), make_post(title="Second")
    draft = make_post(title="Draft", status=Post.Status.DRAFT, published_at=None)
    for _ in range(4):
        assert public_post(first.slug).pk == first.pk
        assert public_post(second.slug).pk == second.pk
        assert public_post(draft.slug) is None
        assert public_post("another-address") is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans FROM pg_prepared_statements")
        statements = cursor.fetchall()
    # PostgreSQL chooses the plan made without values when it looks no dearer than those made
    # with them, as it does on these few rows.
    generic_plans = [plans for sql, plans in statements if "json_agg" in sql]
    assert len(generic_plans) == 1 and generic_plans[0] > 0, statements
    assert [tag.name for tag in public_post(first.slug).tag_list] == ["Gut"]
    # Django's own queries are left as they were.
    assert all("json_agg" in sql for sql, plans in statements), statements


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares statements")
@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_the_server_dropped_is_prepared_again(make_post):
    """A pooler's DISCARD ALL, or a migration that changes a column, leaves psycopg holding a
    statement the server cannot run: the page reads the post on a new connection instead."""
    post = make_post(title="Here")
    assert public_post(post.slug).pk == post.pk
    # Behind psycopg's back, as a pooler would.
    connection.connection.pgconn.exec_(b"DEALLOCATE ALL")
    assert public_post(post.slug).pk == post.pk
    assert public_post(post.slug).pk == post.pk


def test_dates_read_as_the_orm_reads_them_without_time_zones(make_post, settings):
    settings.USE_TZ, settings.TIME_ZONE = False, "Asia/Kolkata"
    post = make_post(title="Local", published_at=datetime(2026, 3, 1, 9, 30))
    expected = Post.objects.get(pk=post.pk)
    page = public_post(post.slug)
    for name in ("published_at", "created_at", "updated_at"):
        assert getattr(page, name) == getattr(expected, name), name
        assert getattr(page, name).tzinfo is None, name


def test_the_author_is_named_as_the_user_is(make_post):
    user = get_user_model().objects.create_user(username="plain")
    post = make_post(author=user)
    assert public_post(post.slug).author_name == "plain"


def test_tag_and_resource_fields_survive_json_as_they_are():
    """Tags and resources come as JSON, with no ORM converters: a field of another type (a
    date, a decimal) would arrive as a string. Such a field needs converting in post_page."""
    plain = {
        "AutoField",
        "BigAutoField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "URLField",
    }
    for model in (Tag, Resource):
        assert {f.get_internal_type() for f in model._meta.concrete_fields} <= plain
