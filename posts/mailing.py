"""New posts by e-mail, sent by background workers.

When a post first goes public, `announce` records one Delivery per subscriber who follows it,
in one transaction, then queues `send_deliveries` for them in batches. A delivery is claimed by
one worker, sent, and marked sent as soon as the mail server has taken it; one that fails is
tried again after a back-off, then marked failed. What a dead worker held, or a lost job
asked for, is asked for again by `ask_again_for_overdue` (scripts/worker runs it every
minute). So nothing is lost, and nothing marked sent is sent again: the one mail that can go
twice is one whose worker died between the server's acceptance and the mark.
"""

import logging
import re
import smtplib
from contextlib import suppress
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from markdownify import markdownify

from posts import websub
from posts.contents import without_permalinks
from posts.feeds import absolutize
from posts.links import public_origin
from posts.models import Post
from posts.subscribers import (
    CONFIRMATION_DAYS,
    Announcement,
    Delivery,
    Subscriber,
    Subscription,
)

logger = logging.getLogger(__name__)
BATCH = 200
# A delivery no worker has taken in this long has lost its job: no queue takes that long.
LOST_AFTER = timedelta(hours=1)
MAX_ATTEMPTS = 5
# What a mail server or the way to it can do to a send: each is tried again later.
# (ValueError: an address or header the mail library refuses; it fails for good in the end.)
SEND_ERRORS = (smtplib.SMTPException, OSError, ValueError)
WITHDRAWN = "The post was no longer public when its turn came."
UNSUBSCRIBED = "The reader unsubscribed before their turn came."
ADDRESS = re.compile(r"[^\s<>'\"(),;:\[\]]*@[^\s<>'\"(),;:\[\]]+")
# A resource's links back to where the text cites it (templates/posts/partials.html).
CITED_AT = re.compile(r'<span class="cited-at">.*?</span>', re.DOTALL)


def overdue():
    return timezone.now() - timedelta(seconds=settings.GUTBRAIN_TASK_OVERDUE_SECONDS)


def one_line(text):
    """A header's value: a line break in it would start another header."""
    return " ".join(str(text).split())


def ask_to_announce(post):
    """Queue the post's announcement for when it goes public (at once if it is)."""
    moment = post.published_at if post.published_at > timezone.now() else None
    job = announce.using(run_after=moment) if moment else announce
    transaction.on_commit(lambda: job.enqueue(post.pk))


@task()
def announce(post_id):
    """Once the post is public: the first time, record its deliveries and queue them; each
    time, tell the hub its feeds changed. Run at the post's time; early (the post was
    rescheduled) or late, it does only what is due."""
    with transaction.atomic():
        post = Post.objects.published().filter(pk=post_id).first()
        if post is None:
            return  # not public yet, unpublished, or deleted
        _, first_time = Announcement.objects.get_or_create(post=post)
        if first_time and post.email_subscribers:
            following = Subscription.matching(post).values_list("subscriber_id", flat=True)
            now = timezone.now()
            Delivery.objects.bulk_create(
                [
                    Delivery(post=post, subscriber_id=subscriber_id, next_attempt_at=now)
                    for subscriber_id in set(following)
                ],
                batch_size=1000,
                ignore_conflicts=True,
            )
            transaction.on_commit(lambda: send_waiting(post_id))
        websub.ping_for(post)


