"""New posts by e-mail and WebSub pings, as the workers do them: who gets a post and when, the
e-mail itself, failures and retries, the hub told of changed feeds, and the admin of it all."""

import io
import re
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PillowImage
from taggit.models import Tag

from posts import mailing
from posts.images import Image
from posts.models import (
    Announcement,
    Delivery,
    Post,
    Resource,
    Series,
    SeriesPart,
    Subscriber,
)
from tests.test_admin import post_form
from tests.test_subscribing import (
    SITE,
    moving_clock,
    queued,
    subscribed,
    subscriber_of,
    work_the_queue,
)

pytestmark = pytest.mark.django_db

ADD_POST = reverse("admin:posts_post_add")


@pytest.fixture(autouse=True)
def site(settings):
    settings.GUTBRAIN_SITE_URL = SITE
    settings.GUTBRAIN_WEBSUB_HUB = ""
    settings.GUTBRAIN_SUBSCRIBE_PER_HOUR = 1000
    settings.GUTBRAIN_RETRY_SECONDS = 60
    settings.GUTBRAIN_TASK_OVERDUE_SECONDS = 300


@pytest.fixture
def clock(monkeypatch):
    return moving_clock(monkeypatch)


@pytest.fixture
def gut(db):
    return Tag.objects.create(name="Gut Health", slug="gut-health")


@pytest.fixture
def sleep(db):
    return Tag.objects.create(name="Sleep", slug="sleep")


@pytest.fixture
def gut_and_mind(db):
    return Series.objects.create(title="Gut and Mind")


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def in_series(post, series, position=1):
    SeriesPart.objects.create(series=series, post=post, position=position)
    return post


# Who gets a new post


def test_a_new_post_goes_once_to_each_confirmed_follower(make_post, gut, sleep, gut_and_mind):
    everything = subscribed("all@example.org")
    tagged = subscribed("tag@example.org", gut)
    serial = subscribed("series@example.org", gut_and_mind)
    twice = subscribed("twice@example.org", None, gut, gut_and_mind)
    subscribed("pending@example.org", confirmed=False)
    gone = subscribed("gone@example.org", gut)
    Subscriber.objects.filter(pk=gone.pk).update(state=Subscriber.State.UNSUBSCRIBED)
    subscribed("other-tag@example.org", sleep)
    unconfirmed_topic = subscribed("later@example.org", sleep)
    unconfirmed_topic.subscriptions.create(tag=gut)  # asked for, not confirmed yet

    post = in_series(make_post(title="News", tags=["Gut Health"]), gut_and_mind)
    assert not Delivery.objects.exists()  # publishing queues the work, no more
    work_the_queue("announce")
    deliveries = Delivery.objects.filter(post=post)
    assert sorted(deliveries.values_list("subscriber__email", flat=True)) == [
        "all@example.org",
        "series@example.org",
        "tag@example.org",
        "twice@example.org",
    ]
    assert set(deliveries.values_list("state", flat=True)) == {Delivery.State.WAITING}
    work_the_queue()
    assert recipients() == [
        "all@example.org",
        "series@example.org",
        "tag@example.org",
        "twice@example.org",
    ]
    assert all(message.subject == "News" for message in mail.outbox)
    assert set(deliveries.values_list("state", flat=True)) == {Delivery.State.SENT}
    assert all(delivery.sent_at for delivery in deliveries)
    assert {everything, tagged, serial, twice} == {d.subscriber for d in deliveries}


def test_announcing_again_or_publishing_again_sends_nothing_more(make_post, admin_client):
    subscribed("ana@example.org")
    post = make_post(title="Once")
    work_the_queue()
    assert recipients() == ["ana@example.org"]

    mailing.announce.call(post.pk)
    work_the_queue()
    post.status = Post.Status.DRAFT
    post.save()
    post.status = Post.Status.PUBLISHED
    post.published_at = timezone.now()
    post.save()
    work_the_queue()
    admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "unpublish", "_selected_action": [post.pk]},
    )
    admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "publish_now", "_selected_action": [post.pk]},
    )
    work_the_queue()
    assert Post.objects.get(pk=post.pk).is_published
    assert recipients() == ["ana@example.org"]
    assert Delivery.objects.count() == 1

    # A reader who subscribed since is not sent what was news before they came.
    subscribed("bo@example.org")
    mailing.announce.call(post.pk)
    post.refresh_from_db()
    post.status = Post.Status.DRAFT
    post.save()
    post.status = Post.Status.PUBLISHED
    post.save()
    work_the_queue()
    assert recipients() == ["ana@example.org"]
    assert Announcement.objects.filter(post=post).count() == 1


