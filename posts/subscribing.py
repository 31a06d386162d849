"""Following by e-mail: the subscribe form, the confirmation link, the subscriber's own page
and one-click unsubscribe.

The form sits on cached pages, which carry no per-reader token, so its endpoint takes no CSRF
token: a forged request can at most have one confirmation e-mail a day sent to an address.
The other pages are reached by signed links, which are their own proof; none is cached, and
none ever shows an address other than the reader's own.
"""

import time

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from taggit.models import Tag

from gutbrain.security import client_address
from posts import mailing
from posts.links import site_origin
from posts.models import Series
from posts.subscribers import CONFIRMATION_DAYS, Subscriber, Subscription

CONFIRMATION_EVERY = timezone.timedelta(days=1)


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label="Your e-mail address",
        max_length=254,
        error_messages={"required": "Enter your e-mail address."},
    )
    # "" for every post, "tag:<slug>" or "series:<slug>".
    topic = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        # Quoted or escaped forms reach the same mailbox under another spelling (and may
        # hold what no mail server takes): one spelling per reader.
        if any(character in email for character in '"\\') or not email.isprintable():
            raise forms.ValidationError("Enter the address without quotes or backslashes.")
        return email

    def clean_topic(self):
        found = find_topic(self.cleaned_data["topic"])
        if found is None:
            raise forms.ValidationError("There is no such tag or series to follow.")
        return found


def find_topic(topic):
    """(tag, series) that a topic names: (None, None) for every post; None if it names
    nothing there is."""
    kind, _, slug = topic.strip().partition(":")
    if not kind:
        return None, None
    if "\x00" in slug:
        return None  # names nothing, and PostgreSQL refuses to look it up
    if kind == "tag" and (tag := Tag.objects.filter(slug=slug).first()):
        return tag, None
    if kind == "series" and (series := Series.objects.filter(slug=slug).first()):
        return None, series
    return None


def describe(topic):
    """What a topic follows, in words."""
    tag, series = find_topic(topic) or (None, None)
    return str(Subscription(tag=tag, series=series))


def too_many(request):
    """Whether this address (IP) has asked too often this hour."""
    # One count an hour, kept the hour (a cache's incr may keep a key no longer than its
    # default timeout). Requests at the very same moment may count once: the limit per
    # address is the one that must hold, and does, in the database.
    key = f"subscribe:{client_address(request)}:{int(time.time() // 3600)}"
    count = (cache.get(key) or 0) + 1
    cache.set(key, count, 3600)
    return count > settings.GUTBRAIN_SUBSCRIBE_PER_HOUR


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    if request.method == "GET":
        if slug := request.GET.get("tag"):
            topic = f"tag:{slug}"
        elif slug := request.GET.get("series"):
            topic = f"series:{slug}"
        else:
            topic = ""
        form = SubscribeForm(initial={"topic": topic})
        return render(request, "posts/subscribe.html", {"form": form, "topic": describe(topic)})
    if too_many(request):
        return render(request, "posts/subscribe.html", {"too_many": True}, status=429)
    form = SubscribeForm(request.POST)
    topic = describe(request.POST.get("topic", ""))
    if not form.is_valid():
        return render(request, "posts/subscribe.html", {"form": form, "topic": topic}, status=400)
    tag, series = form.cleaned_data["topic"]
    subscriber = ask_for(form.cleaned_data["email"], tag, series)
    if confirmation_due(subscriber):
        origin = site_origin(request)
        transaction.on_commit(lambda: mailing.send_confirmation.enqueue(subscriber.pk, origin))
    return render(request, "posts/subscribe.html", {"asked": True, "topic": topic})


def ask_for(email, tag, series):
    """The subscriber with this address, with this subscription added (unconfirmed unless
    it was there and confirmed already)."""
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(email=email)
        try:
            with transaction.atomic():
                Subscription.objects.get_or_create(subscriber=subscriber, tag=tag, series=series)
        except IntegrityError:
            pass  # the same request, twice at once: the other made it
    return subscriber


def confirmation_due(subscriber):
    """Whether a confirmation e-mail goes out now: there is something to confirm, and none
    went to this address in the last day (whoever asked, however often)."""
    if not subscriber.subscriptions.filter(confirmed_at=None).exists():
        return False
    now = timezone.now()
    return bool(
        Subscriber.objects.filter(
            Q(confirmation_sent_at=None) | Q(confirmation_sent_at__lt=now - CONFIRMATION_EVERY),
            pk=subscriber.pk,
        ).update(confirmation_sent_at=now)
    )


@never_cache
def confirm(request, token):
    subscriber, asked_for = Subscriber.from_confirmation_token(token)
    if subscriber is None:
        return render(
            request,
            "posts/subscription.html",
            {"invalid": True, "days": CONFIRMATION_DAYS},
            status=400,
        )
    with transaction.atomic():
        now = timezone.now()
        waiting = subscriber.subscriptions.filter(pk__in=asked_for, confirmed_at=None)
        confirmed = waiting.update(confirmed_at=now)
        if confirmed:
            Subscriber.objects.filter(pk=subscriber.pk).update(
                state=Subscriber.State.SUBSCRIBED,
                confirmed_at=subscriber.confirmed_at or now,
                unsubscribed_at=None,
            )
    return render(
        request,
        "posts/subscription.html",
        {
            "confirmed": True,
            "newly": confirmed,
            "subscriptions": [each for each in following(subscriber) if each.confirmed_at],
            "manage_url": subscriber.get_manage_url(),
        },
    )


def following(subscriber):
    return list(subscriber.subscriptions.select_related("tag", "series"))


@csrf_exempt  # the signed link is the proof
@never_cache
@require_http_methods(["GET", "POST"])
def subscriptions(request, token):
    subscriber = Subscriber.from_manage_token(token)
    if subscriber is None:
        return render(request, "posts/subscription.html", {"invalid": True}, status=404)
    if request.method == "POST":
        try:
            subscription_id = int(request.POST.get("remove", ""))
        except ValueError:
            return render(request, "posts/subscription.html", {"bad_request": True}, status=400)
        get_object_or_404(subscriber.subscriptions, pk=subscription_id).delete()
        if not subscriber.subscriptions.exists():
            unsubscribe_everything(subscriber)
    return render(
        request,
        "posts/subscription.html",
        {
            "manage": True,
            "address": masked(subscriber.email),
            "subscriptions": following(subscriber),
            "unsubscribe_url": subscriber.get_unsubscribe_url(),
            "removed": request.method == "POST",
        },
    )


@csrf_exempt  # mail programs' one-click POST (RFC 8058) carries no token but the link's
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """A GET asks (mail scanners follow links); a POST unsubscribes from everything."""
    subscriber = Subscriber.from_manage_token(token)
    if subscriber is None:
        return render(request, "posts/subscription.html", {"invalid": True}, status=404)
    if request.method == "POST":
        unsubscribe_everything(subscriber)
        return render(request, "posts/subscription.html", {"unsubscribed": True})
    return render(
        request,
        "posts/subscription.html",
        {"asking": True, "subscriber": subscriber, "subscriptions": following(subscriber)},
    )


def masked(email):
    """Enough of the address for its owner to know it, too little for anyone else to use:
    a forwarded e-mail's link leads here too."""
    name, _, domain = email.partition("@")
    return f"{name[:1]}…@{domain}"


def unsubscribe_everything(subscriber):
    with transaction.atomic():
        subscriber.subscriptions.all().delete()
        Subscriber.objects.filter(pk=subscriber.pk).update(
            state=Subscriber.State.UNSUBSCRIBED, unsubscribed_at=timezone.now()
        )
