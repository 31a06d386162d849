import itertools
from datetime import timedelta

import pytest
from django.core.cache import cache
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


@pytest.fixture(autouse=True)
def empty_cache():
    """The local-memory cache outlives each test's database; start every test without it."""
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
