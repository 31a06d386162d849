"""Autosaves: the text being written, kept on the server per writer, post and tab, offered back
when the post is opened again; staff-only, CSRF-protected, bounded in size and rate."""

import json
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

import posts.autosave
from posts.autosave import AUTOSAVES_PER_MINUTE, KEPT_PER_POST, Autosave
from posts.models import Post
from posts.rendering import MAX_SOURCE_CHARACTERS
from tests.test_authoring import change_form
from tests.test_roles import logged_in, member_of

pytestmark = pytest.mark.django_db

AUTOSAVE = reverse("admin:posts_post_autosave")


@pytest.fixture
def writer(django_user_model):
    return member_of("Author", "writer", django_user_model)


@pytest.fixture
def writers_post(make_post, writer):
    return make_post(title="Sleep and the gut", body="Saved text.", author=writer)


def autosave(client, post=None, tab="tab-1", **fields):
    data = {"post": post.pk if post else "", "tab": tab, "title": "Sleep and the gut", **fields}
    return client.post(AUTOSAVE, data)


def offered(client, post=None):
    url = (
        reverse("admin:posts_post_change", args=[post.pk])
        if post
        else reverse("admin:posts_post_add")
    )
    return client.get(url).context["autosaves"]


def test_a_tab_keeps_its_latest_text_and_the_post_offers_it_back(writer, writers_post):
    client = logged_in(writer)
    assert autosave(client, writers_post, body="Saved text, and a first").status_code == 200
    response = autosave(client, writers_post, body="Saved text, and a first thought.")
    assert response.status_code == 200
    assert json.loads(response.content)["saved"]  # the time, for the editor to show
    assert Autosave.objects.get().body == "Saved text, and a first thought."
    [offer] = offered(client, writers_post)
    assert offer["body"] == "Saved text, and a first thought."
    assert offer["time"]
    writers_post.refresh_from_db()
    assert writers_post.body == "Saved text.\n"  # not a version, not published
    assert writers_post.versions.count() == 0


def test_two_tabs_keep_both_texts(writer, writers_post):
    client = logged_in(writer)
    autosave(client, writers_post, tab="first", body="Written in the first tab.")
    autosave(client, writers_post, tab="second", body="Written in the second tab.")
    assert sorted(offer["body"] for offer in offered(client, writers_post)) == [
        "Written in the first tab.",
        "Written in the second tab.",
    ]


def test_a_new_post_keeps_its_text_before_its_first_save(writer):
    client = logged_in(writer)
    assert autosave(client, None, body="A post not saved yet.").status_code == 200
    assert [offer["body"] for offer in offered(client)] == ["A post not saved yet."]
    assert not Post.objects.exists()


def test_only_a_handful_of_tabs_are_kept_per_post(writer, writers_post):
    client = logged_in(writer)
    for number in range(KEPT_PER_POST + 3):
        autosave(client, writers_post, tab=f"tab-{number}", body=f"Text {number}.")
    kept = sorted(offer["body"] for offer in offered(client, writers_post))
    assert kept == sorted(f"Text {n}." for n in range(3, KEPT_PER_POST + 3))


def test_another_writer_neither_writes_into_nor_sees_this_writers_autosaves(
    writer, writers_post, django_user_model
):
    autosave(logged_in(writer), writers_post, body="Mine alone.")
    other = logged_in(member_of("Author", "other", django_user_model))
    assert autosave(other, writers_post, body="Into someone else's post.").status_code == 403
    assert list(Autosave.objects.values_list("body", flat=True)) == ["Mine alone."]
    editor = logged_in(member_of("Editor", "editor", django_user_model))
    assert offered(editor, writers_post) == []  # editors may edit it, but it is not their text


def test_saving_the_post_forgets_the_autosave_of_that_text_only(writer, writers_post):
    client = logged_in(writer)
    autosave(client, writers_post, tab="first", body="The text I save.")
    autosave(client, writers_post, tab="second", body="Another tab's text.")
    response = client.post(
        reverse("admin:posts_post_change", args=[writers_post.pk]),
        change_form(client, writers_post, body="The text I save."),
    )
    assert response.status_code == 302
    assert [offer["body"] for offer in offered(client, writers_post)] == ["Another tab's text."]


