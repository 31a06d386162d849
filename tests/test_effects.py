"""What a change sets off happens once per transaction, whoever makes the change."""

import threading
import time
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import posts.effects
from posts import search
from posts.models import Post
from posts.search import search as find_posts

pytestmark = pytest.mark.django_db

# Queries of a rename and retag of a post that three posts link to: the save, its tags, and
# the three linking posts rendered again with the new address, indexed with it in one go.
RENAME_AND_RETAG_QUERIES = {"sqlite": 67, "postgresql": 67}


@pytest.fixture
def linked(make_post):
    target = make_post(title="The gut-brain axis", slug="axis", tags=["Gut Health"])
    for number in range(3):
        make_post(title=f"Linker {number}", body=f"See [the axis](post:axis), {number}.")
    return Post.objects.get(pk=target.pk)


@pytest.fixture
def counted():
    """How many times cached pages are retired, and the index written."""
    with (
        mock.patch.object(
            posts.effects, "retire_pages", wraps=posts.effects.retire_pages
        ) as retire,
        mock.patch.object(search, "index", wraps=search.index) as index,
    ):
        yield retire, index


def test_a_rename_and_retag_retires_pages_once_and_indexes_once(linked, counted):
    retire, index = counted
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        linked.title, linked.slug = "The axis, renamed", "the-axis"
        linked.save()
        linked.tags.set(["Microbiome", "Stress"])
    assert (retire.call_count, index.call_count) == (1, 1)
    assert len(queries) == RENAME_AND_RETAG_QUERIES[connection.vendor]
    for linker in Post.objects.filter(title__startswith="Linker"):
        assert 'href="/posts/the-axis/"' in linker.body_html
    assert [post.title for post in find_posts("microbiome")[:10]] == ["The axis, renamed"]


def test_a_plain_save_retires_once_and_renders_no_linking_post(linked, counted):
    retire, index = counted
    with mock.patch.object(Post, "rerender") as rerender:
        linked.save()
    assert (retire.call_count, index.call_count) == (1, 1)
    rerender.assert_not_called()


def test_a_save_through_the_admin_retires_once(admin_client, linked, counted):
    """The admin saves the post, its tags, its series places and resources in one
    transaction: one retirement, one indexing."""
    from tests.test_authoring import change_form

    retire, index = counted
    url = reverse("admin:posts_post_change", args=[linked.pk])
    response = admin_client.post(
        url, change_form(admin_client, linked, slug="the-axis", tags="Microbiome, Stress")
    )
    assert response.status_code == 302
    assert (retire.call_count, index.call_count) == (1, 1)
    assert all(
        'href="/posts/the-axis/"' in linker.body_html
        for linker in Post.objects.filter(title__startswith="Linker")
    )


def test_deleting_a_post_unlinks_it_everywhere_at_once(linked, counted):
    retire, index = counted
    linked.delete()
    assert (retire.call_count, index.call_count) == (1, 1)
    for linker in Post.objects.all():
        assert "<span>the axis</span>" in linker.body_html and linker.broken_links
    assert len(find_posts("gut-brain axis")) == 0


def test_nothing_is_set_off_by_a_transaction_that_rolls_back(linked, counted):
    retire, index = counted
    with pytest.raises(RuntimeError), transaction.atomic():
        linked.slug = "the-axis"
        linked.save()
        raise RuntimeError("changed our mind")
    assert (retire.call_count, index.call_count) == (0, 0)
    assert all("/posts/axis/" in post.body_html for post in Post.objects.exclude(pk=linked.pk))


def waiting_on_a_lock():
    """Whether another connection to this database is waiting for a row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_rendering_again_never_overwrites_an_edit_committed_meanwhile(make_post):
    """A linking post is rendered again (the post it links to was renamed) while an author's
    edit of it is about to commit: readers get the edited text, with the new address."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time into the database, not two threads")
    target = make_post(title="The gut-brain axis", slug="axis")
    linker = make_post(body="See [the axis](post:axis). The text before the edit.")
    edited, commit = threading.Event(), threading.Event()

    def edit():
        try:
            with transaction.atomic():
                post = Post.objects.get(pk=linker.pk)
                post.body = "See [the axis](post:axis). The edited text."
                post.save()
                edited.set()
                assert commit.wait(timeout=60)
        finally:
            edited.set()
            connection.close()

    def rename():
        try:
            target.slug = "the-axis"
            target.save()  # the linking post is rendered again once this commits
        finally:
            connection.close()

    threads = [threading.Thread(target=edit), threading.Thread(target=rename)]
    threads[0].start()
    assert edited.wait(timeout=60)
    threads[1].start()
    deadline = time.monotonic() + 60
    while not waiting_on_a_lock():  # the rename's rendering waits for the edit
        assert time.monotonic() < deadline and threads[1].is_alive()
        time.sleep(0.05)
    commit.set()
    for thread in threads:
        thread.join(timeout=60)

    linker.refresh_from_db()
    assert "The edited text." in linker.body_html
    assert 'href="/posts/the-axis/"' in linker.body_html
