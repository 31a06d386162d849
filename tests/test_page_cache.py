"""The page cache, against a real Redis: what readers get from it, and that every change
reaches them on their next request."""

import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, HttpResponseNotFound
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from posts.models import Post, Resource, Series, SeriesPart
from posts.page_cache import ENTRY_FORMAT, PageCacheMiddleware, retire_pages

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def redis_cache(settings):
    prefix = f"gutbrain-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    settings.GUTBRAIN_PAGE_CACHE = True
    yield
    server = redis.Redis.from_url(REDIS_URL)
    keys = list(server.scan_iter(match=f"{prefix}:*"))
    if keys:
        server.delete(*keys)


@pytest.fixture
def post(make_post):
    post = make_post(
        title="The gut-brain axis", slug="gut-brain-axis", tags=["Gut Health"], body="Text [#1]."
    )
    Resource.objects.create(post=post, number=1, title="A study of the vagus nerve")
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=post, position=1)
    return post


PUBLIC_PAGES = [
    "/",
    "/posts/gut-brain-axis/",
    "/tags/gut-health/",
    "/series/",
    "/series/gut-and-mind/",
    "/archive/",
    "/feed/atom/",
    "/tags/gut-health/feed/rss/",
    "/series/gut-and-mind/feed/json/",
    "/sitemap.xml",
    "/sitemap-posts.xml",
    "/robots.txt",
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_second_reader_gets_the_page_from_the_cache_without_a_query(
    client, post, url, django_assert_num_queries
):
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Last-Modified"]
    assert "no-cache" in second["Cache-Control"]


def test_conditional_requests_get_304_from_the_cache(client, post, django_assert_num_queries):
    first = client.get("/posts/gut-brain-axis/")
    with django_assert_num_queries(0):
        by_etag = client.get("/posts/gut-brain-axis/", headers={"if-none-match": first["ETag"]})
        by_date = client.get(
            "/posts/gut-brain-axis/", headers={"if-modified-since": first["Last-Modified"]}
        )
    assert by_etag.status_code == 304
    assert by_date.status_code == 304
    assert by_etag.content == b""
    stale = client.get("/posts/gut-brain-axis/", headers={"if-none-match": '"other"'})
    assert stale.status_code == 200


def test_unknown_query_parameters_share_the_page(client, post, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/?utm_source=newsletter&ref=x").status_code == 200


def page_keys():
    """The keys of the pages in the cache now."""
    prefix = cache.make_key(f"pages:{ENTRY_FORMAT}:")
    return set(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"{prefix}*"))


def test_parameters_a_page_does_not_read_share_its_entry(client, post, make_post):
    """?q=, ?x= or ?page= where the page has no pages make no new entries: 50 requests with
    odd parameters add none to what the plain addresses stored."""
    make_post(title="Another", tags=["Gut Health"])
    pages = ["/", "/posts/gut-brain-axis/", "/tags/gut-health/", "/feed/atom/", "/robots.txt"]
    for url in pages:
        client.get(url)
    stored = page_keys()
    assert len(stored) == len(pages)
    for number in range(10):
        for url in pages:
            odd = f"{url}?q=gut{number}&x={number}&utm_source=feed"
            if url in ("/posts/gut-brain-axis/", "/feed/atom/", "/robots.txt"):
                odd += f"&page={number}"
            assert client.get(odd).status_code == 200
    assert page_keys() == stored


def test_page_numbers_in_unusual_spellings_are_served_but_not_kept(client, post, make_post):
    """?page=01 or ?page=+1 show page 1, but only the usual spelling is kept; ?page=1 is the
    page without a number."""
    client.get("/")
    stored = page_keys()
    for spelling in ("01", "+1", " 1", "001"):
        response = client.get(f"/?page={spelling}")
        assert response.status_code == 200
        assert "The gut-brain axis" in response.content.decode()
    assert client.get("/?page=1").status_code == 200
    assert page_keys() == stored


def test_search_results_are_not_kept(client, post, django_assert_max_num_queries):
    """Each query would be a page of its own: a reader could fill the cache with them."""
    stored = page_keys()
    for number in range(5):
        assert client.get(f"/search/?q=gut+{number}").status_code == 200
    assert page_keys() == stored


def test_a_reader_who_does_not_take_gzip_never_gets_it(client, post):
    """The cache asks of Accept-Encoding what GZipMiddleware asks: "nogzip" is not gzip."""
    assert client.get("/", headers={"accept-encoding": "gzip"})["Content-Encoding"] == "gzip"
    for header in ("nogzip", "x-gzipped", "identity"):
        response = client.get("/", headers={"accept-encoding": header})
        assert "Content-Encoding" not in response
        assert response.content.startswith(b"<!doctype html>")


@pytest.mark.parametrize("url", ["/", "/posts/gut-brain-axis/", "/feed/atom/"])
def test_head_answers_carry_the_headers_get_gives(client, post, url):
    """HEAD gets GET's validators and caching headers, whether the page was kept already or
    not, and no body."""
    for _ in range(2):  # built, then from the cache
        head = client.head(url)
        get = client.get(url)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        for header in ("ETag", "Last-Modified", "Cache-Control", "Content-Type"):
            assert head[header] == get[header], header
        cache.clear()
    client.get(url)
    etag = client.get(url)["ETag"]
    assert client.head(url, headers={"if-none-match": etag}).status_code == 304


def test_pages_compressed_and_plain_are_kept_apart(client, post):
    plain = client.get("/")
    compressed = client.get("/", headers={"accept-encoding": "gzip"})
    assert compressed["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in client.get("/")
    assert plain.content.startswith(b"<!doctype html>")


def publish_draft(post, make_post):
    make_post(title="Fresh draft", slug="fresh", status=Post.Status.DRAFT)
    draft = Post.objects.get(slug="fresh")
    draft.status = Post.Status.PUBLISHED
    draft.published_at = None
    draft.save()


def edit_title(post, make_post):
    post.title = "The gut-brain axis, revised"
    post.save()


def unpublish(post, make_post):
    post.status = Post.Status.DRAFT
    post.published_at = None
    post.save()


def delete(post, make_post):
    post.delete()


def rename(post, make_post):
    post.slug = "the-axis"
    post.save()


def retag(post, make_post):
    post.tags.add("Microbiome")


def rename_series(post, make_post):
    series = Series.objects.get()
    series.title = "Mind and Gut"
    series.save()


def edit_resource(post, make_post):
    resource = post.resources.get()
    resource.title = "A trial of probiotics"
    resource.save()


def rename_author(post, make_post):
    post.author.first_name = "Grace"
    post.author.save()


# change -> (page, text it shows before, text it shows after)
CHANGES = {
    "publish": (publish_draft, "/", None, "Fresh draft"),
    "edit": (edit_title, "/posts/gut-brain-axis/", "The gut-brain axis<", "axis, revised"),
    "unpublish": (unpublish, "/", "The gut-brain axis", None),
    "delete": (delete, "/feed/atom/", "The gut-brain axis", None),
    "rename": (rename, "/", "/posts/gut-brain-axis/", "/posts/the-axis/"),
    "tag": (retag, "/posts/gut-brain-axis/", None, "Microbiome"),
    "series": (rename_series, "/posts/gut-brain-axis/", "Gut and Mind", "Mind and Gut"),
    "resource": (edit_resource, "/posts/gut-brain-axis/", "vagus nerve", "probiotics"),
    "author": (rename_author, "/posts/gut-brain-axis/", "By Ada Writer", "By Grace Writer"),
}


@pytest.mark.parametrize(("change", "url", "before", "after"), CHANGES.values(), ids=CHANGES)
def test_every_change_shows_on_the_next_request(
    client, post, make_post, change, url, before, after
):
    content = client.get(url).content.decode()
    assert client.get(url).content.decode() == content  # now cached
    if before:
        assert before in content
    if after:
        assert after not in content
    change(post, make_post)
    content = client.get(url).content.decode()
    if before:
        assert before not in content
    if after:
        assert after in content


def test_a_bulk_action_in_the_admin_shows_on_the_next_request(client, post, admin_client):
    """Unpublishing several posts at once from the admin's list retires the pages too."""
    assert "The gut-brain axis" in client.get("/").content.decode()
    assert "The gut-brain axis" in client.get("/").content.decode()  # from the cache
    admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "unpublish", "_selected_action": [post.pk]},
    )
    assert "The gut-brain axis" not in client.get("/").content.decode()
    assert client.get("/posts/gut-brain-axis/").status_code == 404


