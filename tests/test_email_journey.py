"""E-mail to subscribers end to end, with real worker processes and a real mail server: a reader
subscribes, confirms from the e-mail, receives a new post and leaves in one click; a scheduled
post goes out at its time; a worker killed halfway through a thousand deliveries loses none.

On SQLite too: the test database is a file there (gutbrain/settings.py), which workers share."""

import asyncio
import email
import logging
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.tasks.base import TaskResultStatus
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from posts.models import Announcement, Delivery, Post, Subscriber, Subscription
from tests.test_admin import post_form
from tests.test_pictures_journey import stop, wait_for

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    # The Author group comes from a data migration, which a flush between tests would remove.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite" and connection.settings_dict["TEST"]["NAME"] == ":memory:",
        reason="worker processes cannot share an in-memory database",
    ),
]


class Sink:
    """What an SMTP server accepted: (recipients, message, when), in order."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append((envelope.rcpt_tos, envelope.original_content, time.time()))
        return "250 OK"

    def messages(self):
        with self.lock:
            return [
                email.message_from_bytes(content, policy=policy.default)
                for _, content, _ in self.received
            ]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sink(caplog):
    """A real SMTP server on this machine that keeps what it is sent."""
    caplog.set_level(logging.WARNING, logger="mail.log")  # a line per SMTP command otherwise
    handler = Sink()
    server = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="sink")
    server.start()
    handler.port = server.port
    yield handler
    server.stop()


def worker_environment(sink, site_url="http://127.0.0.1:8000"):
    """What a worker process needs to share this test's database, cache and secret key, and to
    send through the sink, quickly: retries after a second, dead workers' deliveries taken
    over after two, swept for every second."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{database['NAME']}"
    else:
        login = urllib.parse.quote(database["USER"])
        if database["PASSWORD"]:
            login += ":" + urllib.parse.quote(database["PASSWORD"])
        database_url = (
            f"postgres://{login}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        )
    cache = settings.CACHES["default"]
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_MEDIA_ROOT": settings.MEDIA_ROOT,
        "DJANGO_EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "GUTBRAIN_SITE_URL": site_url,
        "GUTBRAIN_RETRY_SECONDS": "1",
        "GUTBRAIN_TASK_OVERDUE_SECONDS": "2",
        "GUTBRAIN_SWEEP_SECONDS": "1",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    if "redis" in cache["BACKEND"].lower():
        environment["REDIS_URL"] = cache["LOCATION"]
    else:
        environment.pop("REDIS_URL", None)
        environment["GUTBRAIN_CACHE_DIR"] = cache["LOCATION"]
    return environment


def start_worker(environment):
    """scripts/worker: a queue worker, and the sweep that asks again for overdue work."""
    return subprocess.Popen(
        ["scripts/worker"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, to stop with all it started
    )


def queue_is_empty():
    return not DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).exists()


def author_client(django_user_model):
    author = django_user_model.objects.create_user("writer", password="pw", is_staff=True)
    author.groups.add(Group.objects.get(name="Author"))
    client = Client()
    client.force_login(author)
    return author, client


def publish(client, author, title, **fields):
    """Publish a new post through the admin's post form, as its author would."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    data = {
        **post_form(author, title=title, slug=slug, status="draft", **fields),
        "email_subscribers": "on",
        "_publish": "1",
    }
    response = client.post(reverse("admin:posts_post_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Post.objects.get(slug=slug)


def http(url, data=None):
    """A request as a mail program makes it: no cookies, no CSRF token."""
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode()


def text_and_html(message):
    assert message.get_content_type() == "multipart/alternative"
    # As it went over the wire: lines end in CRLF.
    parts = {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in message.iter_parts()
    }
    assert set(parts) == {"text/plain", "text/html"}
    return parts["text/plain"], parts["text/html"]


def test_a_reader_subscribes_confirms_receives_a_new_post_and_leaves_in_one_click(
    sink, live_server, django_user_model
):
    author, client = author_client(django_user_model)
    worker = start_worker(worker_environment(sink, live_server.url))
    try:
        status, page = http(
            f"{live_server.url}/subscribe/",
            urllib.parse.urlencode({"email": "Reader@Example.org", "topic": ""}).encode(),
        )
        assert status == 200 and "Check your inbox" in page

        wait_for(lambda: len(sink.received) == 1, seconds=30)
        [confirmation] = sink.messages()
        assert confirmation["To"] == "reader@example.org"
        text, html = text_and_html(confirmation)
        [confirm_url] = re.findall(r"^(http\S+/subscribe/confirm/\S+/)$", text, re.MULTILINE)
        assert confirm_url.startswith(live_server.url + "/")
        assert f'href="{confirm_url}"' in html
        status, page = http(confirm_url)
        assert status == 200
        reader = Subscriber.objects.get(email="reader@example.org")
        assert reader.state == Subscriber.State.SUBSCRIBED

        post = publish(client, author, "Fibre Feeds the Mind", body="## Fibre\n\nSee [home](/).")
        wait_for(lambda: len(sink.received) >= 2, seconds=30)
        wait_for(lambda: queue_is_empty() and Delivery.objects.filter(state="sent").exists())
        time.sleep(1.5)  # a second mail of the post, were one coming, would be here by now
        assert len(sink.received) == 2
        [recipients, _, _] = sink.received[1]
        assert recipients == ["reader@example.org"]
        letter = sink.messages()[1]
        assert letter["To"] == "reader@example.org"
        assert letter["Subject"] == "Fibre Feeds the Mind"
        [unsubscribe_url] = re.fullmatch(
            r"<(https?://[^>]+/unsubscribe/)>", letter["List-Unsubscribe"]
        ).groups()
        assert unsubscribe_url.startswith(live_server.url + "/")
        assert letter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text, html = text_and_html(letter)
        post_url = live_server.url + post.get_absolute_url()
        assert f"View on the site: {post_url}" in text
        assert re.search(rf'<a href="{re.escape(post_url)}">View on the site</a>', html)
        links = re.findall(r'\s(?:href|src)="([^"]*)"', html)
        assert links and all(re.match(r"https?://", link) for link in links), links
        assert f'href="{live_server.url}/"' in html  # the post's own link to the home page
        assert f"See [home]({live_server.url}/)" in text

        # A mail program's one-click unsubscribe: a bare POST, no cookies, no token.
        status, page = http(unsubscribe_url, b"List-Unsubscribe=One-Click")
        assert status == 200
        reader.refresh_from_db()
        assert reader.state == Subscriber.State.UNSUBSCRIBED

        later = publish(client, author, "Sleep and Serotonin")
        wait_for(lambda: Announcement.objects.filter(post=later).exists() and queue_is_empty())
        time.sleep(1.5)
    finally:
        stop(worker)
    assert len(sink.received) == 2
    assert not Delivery.objects.filter(post=later).exists()


def test_a_scheduled_post_is_e_mailed_once_when_its_time_comes(
    sink, live_server, make_post, django_user_model
):
    reader = Subscriber.objects.create(
        email="early@example.org", state=Subscriber.State.SUBSCRIBED
    )
    Subscription.objects.create(subscriber=reader, confirmed_at=timezone.now())
    worker = start_worker(worker_environment(sink, live_server.url))
    try:
        post = make_post(
            title="Tomorrow's Gut", published_at=timezone.now() + timedelta(seconds=4)
        )
        assert post.is_scheduled
        wait_for(lambda: len(sink.received) == 1, seconds=30)
        wait_for(queue_is_empty)
        time.sleep(2)  # the sweep (every second) asks for nothing more
    finally:
        stop(worker)
    [(recipients, _, arrived)] = sink.received
    assert recipients == ["early@example.org"]
    assert arrived >= post.published_at.timestamp()
    assert sink.messages()[0]["Subject"] == "Tomorrow's Gut"
    assert Delivery.objects.get(post=post).state == Delivery.State.SENT


def test_a_worker_killed_mid_delivery_loses_no_e_mail_and_repeats_at_most_one(sink, make_post):
    """A thousand subscribers; the worker is killed (the whole process group, as a crash or an
    out-of-memory kill would) after a few hundred are sent. Another takes over: everyone gets
    the post, and only the one mail in flight at the kill can arrive twice."""
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{number}@example.org", state=Subscriber.State.SUBSCRIBED)
        for number in range(1000)
    )
    now = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(subscriber=subscriber, confirmed_at=now) for subscriber in subscribers
    )
    post = make_post(title="A Thousand Readers")
    sent = Delivery.objects.filter(post=post, state=Delivery.State.SENT)
    environment = worker_environment(sink)

    worker = start_worker(environment)
    try:
        wait_for(lambda: sent.count() >= 300, seconds=60)
    finally:
        stop(worker, signal.SIGKILL)
    sent_at_kill, received_at_kill = sent.count(), len(sink.received)
    held_at_kill = (
        Delivery.objects.filter(post=post, state="waiting").exclude(claimed_at=None).count()
    )

    worker = start_worker(environment)
    try:
        wait_for(
            lambda: not Delivery.objects.filter(post=post, state="waiting").exists(), seconds=60
        )
    finally:
        stop(worker)

    received = Counter(address for recipients, _, _ in sink.received for address in recipients)
    duplicates = sum(received.values()) - len(received)
    report = (
        f"at the kill: {sent_at_kill} marked sent, {received_at_kill} received, "
        f"{held_at_kill} claimed; in the end {sum(received.values())} received, "
        f"{len(received)} addresses, {duplicates} duplicates"
    )
    print(report)
    assert set(received) == {subscriber.email for subscriber in subscribers}, report
    assert sent.count() == 1000, report
    assert received_at_kill - sent_at_kill <= 1, report  # in flight: accepted, not yet marked
    assert duplicates <= received_at_kill - sent_at_kill, report


class SlowSink(Sink):
    """A mail server that takes its time over each mail, as a busy or throttling one does."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.03)
        return await super().handle_DATA(server, session, envelope)


def test_two_workers_and_a_slow_mail_server_send_each_mail_once(sink, make_post):
    """A batch takes longer than a worker's claim lasts: the sweep hands what is left of it to
    the idle worker, and the first one must not go on sending it too."""
    sink.__class__ = SlowSink
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{number}@example.org", state=Subscriber.State.SUBSCRIBED)
        for number in range(250)  # a batch of 200, and one of 50 that leaves a worker idle
    )
    now = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(subscriber=subscriber, confirmed_at=now) for subscriber in subscribers
    )
    environment = {**worker_environment(sink), "GUTBRAIN_TASK_OVERDUE_SECONDS": "3"}
    workers = [start_worker(environment), start_worker(environment)]
    try:
        post = make_post(title="Slowly")
        waiting = Delivery.objects.filter(post=post, state=Delivery.State.WAITING)
        wait_for(lambda: len(sink.received) >= 250 and not waiting.exists(), seconds=60)
        wait_for(queue_is_empty)
        time.sleep(1)  # a mail sent twice would be here by now
    finally:
        for worker in workers:
            stop(worker)
    received = Counter(address for recipients, _, _ in sink.received for address in recipients)
    assert set(received) == {subscriber.email for subscriber in subscribers}
    assert received.most_common(1)[0][1] == 1, f"{sum(received.values()) - 250} sent twice"
