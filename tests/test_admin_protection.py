"""The admin resists guessing and keeps authors out of user management."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import clear_url_caches

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "a long and unusual passphrase"


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(
        username="editor", password=PASSWORD, is_staff=True, is_superuser=True
    )


def log_in(client, username, password, address="10.0.0.1"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_a_user_name_is_locked_after_five_failures_from_anywhere(client, editor, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "editor", "wrong", address=f"10.0.0.{attempt + 1}")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
    assert log_in(client, "editor", "wrong", address="10.0.0.99").status_code == 429
    elsewhere = Client()
    refused = log_in(elsewhere, "editor", PASSWORD, address="10.0.9.9")
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in elsewhere.session
    assert elsewhere.get("/admin/").status_code == 302  # to the login page


def test_an_address_is_locked_after_five_failures_with_any_names(client, editor, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{attempt}", "wrong", address="10.0.0.7")
    assert log_in(Client(), "editor", PASSWORD, address="10.0.0.7").status_code == 429
    # The same user from elsewhere still gets in.
    elsewhere = Client()
    assert log_in(elsewhere, "editor", PASSWORD, address="10.0.0.8").status_code == 302
    assert elsewhere.get("/admin/").status_code == 200


def test_logging_in_as_oneself_does_not_forget_failures_for_another_name(
    client, editor, django_user_model, settings
):
    """A staff member who guesses another account's password between logins of their own
    is still locked out: a success forgets the failures of its own user name only."""
    django_user_model.objects.create_user(username="mallory", password=PASSWORD, is_staff=True)
    guesses = settings.AXES_FAILURE_LIMIT - 1
    for _round in range(4):
        for _guess in range(guesses):
            log_in(Client(), "editor", "wrong")
        log_in(Client(), "mallory", PASSWORD)
    attacker = Client()
    response = log_in(attacker, "editor", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in attacker.session


def test_a_success_forgets_the_failures_of_its_own_name(client, editor, settings):
    """An author who mistyped their password and then got it right starts afresh."""
    for _guess in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(Client(), "editor", "wrong")
    assert log_in(Client(), "editor", PASSWORD).status_code == 302
    for _guess in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(Client(), "editor", "wrong", address="10.0.0.2")
    assert log_in(client, "editor", PASSWORD, address="10.0.0.2").status_code == 302


def test_a_correct_login_works_and_the_session_expires(client, editor, settings):
    response = log_in(client, "editor", PASSWORD)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert 0 < int(cookie["max-age"]) <= 14 * 24 * 3600
    assert cookie["httponly"]


def test_logins_need_the_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    response = log_in(client, "editor", PASSWORD)
    assert response.status_code == 403
    assert client.get("/admin/").status_code == 302  # still not logged in


@pytest.mark.parametrize("password", ["password", "12345678", "gut", "editor2026"])
def test_weak_passwords_are_refused(editor, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=editor)


def test_authors_cannot_manage_users_or_permissions(client, django_user_model):
    author = django_user_model.objects.create_user(
        username="writer", password=PASSWORD, is_staff=True
    )
    author.groups.add(Group.objects.get(name="Author"))
    client.force_login(author)
    index = client.get("/admin/").content.decode()
    assert "/admin/posts/post/" in index
    assert "/admin/auth/user/" not in index
    assert "/admin/auth/group/" not in index
    for url in (
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{author.pk}/change/",
        "/admin/auth/group/",
        "/admin/auth/group/add/",
    ):
        assert client.get(url).status_code == 403, url
    author.refresh_from_db()
    assert not author.is_superuser
    assert not author.user_permissions.exists()


def test_the_admin_path_is_configurable(client, editor):
    import gutbrain.urls

    def reload_urls():
        importlib.reload(gutbrain.urls)
        clear_url_caches()

    try:
        with override_settings(GUTBRAIN_ADMIN_PATH="backstage/"):
            reload_urls()
            assert client.get("/backstage/login/").status_code == 200
            assert client.get("/admin/login/").status_code == 404
            assert "Disallow: /backstage/" in client.get("/robots.txt").content.decode()
    finally:
        reload_urls()
    assert client.get("/admin/login/").status_code == 200


def test_behind_the_proxy_readers_are_told_apart_by_the_address_it_adds(editor, settings):
    """All requests come from the proxy; the last X-Forwarded-For entry is the reader's, and
    entries before it (which a client can write) do not count."""
    settings.GUTBRAIN_BEHIND_PROXY = True

    def log_in_through_proxy(client, username, password, forwarded):
        return client.post(
            LOGIN,
            {"username": username, "password": password, "next": "/admin/"},
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    attacker = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in_through_proxy(attacker, f"guess{attempt}", "x", f"1.1.1.{attempt}, 203.0.113.5")
    # The attacker's address is locked, whatever it claims before the proxy's entry...
    assert log_in_through_proxy(Client(), "editor", PASSWORD, "203.0.113.5").status_code == 429
    # ...and another reader behind the same proxy still gets in.
    assert log_in_through_proxy(Client(), "editor", PASSWORD, "198.51.100.7").status_code == 302
