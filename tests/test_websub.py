"""WebSub: every change to what a feed lists has the hub told of that feed, through the
queue, with retries while the hub cannot be reached."""

from datetime import timedelta

import pytest
from django.utils import timezone

from posts import websub
from posts.models import AuthorProfile, Post
from tests.test_mailing import (  # noqa: F401 (fixtures)
    clock,
    closed_port,
    feeds_told,
    gut_and_mind,
    hub,
    in_series,
    site,
)
from tests.test_subscribing import SITE, queued, work_the_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def shown_post(make_post, author, gut_and_mind):
    AuthorProfile.objects.create(user=author, slug="ada-writer", display_name="Ada Writer")
    post = make_post(title="Shown", tags=["Gut Health", "Sleep"])
    return in_series(post, gut_and_mind)


def feeds_of_shown_post():
    scopes = ["", "/tags/gut-health", "/tags/sleep", "/series/gut-and-mind", "/authors/ada-writer"]
    return sorted(f"{SITE}{scope}/feed/{kind}/" for scope in scopes for kind in websub.FORMATS)


def test_a_published_post_has_the_hub_told_of_all_its_feeds(settings, hub, shown_post):
    settings.GUTBRAIN_WEBSUB_HUB = hub.url
    work_the_queue()  # announce, then ping
    assert feeds_told(hub) == feeds_of_shown_post()
    assert len(feeds_of_shown_post()) == 15
    assert sorted(websub.feeds_of(shown_post)) == feeds_of_shown_post()


@pytest.mark.parametrize("change", ["edited", "unpublished", "deleted"])
def test_a_change_to_a_public_post_has_the_hub_told(settings, hub, shown_post, change):
    settings.GUTBRAIN_WEBSUB_HUB = hub.url
    work_the_queue()
    hub.told.clear()
    if change == "edited":
        shown_post.title = "Shown again"
        shown_post.save()
    elif change == "unpublished":
        shown_post.status = Post.Status.DRAFT
        shown_post.save()
    else:
        shown_post.delete()
    assert len(queued("ping")) == 1
    work_the_queue()
    assert feeds_told(hub) == feeds_of_shown_post()


@pytest.mark.parametrize("kind", ["draft", "scheduled"])
def test_editing_a_post_readers_cannot_see_tells_the_hub_nothing(settings, hub, make_post, kind):
    settings.GUTBRAIN_WEBSUB_HUB = hub.url
    if kind == "draft":
        post = make_post(status=Post.Status.DRAFT, published_at=None)
    else:
        post = make_post(published_at=timezone.now() + timedelta(days=2))
    work_the_queue()
    post.title = "Changed"
    post.save()
    post.tags.add("Gut Health")
    work_the_queue()
    assert not queued("ping")
    assert hub.told == []


def test_a_hub_that_is_down_is_told_later_then_given_up_on(settings, make_post, clock, caplog):
    settings.GUTBRAIN_WEBSUB_HUB = f"http://127.0.0.1:{closed_port()}/"
    make_post(title="News")
    work_the_queue()
    tries = 1
    waits = []
    while pings := queued("ping"):
        [ping] = pings
        assert ping.args_kwargs["args"][1] == tries + 1  # the attempt it will be
        assert len(ping.args_kwargs["args"][0]) == 3  # the site's feeds, none forgotten
        waits.append(ping.run_after - timezone.now())
        clock.advance(seconds=waits[-1].total_seconds() + 1)
        work_the_queue()
        tries += 1
    assert tries == websub.MAX_ATTEMPTS
    assert [round(wait.total_seconds() / 60) for wait in waits] == [1, 4, 16, 64]
    assert "The hub was not told of 3 feed(s) in 5 tries" in caplog.text


def test_without_a_hub_nothing_is_queued_to_tell_one(make_post):
    post = make_post(title="News", tags=["Gut Health"])
    work_the_queue()
    post.title = "Edited"
    post.save()
    post.status = Post.Status.DRAFT
    post.save()
    post.status = Post.Status.PUBLISHED
    post.save()
    work_the_queue()
    post.delete()
    assert not queued("ping")


def test_a_public_post_given_another_tag_or_series_has_the_hub_told(
    settings, hub, shown_post, gut_and_mind
):
    settings.GUTBRAIN_WEBSUB_HUB = hub.url
    work_the_queue()
    hub.told.clear()
    shown_post.tags.add("Microbiome")
    work_the_queue()
    assert f"{SITE}/tags/microbiome/feed/json/" in feeds_told(hub)
    hub.told.clear()
    gut_and_mind.title = "Gut and Mind, revised"
    gut_and_mind.save()  # the series' feed has a new title
    work_the_queue()
    assert f"{SITE}/series/gut-and-mind/feed/atom/" in feeds_told(hub)


def test_the_feeds_a_public_post_leaves_are_told_too(settings, hub, shown_post):
    settings.GUTBRAIN_WEBSUB_HUB = hub.url
    work_the_queue()
    hub.told.clear()
    shown_post.tags.remove("Sleep")
    shown_post.series_parts.get().delete()
    work_the_queue()
    told = feeds_told(hub)
    for kind in websub.FORMATS:
        assert f"{SITE}/tags/sleep/feed/{kind}/" in told
        assert f"{SITE}/series/gut-and-mind/feed/{kind}/" in told
