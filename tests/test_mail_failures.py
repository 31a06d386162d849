"""When sending fails: a mail server that refuses, times out or drops the line, a worker that
dies holding deliveries, an announcement lost with its job. Nothing is lost, nothing sent is
sent again, and no log line names a reader."""

import logging
import re
import smtplib
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.utils import timezone

from posts import mailing
from posts.models import (
    Delivery,
    Post,
    Subscriber,
)
from tests.test_mailing import clock, closed_port, recipients, site  # noqa: F401 (fixtures)
from tests.test_subscribing import (
    SITE,
    SUBSCRIBE,
    local,
    queued,
    subscribed,
    work_the_queue,
)

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every recipient, naming them in its answer as servers do."""

    def send_messages(self, messages):
        [address] = messages[0].to
        reply = f"5.1.1 <{address}>: Recipient address rejected: mailbox full".encode()
        raise smtplib.SMTPRecipientsRefused({address: (452, reply)})


class DroppingBackend(BaseEmailBackend):
    """A mail server whose connection drops while the second message of the run is sent:
    a connection that dropped fails every send until it is opened again."""

    sent = 0

    def open(self):
        self.connected = True
        return True

    def close(self):
        self.connected = False

    def send_messages(self, messages):
        if not getattr(self, "connected", False):
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        DroppingBackend.sent += 1
        if DroppingBackend.sent == 2:
            self.connected = False
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def refusing(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.test_mail_failures.RefusingBackend"}}


def test_a_refused_delivery_waits_for_its_retry(make_post, refusing, caplog):
    ana = subscribed("ana@example.org")
    post = make_post(title="News")
    work_the_queue()
    before = timezone.now()
    delivery = Delivery.objects.get()
    assert (delivery.subscriber, delivery.post) == (ana, post)
    assert (delivery.state, delivery.attempts, delivery.claimed_at) == (
        Delivery.State.WAITING,
        1,
        None,
    )
    assert delivery.error.startswith("SMTPRecipientsRefused: ")
    assert "mailbox full" in delivery.error
    assert "ana@example.org" not in delivery.error
    assert timedelta(seconds=55) < delivery.next_attempt_at - before <= timedelta(seconds=60)
    [retry] = queued("send_deliveries")
    assert retry.args_kwargs["args"] == [[delivery.pk]]
    assert retry.run_after == delivery.next_attempt_at
    assert "ana@example.org" not in caplog.text
    assert mail.outbox == []


def test_a_delivery_refused_every_time_is_given_up(make_post, refusing, clock, caplog):
    caplog.set_level(logging.DEBUG)
    subscribed("ana@example.org")
    make_post(title="News")
    work_the_queue()
    waits = []
    while retries := queued("send_deliveries"):
        [retry] = retries
        waits.append(retry.run_after - timezone.now())
        clock.advance(seconds=(retry.run_after - timezone.now()).total_seconds() + 1)
        work_the_queue()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (Delivery.State.FAILED, mailing.MAX_ATTEMPTS)
    assert delivery.error and "ana@example.org" not in delivery.error
    # Four retries, each after four times the wait before it.
    assert [round(wait.total_seconds() / 60) for wait in waits] == [1, 4, 16, 64]
    assert "ana@example.org" not in caplog.text
    assert mail.outbox == []
    assert mailing.ask_again_for_overdue() == 0


def test_a_connection_dropped_in_a_batch_loses_no_delivery(make_post, settings, clock):
    settings.MAILERS = {"default": {"BACKEND": "tests.test_mail_failures.DroppingBackend"}}
    DroppingBackend.sent = 0
    for name in ("a", "b", "c", "d"):
        subscribed(f"{name}@example.org")
    make_post(title="News")
    work_the_queue()
    [waiting] = Delivery.objects.filter(state=Delivery.State.WAITING)
    second = Delivery.objects.order_by("pk")[1]
    assert waiting == second  # the one the connection dropped on; those after it were sent
    assert "SMTPServerDisconnected" in waiting.error
    assert len(mail.outbox) == 3
    assert waiting.subscriber.email not in recipients()
    clock.advance(minutes=2)
    work_the_queue()
    assert recipients() == [f"{name}@example.org" for name in "abcd"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}


class MailServer:
    """An SMTP server on this machine (aiosmtpd's) that keeps what it accepts, refuses mailboxes
    that are full, naming them as servers do, and drops the connection once on the message it
    is told to."""

    def __init__(self):
        self.accepted = []
        self.messages = 0
        self.drop_at = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("full"):
            return f"452 4.2.2 <{address}>: Mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        if self.messages == self.drop_at:
            server.transport.close()
            return "421 Gone"
        self.accepted += envelope.rcpt_tos
        return "250 Message accepted for delivery"


@pytest.fixture
def mail_server(settings):
    from aiosmtpd.controller import Controller

    handler = MailServer()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    yield handler
    controller.stop()


def test_a_real_mail_server_that_refuses_one_and_drops_the_line_loses_nothing(
    make_post, mail_server, clock, caplog
):
    for name in ("a", "b", "full", "c", "d"):
        subscribed(f"{name}@example.org")
    make_post(title="News")
    work_the_queue("announce")
    order = list(Delivery.objects.order_by("pk").values_list("subscriber__email", flat=True))
    dropped = next(email for email in order if not email.startswith("full"))
    mail_server.drop_at = 1  # the first message that gets as far as its text
    work_the_queue()
    assert sorted(mail_server.accepted) == sorted(set(order) - {dropped, "full@example.org"})

    waiting = Delivery.objects.filter(state=Delivery.State.WAITING)
    errors = dict(waiting.values_list("subscriber__email", "error"))
    assert set(errors) == {dropped, "full@example.org"}
    assert "Mailbox full" in errors["full@example.org"]
    assert "full@example.org" not in errors["full@example.org"]
    ours = [record.getMessage() for record in caplog.records if record.name != "mail.log"]
    assert any("Mailbox full" in line for line in ours)
    assert not any("full@example.org" in line for line in ours)

    clock.advance(minutes=2)
    work_the_queue()
    assert sorted(mail_server.accepted) == sorted(set(order) - {"full@example.org"})
    assert Delivery.objects.get(subscriber__email="full@example.org").attempts == 2


def test_a_delivery_whose_worker_died_is_asked_for_again_and_sent_once(make_post, clock):
    ana = subscribed("ana@example.org")
    bo = subscribed("bo@example.org")
    cy = subscribed("cy@example.org")
    post = make_post(title="News", email_subscribers=False)
    work_the_queue()
    now = timezone.now()
    dead = Delivery.objects.create(
        post=post,
        subscriber=ana,
        attempts=1,
        claimed_at=now - timedelta(hours=1),
        next_attempt_at=now - timedelta(hours=1),
    )
    # Claimed a moment ago by a worker at work, and waiting for its retry: left alone.
    busy = Delivery.objects.create(
        post=post,
        subscriber=bo,
        attempts=1,
        claimed_at=now,
        next_attempt_at=now - timedelta(hours=1),
    )
    backing_off = Delivery.objects.create(
        post=post, subscriber=cy, attempts=1, next_attempt_at=now + timedelta(minutes=4)
    )

    assert mailing.ask_again_for_overdue() == 1
    [job] = queued("send_deliveries")
    assert job.args_kwargs["args"] == [[dead.pk]]
    assert mailing.ask_again_for_overdue() == 0  # asked for once
    work_the_queue()
    assert recipients() == ["ana@example.org"]
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == (Delivery.State.SENT, 2)
    assert mailing.ask_again_for_overdue() == 0
    work_the_queue()
    assert recipients() == ["ana@example.org"]
    busy.refresh_from_db(), backing_off.refresh_from_db()
    assert busy.state == backing_off.state == Delivery.State.WAITING


def test_a_post_whose_announcement_was_lost_is_announced_by_the_sweep(make_post):
    subscribed("ana@example.org")
    post = make_post(title="Lost", status=Post.Status.DRAFT, published_at=None)
    # Published behind the signals' back (a bulk update): no announcement was queued.
    Post.objects.filter(pk=post.pk).update(
        status=Post.Status.PUBLISHED, published_at=timezone.now() - timedelta(minutes=5)
    )
    assert not queued("announce")
    mailing.ask_again_for_overdue()
    work_the_queue()
    assert recipients() == ["ana@example.org"]


def test_a_sent_delivery_is_never_sent_again(make_post, clock):
    subscribed("ana@example.org")
    make_post(title="News")
    work_the_queue()
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.SENT
    mailing.send_deliveries.call([delivery.pk])
    clock.advance(hours=1)  # long after its worker would be taken for dead
    assert mailing.ask_again_for_overdue() == 0
    mailing.send_deliveries.call([delivery.pk])
    work_the_queue()
    assert recipients() == ["ana@example.org"]
    assert Delivery.objects.get().sent_at == delivery.sent_at


def test_a_confirmation_that_cannot_be_sent_is_tried_again_then_given_up(client, refusing, clock):
    assert client.post(SUBSCRIBE, {"email": "ana@example.org", "topic": ""}).status_code == 200
    tries = 0
    while jobs := queued("send_confirmation"):
        [job] = jobs
        tries += 1
        if tries > 1:
            assert job.run_after > timezone.now()
        clock.advance(seconds=max((job.run_after - timezone.now()).total_seconds(), 0) + 1)
        work_the_queue()
    assert tries == mailing.MAX_ATTEMPTS
    assert mail.outbox == []


def test_no_readers_address_in_any_log_line(client, make_post, settings, caplog, clock):
    """Subscribing wrongly and rightly, too often, confirming, deliveries and confirmations
    refused by the mail server, a hub that is down, unsubscribing: no log line names a
    reader."""
    caplog.set_level(logging.DEBUG)
    settings.GUTBRAIN_SUBSCRIBE_PER_HOUR = 6
    settings.GUTBRAIN_WEBSUB_HUB = f"http://127.0.0.1:{closed_port()}/"
    client.post(SUBSCRIBE, {"email": "ana.reader@example.org", "topic": ""})
    client.post(SUBSCRIBE, {"email": "bo.reader@example.org\nBcc: x@evil.test", "topic": ""})
    client.post(SUBSCRIBE, {"email": "bo.reader@example.org", "topic": "tag:none"})
    client.post(SUBSCRIBE, {"email": "cy.reader@example.org", "topic": ""})
    work_the_queue()
    for message in mail.outbox:
        link = re.search(rf"{SITE}/subscribe/confirm/\S+", message.body)[0]
        Client().get(local(link))
    client.get("/subscribe/confirm/nonsense/")
    client.get("/subscriptions/nonsense/")
    for _ in range(4):
        client.post(SUBSCRIBE, {"email": "dee.reader@example.org", "topic": ""})

    settings.MAILERS = {"default": {"BACKEND": "tests.test_mail_failures.RefusingBackend"}}
    subscribed("eve.reader@example.org", confirmed=False)
    client.post(
        SUBSCRIBE, {"email": "eve.reader@example.org", "topic": ""}, REMOTE_ADDR="192.0.2.9"
    )
    make_post(title="News")
    for _ in range(6):
        work_the_queue()
        clock.advance(hours=2)
    ana = Subscriber.objects.get(email="ana.reader@example.org")
    client.post(ana.get_unsubscribe_url())
    client.get(ana.get_manage_url())

    assert Delivery.objects.filter(state=Delivery.State.FAILED).count() == 2
    assert "refused" in caplog.text.lower() or "Recipients" in caplog.text
    assert ".reader@" not in caplog.text
    for record in caplog.records:
        assert ".reader@" not in record.getMessage()


@pytest.mark.parametrize(
    "said",
    [
        "(550, b'<reader@xn--bcher-kva.de> unknown')",
        "{'Reader@Example.org': (550, b'5.1.1 no such user')}",
        "rejected: victim@example.com;",
    ],
)
def test_no_address_survives_in_what_a_mail_server_said(said):
    assert "@" not in mailing.without_address(said)
    assert "<address>" in mailing.without_address(said)