def test_a_scheduled_post_appears_on_time_without_any_job(client, post, make_post):
    soon = timezone.now().replace(microsecond=0) + timedelta(seconds=2)
    make_post(title="Scheduled post", published_at=soon)
    assert "Scheduled post" not in client.get("/").content.decode()
    assert "Scheduled post" not in client.get("/").content.decode()  # from the cache
    time.sleep(max(0, (soon - timezone.now()).total_seconds()) + 0.1)
    assert "Scheduled post" in client.get("/").content.decode()
    assert "Scheduled post" in client.get("/feed/atom/").content.decode()


def test_staff_pages_are_never_cached(client, post, make_post, admin_user):
    make_post(title="Staff-only draft", slug="staff-draft", status=Post.Status.DRAFT)
    client.force_login(admin_user)
    assert "Staff-only draft" in client.get("/posts/staff-draft/").content.decode()
    client.logout()
    # A reader after the staff member gets no draft; nor a page built for staff.
    assert client.get("/posts/staff-draft/").status_code == 404
    client.force_login(admin_user)
    assert client.get("/").status_code == 200
    request = RequestFactory().get("/")
    assert cache.get(PageCacheMiddleware.key(request)) is None


def test_the_admin_is_never_cached(admin_client, post):
    changelist = reverse("admin:posts_post_changelist")
    admin_client.get(changelist)
    with CaptureQueriesContext(connection) as queries:
        assert "The gut-brain axis" in admin_client.get(changelist).content.decode()
    assert len(queries) > 0


