import itertools
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from posts.models import Post

_numbers = itertools.count(1)


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_user(
        username="ada", password="unused-password", first_name="Ada", last_name="Writer"
    )


@pytest.fixture
def make_post(author):
    """Create a post; published an hour ago unless told otherwise."""

    def make_post(tags=(), **overrides):
        number = next(_numbers)
        fields = {
            "title": f"Post number {number}",
            "author": author,
            "summary": f"Summary of post {number}.",
            "body": f"Body of post {number}.",
            "status": Post.Status.PUBLISHED,
            "published_at": timezone.now() - timedelta(hours=1),
        }
        fields.update(overrides)
        post = Post.objects.create(**fields)
        if tags:
            post.tags.add(*tags)
        return post

    return make_post


def _only_the_tests_transactions(connection):
    return all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


@pytest.fixture(autouse=True)
def commits_set_off_what_they_would(monkeypatch):
    """A test runs inside a transaction that is rolled back, so nothing it does commits, and
    what a commit sets off (posts.effects) would never run. Run it when it would outside
    tests: at once where the code opened no transaction of its own, else when the outermost
    one it opened ends."""
    on_commit, atomic_exit = BaseDatabaseWrapper.on_commit, transaction.Atomic.__exit__

    def on_commit_as_outside_tests(connection, func, robust=False):
        if connection.in_atomic_block and _only_the_tests_transactions(connection):
            func()
        else:
            on_commit(connection, func, robust)

    def exit_as_outside_tests(atomic, *exception):
        result = atomic_exit(atomic, *exception)
        connection = transaction.get_connection(atomic.using)
        if connection.in_atomic_block and _only_the_tests_transactions(connection):
            callbacks, connection.run_on_commit = connection.run_on_commit, []
            for _savepoints, func, _robust in callbacks:
                func()
        return result

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit_as_outside_tests)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_as_outside_tests)


@pytest.fixture(autouse=True)
def empty_cache():
    """The local-memory cache outlives each test's database; start every test without it."""
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
