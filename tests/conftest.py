import itertools
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.template.backends import jinja2
from django.test.signals import template_rendered
from django.utils import timezone

from posts.models import Post

_numbers = itertools.count(1)


def _reloads_initial_rows(item):
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("serialized_rollback"))


def _transactional(item):
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & fixtures
    )


def pytest_report_header():
    if connection.vendor != "postgresql":
        return "browser tests: deselected here, run on PostgreSQL"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Pages in a real browser are checked on PostgreSQL only: what they add to the tests is
    the browser's side, and the database's side is tested on both.

    After pytest-django has put transactional tests after the others, those that reload
    the database's initial rows (serialized_rollback) go first among them. Any other
    transactional test flushes the database, and Django then creates the content types again
    under new ids, which the reloaded rows would collide with."""
    if connection.vendor != "postgresql":
        in_browser = [item for item in items if "browser" in getattr(item, "fixturenames", ())]
        config.hook.pytest_deselected(items=in_browser)
        items[:] = [item for item in items if item not in in_browser]
    first = next((i for i, item in enumerate(items) if _transactional(item)), None)
    if first is None:
        return
    rest = items[first:]
    items[first:] = [i for i in rest if _reloads_initial_rows(i)] + [
        i for i in rest if not _reloads_initial_rows(i)
    ]


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
def media_in_tmp(settings, tmp_path):
    """Uploads, renditions and link-preview cards go to a directory of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


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


# Pages in a real browser: Debian's headless Chromium, driven by Playwright.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def demo_site(transactional_db):
    """The demo author, series and three published posts, loaded before any browser starts."""
    call_command("load_demo", with_login=True, stdout=StringIO())


@pytest.fixture
def browser(demo_site, live_server):
    """A headless Chromium; it is closed before pytest-django flushes the database."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    wait_for_live_server_requests()


def wait_for_live_server_requests(seconds=10):
    """Requests the browser left in flight (a live preview, say) finish before pytest-django
    flushes the database, whose rows they may still be reading or writing."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(
        thread.name.endswith("(process_request_thread)") for thread in threading.enumerate()
    ):
        time.sleep(0.02)
