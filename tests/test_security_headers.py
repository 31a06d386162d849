"""Every response carries the security headers: public pages (built or from the cache), feeds,
static files, errors and the admin."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from posts import cards
from posts.models import AuthorProfile, Resource, Series, SeriesPart, Subscriber
from posts.surroundings import series_places

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(make_post):
    post = make_post(title="The gut-brain axis", slug="gut-brain-axis", tags=["Gut Health"])
    Resource.objects.create(post=post, number=1, title="A study")
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=post, position=1)
    AuthorProfile.objects.create(user=post.author, slug="ada-writer", display_name="Ada Writer")
    return post


def sample_urls(post):
    """One address for every public URL pattern, by name."""
    year, month = post.published_at.year, post.published_at.month
    reader, _ = Subscriber.objects.get_or_create(email="reader@example.org")
    reader.subscriptions.get_or_create(tag=None, series=None)
    return {
        "healthz": "/healthz",
        "posts:home": "/",
        "posts:favicon": "/favicon.ico",
        "posts:robots_txt": "/robots.txt",
        "posts:sitemap": "/sitemap.xml",
        "posts:sitemap_section": "/sitemap-posts.xml",
        "posts:post": post.get_absolute_url(),
        "posts:tag_list": "/tags/",
        "posts:tag": "/tags/gut-health/",
        "posts:series_list": "/series/",
        "posts:series": "/series/gut-and-mind/",
        "posts:author": "/authors/ada-writer/",
        "posts:search": "/search/?q=gut",
        "posts:archive": "/archive/",
        "posts:archive_year": f"/archive/{year}/",
        "posts:archive_month": f"/archive/{year}/{month:02d}/",
        "posts:feed_rss": "/feed/rss/",
        "posts:feed_atom": "/feed/atom/",
        "posts:tag_feed_rss": "/tags/gut-health/feed/rss/",
        "posts:tag_feed_atom": "/tags/gut-health/feed/atom/",
        "posts:series_feed_rss": "/series/gut-and-mind/feed/rss/",
        "posts:series_feed_atom": "/series/gut-and-mind/feed/atom/",
        "posts:author_feed_rss": "/authors/ada-writer/feed/rss/",
        "posts:author_feed_atom": "/authors/ada-writer/feed/atom/",
        "posts:feed_json": "/feed/json/",
        "posts:tag_feed_json": "/tags/gut-health/feed/json/",
        "posts:series_feed_json": "/series/gut-and-mind/feed/json/",
        "posts:author_feed_json": "/authors/ada-writer/feed/json/",
        "posts:post_card": cards.for_post(post, series_places(post)).address,
        "posts:site_card": cards.for_site().address,
        "posts:post_citation": f"{post.get_absolute_url()}cite.bib",
        "posts:subscribe": "/subscribe/?tag=gut-health",
        "posts:confirm": f"/subscribe/confirm/{reader.confirmation_token()}/",
        "posts:subscriptions": reader.get_manage_url(),
        "posts:unsubscribe": reader.get_unsubscribe_url(),
    }


def public_pattern_names(patterns=None, namespace=""):
    """Every named URL pattern outside the admin and uploads."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= public_pattern_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def directives(policy):
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def assert_security_headers(response):
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[name]
        assert "'unsafe-eval'" not in policy[name]
        assert "*" not in policy[name]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_every_public_url_pattern_is_checked(site):
    assert public_pattern_names() == set(sample_urls(site))


@pytest.mark.parametrize("page_cache", [False, True], ids=["built", "cached"])
def test_public_pages_carry_the_security_headers(client, site, settings, page_cache):
    settings.GUTBRAIN_PAGE_CACHE = page_cache
    for name, url in sample_urls(site).items():
        for _ in range(2 if page_cache else 1):  # the second time from the cache
            response = client.get(url)
            assert response.status_code in (200, 301), (name, response.status_code)
            assert_security_headers(response)


def test_errors_and_static_files_carry_the_security_headers(client, site):
    assert_security_headers(client.get("/posts/no-such-post/"))
    assert_security_headers(client.get("/archive/2026/13/"))
    static = client.get("/static/posts/site.css")
    assert static.status_code == 200
    assert b"--page-width" in b"".join(static.streaming_content)
    static.close()
    assert_security_headers(static)


def test_the_admin_carries_the_security_headers(client, admin_client, site):
    login = client.get("/admin/login/")
    assert login.status_code == 200
    assert_security_headers(login)
    for url in ("/admin/", "/admin/posts/post/", f"/admin/posts/post/{site.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)


def test_admin_inline_scripts_and_styles_carry_the_nonce_the_policy_names(admin_client, site):
    response = admin_client.get(f"/admin/posts/post/{site.pk}/change/")
    policy = directives(response["Content-Security-Policy"])
    content = response.content.decode()
    inline = [
        tag
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", content)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    for tag in inline:
        nonce = re.search(r'nonce="([^"]+)"', tag)
        assert nonce, f"inline without a nonce: {tag}"
        kind = "script-src" if tag.startswith("<script") else "style-src"
        assert f"'nonce-{nonce.group(1)}'" in policy[kind], tag


def test_readers_pages_have_no_inline_script(client, site):
    content = client.get(site.get_absolute_url()).content.decode()
    for script in content.split("<script")[1:]:
        tag = script.split(">", 1)[0]
        assert 'type="application/ld+json"' in tag, tag


def test_production_adds_hsts(client, settings, site):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_SSL_REDIRECT = False
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert_security_headers(response)


def test_a_refused_host_is_answered_400_with_the_security_headers(client, settings, site):
    settings.GUTBRAIN_PAGE_CACHE = True
    for _ in range(2):
        response = client.get(site.get_absolute_url(), HTTP_HOST="evil.example.org")
        assert response.status_code == 400
        assert site.title.encode() not in response.content
        assert_security_headers(response)


def test_with_https_required_a_plain_request_is_sent_on_and_never_served_a_kept_page(
    client, settings, site, django_assert_num_queries
):
    settings.GUTBRAIN_PAGE_CACHE = True
    settings.SECURE_SSL_REDIRECT = True
    url = site.get_absolute_url()
    client.get(url, secure=True)
    with django_assert_num_queries(0):
        kept = client.get(url, secure=True)
    assert kept.status_code == 200 and site.title.encode() in kept.content
    plain = client.get(url)
    assert plain.status_code == 301
    assert plain["Location"] == f"https://testserver{url}"
    assert site.title.encode() not in plain.content