def test_a_scheduled_post_is_e_mailed_at_its_time_not_before(make_post, clock):
    subscribed("ana@example.org")
    moment = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    post = make_post(title="Later", published_at=moment)
    [job] = queued("announce")
    assert job.run_after == moment
    assert job.args_kwargs["args"] == [post.pk]

    work_the_queue()
    mailing.announce.call(post.pk)  # a worker that runs it early does nothing
    work_the_queue()
    assert mail.outbox == []
    assert not Announcement.objects.filter(post=post).exists()
    assert not Delivery.objects.exists()

    clock.advance(hours=2, minutes=1)
    work_the_queue()
    assert recipients() == ["ana@example.org"]
    assert Announcement.objects.filter(post=post).exists()


def test_a_post_scheduled_later_is_e_mailed_at_its_new_time(make_post, clock):
    subscribed("ana@example.org")
    post = make_post(title="Later", published_at=timezone.now() + timedelta(hours=2))
    post.published_at = timezone.now().replace(microsecond=0) + timedelta(hours=5)
    post.save()
    assert sorted(job.run_after for job in queued("announce"))[-1] == post.published_at

    clock.advance(hours=3)
    work_the_queue()
    assert mail.outbox == []
    assert not Announcement.objects.exists()
    clock.advance(hours=2, minutes=1)
    work_the_queue()
    assert recipients() == ["ana@example.org"]


def test_a_post_withdrawn_before_its_turn_is_not_e_mailed(make_post):
    subscribed("ana@example.org")
    subscribed("bo@example.org")
    post = make_post(title="Oops")
    work_the_queue("announce")
    post.status = Post.Status.DRAFT
    post.save()
    work_the_queue()
    assert mail.outbox == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.CANCELLED}
    assert Delivery.objects.filter(error=mailing.WITHDRAWN).count() == 2
    post.status = Post.Status.PUBLISHED
    post.save()
    work_the_queue()
    assert mail.outbox == []  # news once: it was not sent then, it is not news now


def test_a_post_not_to_be_e_mailed_is_announced_without_deliveries(admin_client, admin_user):
    subscribed("ana@example.org")
    data = {**post_form(admin_user, status="draft"), "_publish": "1", "_continue": "1"}
    data.pop("email_subscribers", None)  # the box unticked
    assert admin_client.post(ADD_POST, data).status_code == 302
    post = Post.objects.get()
    assert post.is_published and not post.email_subscribers
    work_the_queue()
    assert Announcement.objects.filter(post=post).exists()
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_the_post_form_has_the_e_mail_box_ticked_for_a_new_post(admin_client, admin_user):
    page = admin_client.get(ADD_POST).content.decode()
    [box] = re.findall(r'<input[^>]*name="email_subscribers"[^>]*>', page)
    assert 'type="checkbox"' in box
    assert "checked" in box
    assert "e-mail it to subscribers" in page.lower()
    data = {
        **post_form(admin_user, status="draft"),
        "email_subscribers": "on",
        "_publish": "1",
        "_continue": "1",
    }
    subscribed("ana@example.org")
    admin_client.post(ADD_POST, data)
    work_the_queue()
    assert recipients() == ["ana@example.org"]