def test_an_autosave_over_an_older_version_says_so(writer, writers_post):
    client = logged_in(writer)
    autosave(client, writers_post, body="Begun on version one.", based_on_version="1")
    Post.objects.filter(pk=writers_post.pk).update(version=2)
    [offer] = offered(client, writers_post)
    assert offer["older_version"] is True


@pytest.mark.parametrize(
    "client_for",
    [
        pytest.param(lambda writer: Client(), id="anonymous"),
        pytest.param(lambda writer: Client(enforce_csrf_checks=True), id="no-csrf-token"),
    ],
)
def test_only_staff_with_the_csrf_token_autosave(writer, writers_post, client_for):
    client = client_for(writer)
    if client.handler.enforce_csrf_checks:
        client.force_login(writer)
    response = autosave(client, writers_post, body="Hostile text.")
    assert response.status_code in (302, 403)
    assert not Autosave.objects.exists()


def test_a_reader_who_is_not_staff_cannot_autosave(writers_post, django_user_model):
    reader = django_user_model.objects.create_user("reader", password="pw")
    response = autosave(logged_in(reader), writers_post, body="Text.")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Autosave.objects.exists()


def test_a_text_over_the_limit_is_refused_with_the_forms_message(writer, writers_post):
    body = "x" * (MAX_SOURCE_CHARACTERS + 1)
    response = autosave(logged_in(writer), writers_post, body=body)
    assert response.status_code == 400
    form_message = (
        f"Ensure this value has at most {MAX_SOURCE_CHARACTERS} characters "
        f"(it has {MAX_SOURCE_CHARACTERS + 1})."
    )
    assert json.loads(response.content)["error"] == form_message
    form = logged_in(writer).post(
        reverse("admin:posts_post_change", args=[writers_post.pk]),
        change_form(logged_in(writer), writers_post, body=body),
    )
    assert form.context["adminform"].form.errors["body"] == [form_message]
    assert not Autosave.objects.exists()


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"tab": ""}, 400, "This field is required."),
        ({"tab": "a b"}, 400, "The autosave names no editor tab."),
        ({"tab": "x" * 41}, 400, "The autosave names no editor tab."),
        ({"post": "abc"}, 403, None),
        ({"post": "999999"}, 404, None),
        ({"post": "9" * 30}, 404, None),
        ({"based_on_version": "9" * 30}, 400, "less than or equal to 2147483647"),
        ({"based_on_version": "two"}, 400, "Enter a whole number."),
    ],
    ids=[
        "no-tab",
        "odd-tab",
        "long-tab",
        "odd-post",
        "no-such-post",
        "huge-post-id",
        "huge-version",
        "odd-version",
    ],
)
def test_bad_autosaves_are_refused_and_keep_nothing(writer, writers_post, data, status, message):
    client = logged_in(writer)
    response = client.post(AUTOSAVE, {"post": writers_post.pk, "tab": "t", "body": "x", **data})
    assert response.status_code == status
    if message:
        assert message in json.loads(response.content)["error"]
    assert not Autosave.objects.exists()


def test_autosaves_are_rate_limited_per_writer(
    writer, writers_post, django_user_model, monkeypatch
):
    # All within one minute of the clock, whenever the test runs.
    monkeypatch.setattr(posts.autosave, "time", SimpleNamespace(time=lambda: 60_000_030.0))
    client = logged_in(writer)
    answers = [
        autosave(client, writers_post, body=f"Text {n}.").status_code
        for n in range(AUTOSAVES_PER_MINUTE + 2)
    ]
    assert answers[:AUTOSAVES_PER_MINUTE] == [200] * AUTOSAVES_PER_MINUTE
    assert answers[-1] == 429
    assert Autosave.objects.get().body == f"Text {AUTOSAVES_PER_MINUTE - 1}."
    other = member_of("Author", "other", django_user_model)
    other_post = Post.objects.create(title="Other", author=other, body="b")
    assert autosave(logged_in(other), other_post, body="Mine.").status_code == 200
