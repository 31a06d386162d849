"""Whole public pages in the cache, for readers who are not logged in.

Every cached page belongs to a content version, a random token in the cache that any change
readers could see replaces (see `retire_pages`, called by posts.effects). A page is
stored with the current version and served only while it is still current, so after a change
no server serves an older page, and the next request renders afresh. A page is also never
kept past the next scheduled publication, so that a post goes public on time with nothing run
by cron.

The middleware comes first: a page is kept with the headers the rest gave it, and a hit costs
one cache round trip and no database query. Requests that carry a session cookie (staff) pass
by the cache both ways. A release that changes templates or headers runs
`manage.py retire_pages`, so that readers get the new pages at once.
"""

import hashlib
import logging
import math
import re
import time
import uuid
from urllib.parse import urlencode

import django
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.urls import Resolver404, get_urlconf, resolve
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, parse_http_date_safe

logger = logging.getLogger("gutbrain.page_cache")

VERSION_KEY = "pages:version"
# The views whose pages are the same for every anonymous reader, with the query parameters
# each reads. Parameters outside KEY_PARAMETERS leave a page as it is: it shares its entry.
# (Search results are not kept: each query would be a page of its own, and one reader could
# fill the cache with them.)
CACHED_VIEWS = {
    "posts:home": ("page",),
    "posts:post": (),
    "posts:tag_list": (),
    "posts:tag": ("page",),
    "posts:series_list": (),
    "posts:series": ("page",),
    "posts:author": ("page",),
    "posts:archive": (),
    "posts:archive_year": ("page",),
    "posts:archive_month": ("page",),
    "posts:feed_rss": (),
    "posts:feed_atom": (),
    "posts:feed_json": (),
    "posts:tag_feed_rss": (),
    "posts:tag_feed_atom": (),
    "posts:tag_feed_json": (),
    "posts:series_feed_rss": (),
    "posts:series_feed_atom": (),
    "posts:series_feed_json": (),
    "posts:author_feed_rss": (),
    "posts:author_feed_atom": (),
    "posts:author_feed_json": (),
    "posts:sitemap": (),
    "posts:sitemap_section": ("p",),
    "posts:robots_txt": (),
}
# How long readers wait for the request already building the page they asked for, and how
# often they look for it: a page takes milliseconds to build, longer only under heavy load.
BUILD_WAIT_SECONDS = 3
WAIT_STEP_SECONDS = 0.01
# Every parameter a cached view reads. A page's key holds these alone, so that finding a page
# needs no resolving of its address; a page is stored only if its view reads each one given.
KEY_PARAMETERS = ("page", "p")
# A page number as the site's own links write it. The views also take "01" or "+1",
# which would each make a new entry for the same page: those are served, but not kept.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
CONDITIONAL_HEADERS = {
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
}
# Part of the key of each page and remembered value, and stored with each page, so that an
# entry written by anything else is never read. Pages are kept as Django's response objects:
# another Django's go unread. Change the number when what is kept changes its shape.
ENTRY_FORMAT = f"gutbrain-page-3-django-{django.get_version()}"