@pytest.fixture
def hub():
    """A WebSub hub on this machine that records what it is told."""
    told = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            told.append(parse_qs(body, strict_parsing=True))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    server.told = told
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hub"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def feeds_told(hub):
    """The feeds the hub was told of, each as often as it was."""
    pings = []
    for news in hub.told:
        assert news["hub.mode"] == ["publish"]
        pings += news["hub.url"]
    return sorted(pings)


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_imports_and_the_demo_are_not_news(settings, hub, tmp_path, make_post):
    settings.GUTBRAIN_WEBSUB_HUB = hub.url
    subscribed("ana@example.org")
    call_command("load_demo", stdout=StringIO())
    public = Post.objects.published()
    assert public.count() == 3
    assert set(Announcement.objects.values_list("post", flat=True)) == set(
        public.values_list("pk", flat=True)
    )
    assert not queued("announce") and not queued("ping")

    # Export, remove a post, import it back: it comes back announced, and sends nothing.
    call_command("export_markdown", tmp_path, stdout=StringIO())
    gone = public.order_by("published_at").first()
    slug = gone.slug
    gone.delete()
    work_the_queue()
    told_before = len(hub.told)
    assert f"{SITE}/feed/rss/" in feeds_told(hub)  # a deletion is news for the feeds
    call_command("import_markdown", tmp_path, stdout=StringIO())
    back = Post.objects.get(slug=slug)
    assert Announcement.objects.filter(post=back).exists()
    assert not queued("announce") and not queued("ping")
    work_the_queue()
    assert mail.outbox == []
    assert not Delivery.objects.exists()
    assert len(hub.told) == told_before


# The e-mail


def small_png():
    picture = io.BytesIO()
    PillowImage.new("RGB", (64, 40), (10, 90, 80)).save(picture, "PNG")
    return picture.getvalue()


def urls_in(html):
    found = re.findall(r'\s(?:href|src)="([^"]*)"', html)
    for srcset in re.findall(r'\ssrcset="([^"]*)"', html):
        found += [candidate.split()[0] for candidate in srcset.split(",")]
    return found


def test_the_e_mail_is_the_post_with_every_link_absolute(make_post, gut):
    subscribed("ana@example.org", gut)
    subscribed("bo@example.org")
    make_post(title="Older post", slug="older-post")
    work_the_queue()
    mail.outbox.clear()
    image = Image(alt_text="A chart of sleep")
    image.file.save("chart.png", ContentFile(small_png()), save=True)
    body = (
        "See [the older post](post:older-post), [the tags](/tags/) and "
        "[a study](https://example.org/study) [#1].\n\n"
        f"{image.markdown}\n\n![Remote](https://example.org/remote.png)\n"
    )
    post = make_post(
        title="Gut\nfeelings,\r\n  and sleep", slug="gut-feelings", body=body, tags=["Gut Health"]
    )
    Resource.objects.create(post=post, number=1, title="A study of the vagus nerve")
    work_the_queue()
    assert recipients() == ["ana@example.org", "bo@example.org"]
    post_url = f"{SITE}/posts/gut-feelings/"

    for message in mail.outbox:
        [address] = message.to
        other = ({"ana@example.org", "bo@example.org"} - {address}).pop()
        subscriber = Subscriber.objects.get(email=address)
        assert message.subject == "Gut feelings, and sleep"
        unsubscribe = message.extra_headers["List-Unsubscribe"].removeprefix("<").removesuffix(">")
        assert subscriber_of(unsubscribe, "unsubscribe") == subscriber.pk
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        raw = message.message().as_string()
        assert "\nSubject: Gut feelings, and sleep\n" in raw
        assert f"\nTo: {address}\n" in raw
        assert other not in raw
        assert raw.count("@example.org") == 1  # the To header, no other address

        text = message.body
        assert f"View on the site: {post_url}" in text
        assert "A study of the vagus nerve" in text
        assert f"({SITE}/posts/older-post/)" in text
        assert f"({SITE}/tags/)" in text
        assert f"Unsubscribe: {unsubscribe}\n" in text
        manage = re.search(r"Manage your subscriptions: (\S+)", text)[1]
        assert subscriber_of(manage, "subscriptions") == subscriber.pk
        assert "](/" not in text

        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        assert f'<a href="{post_url}">View on the site</a>' in html
        assert "A study of the vagus nerve" in html
        assert "A chart of sleep" in html
        urls = urls_in(html)
        assert f"{SITE}/posts/older-post/" in urls
        assert f"{SITE}/tags/" in urls
        assert unsubscribe in urls
        assert any(url.startswith(f"{SITE}/media/") for url in urls), urls
        external = {"https://example.org/study", "https://example.org/remote.png"}
        assert external <= set(urls)
        for url in set(urls) - external:
            assert url.startswith(f"{SITE}/"), url
