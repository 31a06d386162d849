"""A post saved while a worker makes its image's renditions shows them, whichever of the two
transactions commits first: neither sees what the other has not committed yet."""

import threading
from unittest import mock

import pytest
from django.db import connection, transaction

from posts.images import Image
from posts.models import Post
from posts.renditions import make_renditions
from tests.test_renditions import library, photo

RENDITION = "800w.jpeg 800w"


@pytest.mark.django_db
def test_renditions_made_before_the_post_is_saved_for_good_are_shown(make_post):
    image = library(photo((1000, 700)))
    with transaction.atomic():
        post = make_post(body=f"![A photo](image:{image.pk})")
        assert "srcset" not in post.body_html  # rendered while they were being made
        # A worker's transaction commits meanwhile: its save of the image saw no such post.
        Image.objects.filter(pk=image.pk).update(renditions=Image.Renditions.READY)

    post.refresh_from_db()
    assert RENDITION in post.body_html


@pytest.mark.django_db
def test_a_post_committed_while_the_renditions_were_saved_is_found(make_post):
    image = library(photo((1000, 700)))
    post = make_post(body="Nothing shown yet.")
    stale = post.body_html
    with transaction.atomic():
        make_renditions.call(image.pk)
        # Another transaction commits meanwhile the post, rendered before the renditions were
        # made; the worker's save of the image could not have seen it.
        Post.objects.filter(pk=post.pk).update(
            body=f"![A photo](image:{image.pk})", body_html=stale
        )

    post.refresh_from_db()
    assert RENDITION in post.body_html


@pytest.mark.django_db
def test_a_post_saved_after_its_image_in_one_transaction_is_rendered_once(make_post):
    """As an import saves them: each image, then the post showing it."""
    with mock.patch.object(Post, "rerender") as rerender, transaction.atomic():
        image = library(photo((1000, 700)))
        post = make_post(body=f"![A photo](image:{image.pk})")
    rerender.assert_not_called()
    assert image.file.url in Post.objects.get(pk=post.pk).body_html


@pytest.mark.django_db
def test_an_image_changed_after_a_post_showing_it_in_one_transaction_is_shown_changed(
    make_post,
):
    image = library(photo((1000, 700)))
    with transaction.atomic():
        post = make_post(body=f"![](image:{image.pk})")  # described by the image
        image.alt_text = "A jar of starter"
        image.save()

    post.refresh_from_db()
    assert 'alt="A jar of starter"' in post.body_html


@pytest.mark.django_db(transaction=True)
def test_a_worker_finishing_between_a_posts_render_and_its_commit(make_post):
    """The real interleaving, on two connections: the post is rendered, the worker makes and
    saves the renditions and finds no post showing the image, then the post commits."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time into the database, not two threads")
    image = library(photo((1000, 700)))
    post_rendered, renditions_saved = threading.Event(), threading.Event()
    failures = []

    def worker():
        try:
            assert post_rendered.wait(timeout=30)
            make_renditions.call(image.pk)
        except Exception as error:  # reported by the test below
            failures.append(error)
        finally:
            renditions_saved.set()
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    with transaction.atomic():
        post = make_post(body=f"![A photo](image:{image.pk})")
        post_rendered.set()
        assert renditions_saved.wait(timeout=60)
    thread.join(timeout=60)

    assert not failures
    assert Image.objects.get(pk=image.pk).renditions == Image.Renditions.READY
    post.refresh_from_db()
    assert RENDITION in post.body_html
