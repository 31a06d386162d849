import itertools
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.template.backends import jinja2
from django.test.signals import template_rendered
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


@pytest.fixture(autouse=True, scope="session")
def jinja2_context_for_the_test_client():
    """response.context for readers' pages too: the test client hears of a rendered template
    by a signal that Django sends, in tests, for its own template language only."""
    render = jinja2.Template.render

    def render_and_tell(self, context=None, request=None):
        context = {} if context is None else context
        content = render(self, context, request)
        # Jinja2's own template has the name that assertTemplateUsed looks for.
        template_rendered.send(sender=self, template=self.template, context=context)
        return content

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jinja2.Template, "render", render_and_tell)
        yield