def content_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def retire_pages():
    """Retire every cached page: the next request for each builds it afresh. Called once a
    change has committed (posts.effects), so no page built before it is served after it."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def seconds_to_keep(version):
    """How long a page stored now may live: never past the next scheduled publication."""
    from posts.models import Post

    key = f"pages:{version}:next-publication"
    next_publication = cache.get(key)
    now = timezone.now()
    if next_publication is None or (next_publication and next_publication <= now.timestamp()):
        upcoming = Post.objects.scheduled().order_by("published_at").first()
        next_publication = upcoming.published_at.timestamp() if upcoming else 0
        lifetime = next_publication - now.timestamp() if next_publication else None
        cache.set(key, next_publication, timeout=lifetime and max(1, math.floor(lifetime)))
    limit = settings.GUTBRAIN_PAGE_CACHE_SECONDS
    if next_publication:
        limit = min(limit, math.floor(next_publication - now.timestamp()))
    return limit


def remembered(name, compute):
    """`compute()`, kept in the cache until content changes or a scheduled post goes public:
    for counts and aggregates over the whole archive, whose cost grows with it."""
    version = content_version()
    if version is None:
        return compute()
    if len(name) > 100 or not name.isascii() or any(c.isspace() for c in name):
        # Names can carry an address as typed: keep keys short and plain whatever it was.
        name = hashlib.sha256(name.encode()).hexdigest()
    key = f"remembered:{ENTRY_FORMAT}:{version}:{name}"
    found = cache.get(key)
    if found is not None:
        return found[0]
    value = compute()
    timeout = seconds_to_keep(version)
    if timeout > 0:
        cache.set(key, (value,), timeout=timeout)  # a tuple, so that None can be remembered
    return value


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = self.key(request)
        if key is None:
            return self.get_response(request)
        # One round trip to the cache for a hit: the page, and the version it must belong to.
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or content_version()
        if version is None:  # no cache to speak of
            return self.get_response(request)
        response = self.from_entry(found.get(key), key, version)
        if response is None:
            if not self.kept(request):
                return self.get_response(request)
            response = self.built_once(request, key, version)
        return self.answer(request, response)

    def built_once(self, request, key, version):
        """The page built afresh: by this request, or by the one already building it, which
        this one waits for (at most BUILD_WAIT_SECONDS, then builds it itself) so that readers
        arriving after a change do not all build the same page at once."""
        building = f"{key}:building:{version}"
        if not cache.add(building, True, timeout=BUILD_WAIT_SECONDS):
            deadline = time.monotonic() + BUILD_WAIT_SECONDS
            while time.monotonic() < deadline:
                time.sleep(WAIT_STEP_SECONDS)
                found = cache.get_many([key, building])
                response = self.from_entry(found.get(key), key, version)
                if response is not None:
                    return response
                if building not in found:
                    break  # built but not kept (an error page, say): build it here
            return self.built(request, key, version)
        try:
            return self.built(request, key, version)
        finally:
            cache.delete(building)

    def built(self, request, key, version):
        response = self.get_response(request)
        if self.storable(response):
            self.add_validators(response)
            timeout = seconds_to_keep(version)
            if timeout > 0:
                expires = timezone.now().timestamp() + timeout
                cache.set(key, self.to_entry(response, key, version, expires), timeout=timeout)
        return response

    @staticmethod
    def key(request):
        """Where the page for this request would be kept, or None if it is not kept: for
        staff, and for page numbers in an unusual spelling. HEAD shares GET's page."""
        if not settings.GUTBRAIN_PAGE_CACHE or request.method not in ("GET", "HEAD"):
            return None
        if request.path_info.startswith(settings.STATIC_URL):
            return None  # static files, which WhiteNoise serves below
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None  # someone who logged in: staff see drafts, and pages change for them
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return None  # sent on to HTTPS below
        try:
            host = request.get_host()
        except DisallowedHost:
            return None  # refused below, with the headers every answer carries
        parameters = []
        for name in KEY_PARAMETERS:
            value = request.GET.get(name, "1")  # the last one given, as the views read it
            if not PAGE_NUMBER.fullmatch(value):
                return None
            if value != "1":  # page 1 is the page without a number
                parameters.append((name, value))
        # Scheme and host are part of the page: absolute links in feeds and canonical links.
        address = f"{request.scheme}://{host}{request.path}?{urlencode(parameters)}"
        digest = hashlib.sha256(address.encode()).hexdigest()
        # Compressed by GZipMiddleware, whose own test of the header this is.
        compressed = re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        return f"pages:{ENTRY_FORMAT}:{'gz' if compressed else 'id'}:{digest}"

    @staticmethod
    def kept(request):
        """Whether this request's page is kept: its view is one of CACHED_VIEWS, and reads
        each of KEY_PARAMETERS the request gives (the rest share the page's entry)."""
        try:
            read = CACHED_VIEWS.get(resolve(request.path_info, get_urlconf()).view_name)
        except Resolver404:
            return False
        return read is not None and all(
            name in read for name in KEY_PARAMETERS if name in request.GET
        )

    @staticmethod
    def storable(response):
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
            and "no-store" not in response.get("Cache-Control", "")
        )

    @staticmethod
    def add_validators(response):
        if not response.has_header("ETag"):
            response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        if not response.has_header("Last-Modified"):
            response["Last-Modified"] = http_date(timezone.now().timestamp())
        # Browsers and proxies may keep a page, but must ask whether it is still current.
        patch_cache_control(response, no_cache=True)

    @staticmethod
    def to_entry(response, key, version, expires):
        # The response itself, as Django's own cache middleware keeps it: unpickled, its
        # headers come back whole, where setting them one by one costs more than the rest.
        # Its content in one piece: a feed is written in thousands.
        response.content = response.content
        return (ENTRY_FORMAT, key, version, expires, response)

    @staticmethod
    def from_entry(entry, key, version):
        """The response stored in `entry`, or None if it is not a page stored under `key`, was
        built before the latest change, or has outlived its time (checked here too: the
        cache's own expiry is in whole seconds)."""
        if entry is None:
            return None
        try:
            entry_format, stored_key, stored_version, expires, response = entry
            if entry_format != ENTRY_FORMAT or stored_key != key:
                raise ValueError("stored under another address or by something else")
            if not isinstance(response, HttpResponse):
                raise TypeError(f"holds a {type(response).__name__}, not a page")
            if stored_version != version or timezone.now().timestamp() >= expires:
                return None
        except (TypeError, ValueError) as error:
            logger.warning("Ignored a cache entry that is not this page (%s): %s", key, error)
            return None
        return response

    @classmethod
    def answer(cls, request, response):
        """The page, or 304 where the reader's copy is current; for HEAD, its headers alone
        (the same as GET's, Content-Length included)."""
        response = cls.conditional(request, response)
        if request.method == "HEAD" and not response.streaming:
            response.content = b""
        return response

    @staticmethod
    def conditional(request, response):
        """304 Not Modified when the reader's copy is current."""
        if response.status_code != 200 or not response.has_header("ETag"):
            return response
        if not CONDITIONAL_HEADERS & request.META.keys():
            return response  # most requests ask nothing: spare parsing the dates
        return get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=parse_http_date_safe(response.get("Last-Modified", "")),
            response=response,
        )