def send_waiting(post_id):
    """Queue every waiting delivery of the post, in batches."""
    waiting = Delivery.objects.filter(post_id=post_id, state=Delivery.State.WAITING)
    ids = list(waiting.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        send_deliveries.enqueue(ids[start : start + BATCH])


@task()
def send_deliveries(delivery_ids):
    """Send these deliveries, those not sent, taken or failed already."""
    claim = timezone.now()
    Delivery.objects.filter(
        Q(claimed_at=None) | Q(claimed_at__lt=overdue()),
        pk__in=delivery_ids,
        state=Delivery.State.WAITING,
        next_attempt_at__lte=claim,
    ).update(claimed_at=claim, attempts=F("attempts") + 1)
    mine = Delivery.objects.filter(pk__in=delivery_ids, claimed_at=claim)
    letters = {}  # each post's e-mail, made once for the batch
    retry = {}  # ids by when they are to be tried again
    # Once the claim is overdue, the sweep hands what is left to another worker, and both
    # would send it (a slow mail server, say): past half that time, the rest is let go.
    let_go_at = claim + timedelta(seconds=settings.GUTBRAIN_TASK_OVERDUE_SECONDS / 2)
    let_go, unreachable = [], False
    connection = mailers.default
    reopen(connection)
    try:
        for delivery in mine.select_related("subscriber").order_by("pk"):
            if unreachable or let_go or timezone.now() > let_go_at:
                let_go.append(delivery.pk)
                continue
            if delivery.subscriber.state != Subscriber.State.SUBSCRIBED:
                mark(delivery, claim, state=Delivery.State.CANCELLED, error=UNSUBSCRIBED)
                continue
            if delivery.post_id not in letters:
                post = Post.objects.published().filter(pk=delivery.post_id).first()
                letters[delivery.post_id] = post and Letter(post)
            if letters[delivery.post_id] is None:  # withdrawn since: not e-mailed after all
                mark(delivery, claim, state=Delivery.State.CANCELLED, error=WITHDRAWN)
                continue
            try:
                connection.send_messages([letters[delivery.post_id].to(delivery.subscriber)])
            except SEND_ERRORS as error:
                if again_at := failed(delivery, claim, error):
                    retry.setdefault(again_at, []).append(delivery.pk)
                # The connection may be broken: a server that cannot be reached again, or has
                # stopped answering, is not waited on for each of the rest (let go, for later).
                unreachable = not reopen(connection)
                continue
            mark(delivery, claim, state=Delivery.State.SENT, sent_at=timezone.now())
    finally:
        close(connection)
    if let_go:  # not tried: no attempt counted
        mine.filter(pk__in=let_go).update(claimed_at=None, attempts=F("attempts") - 1)
        later = claim + websub.backoff(1) if unreachable else None
        send_deliveries.using(run_after=later).enqueue(let_go)
    for again_at, ids in retry.items():
        send_deliveries.using(run_after=again_at).enqueue(ids)


def reopen(connection):
    """A connection to the mail server afresh; whether the server answered."""
    close(connection)
    try:
        connection.open()
    except SEND_ERRORS:
        return False
    return True


def close(connection):
    with suppress(SEND_ERRORS):  # gone already
        connection.close()


def mark(delivery, claim, **fields):
    """Record the outcome, if the delivery is still this worker's."""
    Delivery.objects.filter(pk=delivery.pk, claimed_at=claim).update(**fields)


def failed(delivery, claim, error):
    """Record a failed attempt; when to try again, or None when this was the last."""
    reason = without_address(f"{type(error).__name__}: {error}")
    logger.warning("Delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, reason)
    if delivery.attempts >= MAX_ATTEMPTS:
        mark(delivery, claim, state=Delivery.State.FAILED, error=reason)
        return None
    # From the batch's claim: the batch's retries at one time are one job.
    again_at = claim + websub.backoff(delivery.attempts)
    mark(delivery, claim, claimed_at=None, next_attempt_at=again_at, error=reason)
    return again_at


def without_address(text):
    """What a mail server said, short, on one line and without any address (a refusal
    names the reader's, perhaps spelt otherwise): it goes to the log and the admin."""
    return ADDRESS.sub("<address>", one_line(text))[:300]


class Letter:
    """A post as e-mail: HTML in the site's style with every link absolute, and the same as
    plain text; each copy carries its reader's own unsubscribe links."""

    def __init__(self, post):
        self.post = post
        self.origin = public_origin()
        self.url = self.origin + post.get_absolute_url()
        html = render_to_string(
            "posts/feed_entry.html", {"post": post, "resources": post.cited_resources()}
        )
        # Links within the page (to a heading, back to a citation) are no use in a letter.
        html = CITED_AT.sub("", without_permalinks(html))
        self.content_html = absolutize(html, self.url)
        self.content_text = markdownify(self.content_html, heading_style="ATX").strip()

    def to(self, subscriber):
        unsubscribe_url = self.origin + subscriber.get_unsubscribe_url()
        context = {
            "post": self.post,
            "post_url": self.url,
            "origin": self.origin,
            "content_html": self.content_html,
            "content_text": self.content_text,
            "manage_url": self.origin + subscriber.get_manage_url(),
            "unsubscribe_url": unsubscribe_url,
            "site_title": settings.GUTBRAIN_SITE_TITLE,
        }
        message = EmailMultiAlternatives(
            subject=one_line(self.post.title),
            body=render_to_string("email/post.txt", context),
            to=[subscriber.email],
            headers={
                # RFC 8058: mail programs offer a one-click unsubscribe, made with a POST.
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": f"{one_line(settings.GUTBRAIN_SITE_TITLE)} "
                f"<posts.{urlsplit(self.origin).hostname}>",
            },
        )
        message.attach_alternative(render_to_string("email/post.html", context), "text/html")
        return message


@task()
def send_confirmation(subscriber_id, origin, attempt=1):
    """E-mail the link that confirms what the subscriber asked for."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or not subscriber.subscriptions.filter(confirmed_at=None).exists():
        return
    context = {
        "site_title": settings.GUTBRAIN_SITE_TITLE,
        "origin": origin,
        "confirm_url": origin + reverse("posts:confirm", args=[subscriber.confirmation_token()]),
        "asked_for": list(subscriber.subscriptions.filter(confirmed_at=None)),
        "days": CONFIRMATION_DAYS,
    }
    message = EmailMultiAlternatives(
        subject=one_line(f"Confirm your subscription to {settings.GUTBRAIN_SITE_TITLE}"),
        body=render_to_string("email/confirm.txt", context),
        to=[subscriber.email],
    )
    message.attach_alternative(render_to_string("email/confirm.html", context), "text/html")
    try:
        message.send()
    except SEND_ERRORS as error:
        reason = without_address(str(error))
        logger.warning("Confirmation %s not sent (attempt %s): %s", subscriber_id, attempt, reason)
        if attempt < MAX_ATTEMPTS:
            later = timezone.now() + websub.backoff(attempt)
            send_confirmation.using(run_after=later).enqueue(subscriber_id, origin, attempt + 1)


def ask_again_for_overdue():
    """Queue again the deliveries whose worker died or whose job was lost, and announce the
    recently public posts whose announcement never ran; return how many deliveries. Safe to
    run on several machines at once: each delivery is asked for again by one of them."""
    now, late = timezone.now(), overdue()
    # A post's own job was lost: announced late, but announced. (Only the recently
    # published: older ones went public before e-mail, or came in bulk, unannounced.)
    recent = Post.objects.published().filter(published_at__range=(now - timedelta(days=2), late))
    for post_id in recent.filter(announcement=None).values_list("pk", flat=True):
        announce.enqueue(post_id)
    # Taken this often by workers that stopped before they finished: given up.
    Delivery.objects.filter(
        state=Delivery.State.WAITING, attempts__gte=MAX_ATTEMPTS, claimed_at__lt=late
    ).update(state=Delivery.State.FAILED, error="Its worker stopped on each attempt.")
    stuck = Delivery.objects.filter(
        # Held by a worker that stopped, or (waiting their turn far longer than any queue
        # takes to drain) their job lost.
        Q(claimed_at__lt=late, next_attempt_at__lt=late)
        | Q(claimed_at=None, next_attempt_at__lt=now - LOST_AFTER),
        state=Delivery.State.WAITING,
    )
    ids = list(stuck.values_list("pk", flat=True)[:10_000])
    # Marked with this sweep's time, so that each is asked for by one sweep only.
    stuck.filter(pk__in=ids).update(next_attempt_at=now)
    asked = list(
        Delivery.objects.filter(pk__in=ids, next_attempt_at=now).values_list("pk", flat=True)
    )
    for start in range(0, len(asked), BATCH):
        send_deliveries.enqueue(asked[start : start + BATCH])
    return len(asked)