def test_a_corrupt_or_foreign_entry_is_never_served(client, post, caplog):
    home_key = PageCacheMiddleware.key(RequestFactory().get("/"))
    post_key = PageCacheMiddleware.key(RequestFactory().get("/posts/gut-brain-axis/"))
    client.get("/posts/gut-brain-axis/")
    # The post page's entry, copied under the home page's address, and some garbage.
    cache.set(home_key, cache.get(post_key))
    with caplog.at_level(logging.WARNING, logger="gutbrain.page_cache"):
        content = client.get("/").content.decode()
    assert '<h1 class="page-title">Latest posts</h1>' in content
    assert "stored under another address" in caplog.text
    cache.set(home_key, "not a page")
    assert "Latest posts" in client.get("/").content.decode()
    cache.set(home_key, ("gutbrain-page-1",))
    assert "Latest posts" in client.get("/").content.decode()
    stored_format, _, version, expires, _ = cache.get(post_key)
    cache.set(home_key, (stored_format, home_key, version, expires, "<h1>Forged</h1>"))
    with caplog.at_level(logging.WARNING, logger="gutbrain.page_cache"):
        assert "Latest posts" in client.get("/").content.decode()
    assert "holds a str, not a page" in caplog.text


def test_pages_are_served_from_the_database_when_redis_does_not_answer(client, post, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    for url in ("/", "/posts/gut-brain-axis/", "/feed/atom/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "The gut-brain axis" in response.content.decode()


def test_a_login_keeps_the_cached_pages(client, post, admin_user, django_assert_num_queries):
    client.get("/")
    staff = type(client)()
    staff.post(reverse("admin:login"), {"username": admin_user.username, "password": "password"})
    admin_user.refresh_from_db()
    assert admin_user.last_login is not None
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def read_together(middleware, readers=8):
    """What `readers` anonymous readers asking for the home page at the same moment get, each
    on a thread and a database connection of its own (so the tests that use this commit)."""
    barrier = threading.Barrier(readers)

    def read(_):
        try:
            barrier.wait()
            return middleware(RequestFactory().get("/")).content
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(readers) as pool:
        return list(pool.map(read, range(readers)))


def slow_view(builds, seconds):
    def view(request):
        builds.append(request)
        number = len(builds)
        time.sleep(seconds)
        return HttpResponse(f"build {number}")

    return view


@pytest.mark.django_db(transaction=True)
def test_readers_arriving_together_after_a_change_wait_for_one_build(post):
    builds = []
    middleware = PageCacheMiddleware(slow_view(builds, seconds=0.3))
    retire_pages()
    assert read_together(middleware) == [b"build 1"] * 8
    assert len(builds) == 1
    # The next change retires that page: one reader builds it again, and nobody gets the old one.
    retire_pages()
    assert read_together(middleware) == [b"build 2"] * 8
    assert len(builds) == 2


@pytest.mark.django_db(transaction=True)
def test_readers_wait_for_another_build_only_so_long(post, monkeypatch):
    monkeypatch.setattr("posts.page_cache.BUILD_WAIT_SECONDS", 0.1)
    builds = []
    middleware = PageCacheMiddleware(slow_view(builds, seconds=1))
    pages = read_together(middleware, readers=4)
    # The first build was too slow: the others built the page themselves.
    assert len(builds) == 4
    assert len(set(pages)) == 4


@pytest.mark.django_db(transaction=True)
def test_a_page_that_is_not_kept_is_built_by_each_reader(post):
    builds = []

    def missing(request):
        builds.append(request)
        time.sleep(0.2)
        return HttpResponseNotFound("no such page")

    assert read_together(PageCacheMiddleware(missing), readers=4) == [b"no such page"] * 4
    assert len(builds) == 4
