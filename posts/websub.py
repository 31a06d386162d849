"""WebSub: the hub (GUTBRAIN_WEBSUB_HUB) is told which feeds changed, and pushes them to feed
readers at once instead of leaving them to poll. Pings go through the task queue and are
tried again with a back-off when the hub cannot be reached."""

import http.client
import logging
from datetime import timedelta
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from posts.links import public_origin
from posts.models import AuthorProfile, Post, Series

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
FORMATS = ("rss", "atom", "json")


def feeds_of(post):
    """The absolute addresses of every feed that lists the post: the site's, its tags',
    its series' and its author's, in each format."""
    scopes = [("feed_{}", ())]
    scopes += [("tag_feed_{}", (slug,)) for slug in post.tags.values_list("slug", flat=True)]
    series = post.series_parts.values_list("series__slug", flat=True)
    scopes += [("series_feed_{}", (slug,)) for slug in series]
    profile = AuthorProfile.objects.filter(user_id=post.author_id).first()
    if profile is not None:
        scopes.append(("author_feed_{}", (profile.slug,)))
    origin = public_origin()
    return [
        origin + reverse(f"posts:{name.format(kind)}", args=args)
        for name, args in scopes
        for kind in FORMATS
    ]


def feeds_left(post_id, scope, pk):
    """The feeds of a tag or series (by id) that a public post leaves, if there is a hub to
    tell of them: known only before the tag or series is gone."""
    if (
        not settings.GUTBRAIN_WEBSUB_HUB
        or not Post.objects.published().filter(pk=post_id).exists()
    ):
        return []
    model = Tag if scope == "tag" else Series
    slug = model.objects.filter(pk=pk).values_list("slug", flat=True).first()
    if slug is None:
        return []
    origin = public_origin()
    return [origin + reverse(f"posts:{scope}_feed_{kind}", args=[slug]) for kind in FORMATS]


def feeds_to_ping(post):
    """The post's feeds, if there is a hub to tell of them."""
    return feeds_of(post) if settings.GUTBRAIN_WEBSUB_HUB else []


def ping_for(post):
    """Have the hub told, once the transaction commits, that the post's feeds changed."""
    ping_feeds(feeds_to_ping(post))


def ping_feeds(urls):
    if urls:
        transaction.on_commit(lambda: ping.enqueue(sorted(set(urls))))


@task()
def ping(feed_urls, attempt=1):
    """Tell the hub these feeds changed; those it did not take are tried again later."""
    untold, reachable = [], True
    for url in feed_urls:
        # A hub that cannot be reached is not waited on again for the rest: they are retried.
        if not reachable:
            untold.append(url)
            continue
        try:
            if not told(settings.GUTBRAIN_WEBSUB_HUB, url):
                untold.append(url)
        except (URLError, OSError, ValueError, http.client.HTTPException) as error:
            logger.info("The hub could not be reached: %s", error)
            untold.append(url)
            reachable = False
    if not untold:
        return
    if attempt >= MAX_ATTEMPTS:
        logger.warning("The hub was not told of %s feed(s) in %s tries", len(untold), attempt)
        return
    later = timezone.now() + backoff(attempt)
    ping.using(run_after=later).enqueue(untold, attempt + 1)


def backoff(attempts):
    """How long after this many failed attempts to try again: longer each time."""
    return timedelta(seconds=settings.GUTBRAIN_RETRY_SECONDS * 4 ** (attempts - 1))


def told(hub, feed_url):
    """Whether the hub took the news (any 2xx answer, as WebSub asks); raises if the hub
    cannot be reached."""
    news = urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode()
    try:
        with urlopen(Request(hub, data=news, method="POST"), timeout=5) as answer:
            return 200 <= answer.status < 300
    except HTTPError as refusal:
        logger.info("The hub refused %s: %s", feed_url, refusal)
        return False
