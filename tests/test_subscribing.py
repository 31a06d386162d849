"""Following by e-mail, as a reader meets it: the subscribe form on the site's pages, the
confirmation e-mail and its link, the reader's own page and one-click unsubscribe."""

import re
import socket
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from taggit.models import Tag

from posts.models import Delivery, Series, SeriesPart, Subscriber, Subscription
from posts.subscribers import CONFIRM_SALT, MANAGE_SALT

pytestmark = pytest.mark.django_db

SITE = "https://blog.example.org"
SUBSCRIBE = "/subscribe/"


def work_the_queue(*task_names):
    """Run the queued tasks that are due (only those named, if any are), as a worker would,
    until none is left."""
    while ready := [
        result
        for result in DBTaskResult.objects.ready().order_by("enqueued_at")
        if not task_names or result.task_path.rsplit(".", 1)[-1] in task_names
    ]:
        for result in ready:
            result.delete()
            result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])


def queued(task_name):
    """The queued tasks of that name (such as "announce" or "ping")."""
    return [
        result
        for result in DBTaskResult.objects.order_by("enqueued_at")
        if result.task_path.rsplit(".", 1)[-1] == task_name
    ]


def subscribed(email, *topics, confirmed=True):
    """A subscriber who follows these topics (tags or series; every post if none), confirmed
    unless told otherwise."""
    now = timezone.now()
    subscriber = Subscriber.objects.create(
        email=email,
        state=Subscriber.State.SUBSCRIBED if confirmed else Subscriber.State.PENDING,
        confirmed_at=now if confirmed else None,
    )
    for topic in topics or [None]:
        Subscription.objects.create(
            subscriber=subscriber,
            tag=topic if isinstance(topic, Tag) else None,
            series=topic if isinstance(topic, Series) else None,
            confirmed_at=now if confirmed else None,
        )
    return subscriber


def link_in(text, path_start):
    """The one absolute link in the text to a path that starts so."""
    [link] = set(re.findall(rf"{re.escape(SITE + path_start)}[^\s\"<>]+", text))
    return link


def local(url):
    assert url.startswith(SITE + "/")
    return url.removeprefix(SITE)


def subscriber_of(url, view):
    """The id of the subscriber a signed link (to `view`) is for. Tokens carry the second
    they were signed in, so a link is checked by what it names, not against a new one."""
    match = resolve(local(url) if url.startswith(SITE) else url)
    assert match.view_name == f"posts:{view}", url
    return signing.loads(match.kwargs["token"], salt=MANAGE_SALT)


def text_of(response):
    """The page's visible words, for comparing two answers."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture(autouse=True)
def site(settings):
    settings.GUTBRAIN_SITE_URL = SITE
    settings.GUTBRAIN_WEBSUB_HUB = ""
    settings.GUTBRAIN_SUBSCRIBE_PER_HOUR = 1000


@pytest.fixture
def clock(monkeypatch):
    return moving_clock(monkeypatch)


def moving_clock(monkeypatch):
    """timezone.now() as it will be: `clock.advance(hours=25)`."""
    real_now = timezone.now

    class Clock:
        offset = timedelta(0)

        def advance(self, **delta):
            self.offset += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + clock.offset)
    return clock


@pytest.fixture
def closed_port():
    """A port on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def post(make_post):
    post = make_post(
        title="The gut-brain axis", slug="gut-brain-axis", tags=["Gut Health", "Sleep"]
    )
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=post, position=1)
    return post


@pytest.fixture
def gut(post):
    return Tag.objects.get(slug="gut-health")


@pytest.fixture
def gut_and_mind(post):
    return Series.objects.get(slug="gut-and-mind")


# The subscribe form on the site's pages


def subscribe_form(response, form_id):
    """(action, method, topics offered as [(value, label)]) of the page's form with this id."""
    page = response.content.decode()
    forms = re.findall(
        rf'<form class="subscribe-form[^"]*" action="([^"]*)" method="([^"]*)" '
        rf'aria-labelledby="{form_id}-heading">(.*?)</form>',
        page,
        re.DOTALL,
    )
    assert len(forms) == 1, f"{form_id} on the page {len(forms)} times"
    action, method, inside = forms[0]
    assert f'name="email" id="{form_id}-email"' in inside
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', inside)
    if not options:
        assert '<input type="hidden" name="topic" value="">' in inside
        options = [("", "(every post)")]
    return action, method, options


PAGES = {
    "home": (
        "/",
        "home-subscribe",
        [("", "(every post)")],
    ),
    "post": (
        "/posts/gut-brain-axis/",
        "post-subscribe",
        [
            ("", "All new posts"),
            ("series:gut-and-mind", "New parts of “Gut and Mind”"),
            ("tag:gut-health", "Posts tagged “Gut Health”"),
            ("tag:sleep", "Posts tagged “Sleep”"),
        ],
    ),
    "tag": (
        "/tags/gut-health/",
        "tag-subscribe",
        [("tag:gut-health", "Posts tagged “Gut Health”"), ("", "All new posts")],
    ),
    "series": (
        "/series/gut-and-mind/",
        "series-subscribe",
        [("series:gut-and-mind", "New parts of “Gut and Mind”"), ("", "All new posts")],
    ),
}


@pytest.mark.parametrize("page", PAGES, ids=list(PAGES))
def test_the_subscribe_form_offers_the_pages_topics(client, post, page):
    """The page's own form offers what the page is about, the footer's every post; neither
    carries a CSRF token, and the page sets no cookie. Each topic offered is one the form's
    address takes."""
    url, form_id, topics = PAGES[page]
    response = client.get(url)
    assert response.status_code == 200
    assert subscribe_form(response, form_id) == (SUBSCRIBE, "post", topics)
    assert subscribe_form(response, "footer-subscribe") == (
        SUBSCRIBE,
        "post",
        [("", "(every post)")],
    )
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies
    for number, (value, _label) in enumerate(topics):
        answer = client.post(SUBSCRIBE, {"email": f"r{number}@example.org", "topic": value})
        assert answer.status_code == 200, text_of(answer)


@pytest.mark.parametrize("url", [url for url, _, _ in PAGES.values()], ids=list(PAGES))
def test_pages_with_the_form_are_still_served_from_the_page_cache(
    client, post, url, settings, django_assert_num_queries
):
    settings.GUTBRAIN_PAGE_CACHE = True
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second.content == first.content
    assert b"footer-subscribe" in second.content
    assert not second.cookies
    assert "no-cache" in second["Cache-Control"]
    assert "private" not in second["Cache-Control"]


def test_the_subscribe_page_is_not_cached(client, settings):
    settings.GUTBRAIN_PAGE_CACHE = True
    response = client.get(SUBSCRIBE)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_subscribe_page_keeps_a_hostile_topic_inert(client):
    response = client.get(SUBSCRIBE, {"tag": '"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()
    assert "Subscribe to <strong>All new posts</strong>" in response.content.decode()


# Subscribing


def test_subscribing_asks_for_confirmation_in_one_e_mail(client, post, gut):
    response = client.post(SUBSCRIBE, {"email": " Ana@Example.org ", "topic": "tag:gut-health"})
    assert response.status_code == 200
    assert "Check your inbox" in text_of(response)
    assert "Posts tagged “Gut Health”" in text_of(response)
    assert not response.cookies
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.state, subscriber.confirmed_at) == (
        "ana@example.org",
        Subscriber.State.PENDING,
        None,
    )
    [subscription] = subscriber.subscriptions.all()
    assert (subscription.tag, subscription.series, subscription.confirmed_at) == (gut, None, None)
    assert mail.outbox == []  # sent by a worker, not by the request

    work_the_queue()
    [message] = mail.outbox
    assert message.to == ["ana@example.org"]
    assert message.subject == "Confirm your subscription to gutbrain"
    assert "Posts tagged “Gut Health”" in message.body
    link = link_in(message.body, "/subscribe/confirm/")
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
    token = local(link).split("/")[-2]
    # It names the reader and the subscription waiting: no other.
    [waiting] = subscriber.subscriptions.all()
    assert signing.loads(token, salt=CONFIRM_SALT) == [subscriber.pk, waiting.pk]
    work_the_queue()
    assert len(mail.outbox) == 1


INVALID = {
    "not an address": ({"email": "not-an-address", "topic": ""}, "Enter a valid email address."),
    "no address": ({"topic": ""}, "Enter your e-mail address."),
    "empty address": ({"email": "  ", "topic": ""}, "Enter your e-mail address."),
    "quoted address": (
        {"email": '"ana"@example.org', "topic": ""},
        "Enter the address without quotes or backslashes.",
    ),
    "control character quoted": (
        {"email": '"a\x0bb"@example.org', "topic": ""},
        "Enter the address without quotes or backslashes.",
    ),
    "unknown tag": (
        {"email": "ana@example.org", "topic": "tag:no-such-tag"},
        "There is no such tag or series to follow.",
    ),
    "unknown series": (
        {"email": "ana@example.org", "topic": "series:no-such-series"},
        "There is no such tag or series to follow.",
    ),
    "unknown kind": (
        {"email": "ana@example.org", "topic": "author:ada"},
        "There is no such tag or series to follow.",
    ),
    "bcc in the address": (
        {"email": "a@example.org\nBcc: x@evil.test", "topic": ""},
        "Enter a valid email address.",
    ),
    "crlf in the address": (
        {"email": "a@example.org\r\nBcc: x@evil.test", "topic": ""},
        "Enter a valid email address.",
    ),
    "crlf in the topic": (
        {"email": "ana@example.org", "topic": "tag:gut-health\r\nBcc: x@evil.test"},
        "There is no such tag or series to follow.",
    ),
    "too long": ({"email": "a" * 250 + "@example.org", "topic": ""}, "at most 254 characters"),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_a_bad_request_is_a_form_error_and_makes_nothing(client, post, case):
    data, error = INVALID[case]
    response = client.post(SUBSCRIBE, data)
    assert response.status_code == 400
    page = response.content.decode()
    [errors] = re.findall(r'<div class="form-errors" role="alert">(.*?)</div>', page, re.DOTALL)
    assert error in errors
    assert "evil.test" not in errors
    assert not Subscriber.objects.exists()
    assert not Subscription.objects.exists()
    work_the_queue()
    assert mail.outbox == []


def test_a_nul_in_the_topic_names_nothing(client, post):
    """PostgreSQL refuses such text: it is no topic, not a server error."""
    response = client.post(SUBSCRIBE, {"email": "ana@example.org", "topic": "tag:gut\x00health"})
    assert response.status_code == 400
    assert "Null characters are not allowed." in text_of(response)
    response = client.get(SUBSCRIBE, {"series": "gut\x00and-mind"})
    assert response.status_code == 200
    assert not Subscriber.objects.exists()


def test_subscribing_works_while_the_cache_is_down(client, settings, closed_port):
    """A shared cache that is gone (its errors ignored, as the site configures Redis) does not
    refuse readers: the daily limit per address still holds."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    settings.GUTBRAIN_SUBSCRIBE_PER_HOUR = 1
    for _ in range(3):
        response = client.post(SUBSCRIBE, {"email": "ana@example.org", "topic": ""})
        assert response.status_code == 200
        assert "Check your inbox" in text_of(response)
    work_the_queue()
    assert len(mail.outbox) == 1


def test_an_address_gets_one_confirmation_a_day_however_often_it_is_entered(client, post, clock):
    asks = [
        ("ana@example.org", ""),
        ("ana@example.org", ""),
        ("ANA@example.org", ""),
        ("Ana@EXAMPLE.org", "tag:gut-health"),
        ("ana@example.org", "series:gut-and-mind"),
    ]
    answers = set()
    for email, topic in asks:
        response = client.post(SUBSCRIBE, {"email": email, "topic": topic})
        assert response.status_code == 200
        answers.add("Check your inbox" in text_of(response))
        work_the_queue()
    assert answers == {True}
    assert len(mail.outbox) == 1
    subscriber = Subscriber.objects.get()
    assert subscriber.subscriptions.count() == 3  # each topic once

    clock.advance(hours=23)
    client.post(SUBSCRIBE, {"email": "ana@example.org", "topic": "tag:sleep"})
    work_the_queue()
    assert len(mail.outbox) == 1
    clock.advance(hours=2)
    client.post(SUBSCRIBE, {"email": "ana@example.org", "topic": "tag:sleep"})
    work_the_queue()
    assert len(mail.outbox) == 2
    # The second names all four topics waiting for confirmation.
    assert mail.outbox[1].body.count("\n- ") == 4


def test_too_many_requests_from_one_network_are_refused(client, settings):
    settings.GUTBRAIN_SUBSCRIBE_PER_HOUR = 3
    for number in range(3):
        response = client.post(SUBSCRIBE, {"email": f"r{number}@example.org", "topic": ""})
        assert response.status_code == 200
    response = client.post(SUBSCRIBE, {"email": "late@example.org", "topic": ""})
    assert response.status_code == 429
    assert "Too many subscriptions were asked for from your network" in text_of(response)
    assert not Subscriber.objects.filter(email="late@example.org").exists()
    # Another network is not held back.
    other = client.post(
        SUBSCRIBE, {"email": "late@example.org", "topic": ""}, REMOTE_ADDR="192.0.2.7"
    )
    assert other.status_code == 200
    assert Subscriber.objects.filter(email="late@example.org").exists()


def test_the_answer_does_not_tell_whether_an_address_is_subscribed(client, post, gut):
    subscribed("known@example.org")  # confirmed, every post
    subscribed("waiting@example.org", confirmed=False)
    gone = subscribed("gone@example.org")
    gone.subscriptions.all().delete()
    Subscriber.objects.filter(pk=gone.pk).update(state=Subscriber.State.UNSUBSCRIBED)

    answers = {}
    for email in (
        "new@example.org",
        "known@example.org",
        "waiting@example.org",
        "gone@example.org",
    ):
        response = client.post(SUBSCRIBE, {"email": email, "topic": ""})
        answers[email] = (response.status_code, text_of(response), dict(response.items()))
    statuses = {status for status, _, _ in answers.values()}
    texts = {text for _, text, _ in answers.values()}
    assert statuses == {200}
    assert len(texts) == 1, "the answers differ"
    assert all("@" not in text.replace("you@example.org", "") for text in texts)


# Confirming


def test_the_link_confirms_every_waiting_subscription_and_names_them(client, post):
    client.post(SUBSCRIBE, {"email": "ana@example.org", "topic": ""})
    client.post(SUBSCRIBE, {"email": "ana@example.org", "topic": "series:gut-and-mind"})
    work_the_queue()
    link = link_in(mail.outbox[0].body, "/subscribe/confirm/")

    response = Client().get(local(link))
    assert response.status_code == 200
    page = text_of(response)
    assert "You are subscribed" in page
    assert "Thank you for confirming." in page
    assert "All new posts" in page
    assert "The series “Gut and Mind”" in page
    assert "ana@example.org" not in page
    subscriber = Subscriber.objects.get()
    assert subscriber.state == Subscriber.State.SUBSCRIBED
    assert subscriber.confirmed_at is not None
    assert not subscriber.subscriptions.filter(confirmed_at=None).exists()
    manage = re.search(r'href="(/subscriptions/[^"]+/)"', response.content.decode())[1]
    assert subscriber_of(manage, "subscriptions") == subscriber.pk

    again = Client().get(local(link))
    assert "This address was confirmed already." in text_of(again)


def forged(token):
    return signing.dumps(1, salt=CONFIRM_SALT, key="not-the-sites-key")


def altered(token, pk):
    """The token with another subscriber's id put in, its signature kept."""
    _value, rest = token.split(":", 1)
    return signing.b64_encode(str(pk).encode()).decode() + ":" + rest


def expired(subscriber):
    with mock.patch("time.time", return_value=time.time() - 8 * 86400):
        return subscriber.confirmation_token()


BAD_CONFIRMATIONS = {
    "forged": lambda subscriber: forged(subscriber.confirmation_token()),
    "altered": lambda subscriber: altered(subscriber.confirmation_token(), subscriber.pk - 1),
    "truncated": lambda subscriber: subscriber.confirmation_token()[:-3],
    "expired": expired,
    "manage link": lambda subscriber: subscriber.manage_token(),
    "nonsense": lambda subscriber: "nonsense",
}


@pytest.mark.parametrize("case", BAD_CONFIRMATIONS, ids=list(BAD_CONFIRMATIONS))
def test_a_bad_confirmation_link_confirms_nothing(client, case):
    first = Subscriber.objects.create(email="first@example.org")  # the one "altered" names
    subscriber = subscribed("ana@example.org", confirmed=False)
    assert first.pk == subscriber.pk - 1
    token = BAD_CONFIRMATIONS[case](subscriber)
    response = client.get(reverse("posts:confirm", args=[token]))
    assert response.status_code == 400
    assert "This link does not work" in text_of(response)
    assert "older than 7 days" in text_of(response)
    assert not Subscription.objects.exclude(confirmed_at=None).exists()
    assert set(Subscriber.objects.values_list("state", flat=True)) == {Subscriber.State.PENDING}


def test_a_link_a_few_days_old_still_confirms(client):
    subscriber = subscribed("ana@example.org", confirmed=False)
    with mock.patch("time.time", return_value=time.time() - 6 * 86400):
        token = subscriber.confirmation_token()
    assert client.get(reverse("posts:confirm", args=[token])).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.state == Subscriber.State.SUBSCRIBED


def test_a_confirmation_link_opens_neither_the_manage_page_nor_unsubscribes(client):
    subscriber = subscribed("ana@example.org")
    token = subscriber.confirmation_token()
    assert client.get(reverse("posts:subscriptions", args=[token])).status_code == 404
    [subscription] = subscriber.subscriptions.all()
    response = client.post(
        reverse("posts:subscriptions", args=[token]), {"remove": subscription.pk}
    )
    assert response.status_code == 404
    assert client.post(reverse("posts:unsubscribe", args=[token])).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.state == Subscriber.State.SUBSCRIBED
    assert subscriber.subscriptions.count() == 1


def test_a_link_confirms_only_what_was_asked_for_before_it_was_sent(client, gut):
    """Subscriptions asked for in the reader's name after the e-mail went out (by a bot, say,
    while the daily limit keeps another e-mail from going) wait for a link of their own."""
    subscriber = subscribed("ana@example.org", gut, confirmed=False)
    token = subscriber.confirmation_token()
    client.post(SUBSCRIBE, {"email": "ana@example.org", "topic": ""})
    response = client.get(reverse("posts:confirm", args=[token]))
    assert "Posts tagged “Gut Health”" in text_of(response)
    assert "All new posts" not in text_of(response)
    assert subscriber.subscriptions.filter(confirmed_at=None).get().tag is None


def test_confirming_after_unsubscribing_confirms_nothing(client):
    subscriber = subscribed("ana@example.org", confirmed=False)
    token = subscriber.confirmation_token()
    client.post(subscriber.get_unsubscribe_url())
    response = client.get(reverse("posts:confirm", args=[token]))
    assert "Nothing to confirm" in text_of(response)
    subscriber.refresh_from_db()
    assert subscriber.state == Subscriber.State.UNSUBSCRIBED


# The reader's own page


def test_the_manage_page_lists_subscriptions_and_masks_the_address(client, gut, gut_and_mind):
    subscriber = subscribed("ana.silva@example.org", None, gut, gut_and_mind)
    response = client.get(subscriber.get_manage_url())
    assert response.status_code == 200
    page = text_of(response)
    assert "E-mails go to a…@example.org for:" in page
    assert "ana.silva" not in response.content.decode()
    for topic in ("All new posts", "Posts tagged “Gut Health”", "The series “Gut and Mind”"):
        assert topic in page
    assert response.content.decode().count('name="remove"') == 3
    assert 'content="no-referrer"' in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_stopping_subscriptions_one_by_one_unsubscribes_at_the_last(client, gut):
    subscriber = subscribed("ana@example.org", None, gut)
    other = subscribed("bo@example.org", gut)
    everything, tagged = subscriber.subscriptions.order_by("pk")
    url = subscriber.get_manage_url()

    # Another reader's subscription is not this page's to stop.
    [others] = other.subscriptions.all()
    assert client.post(url, {"remove": others.pk}).status_code == 404
    assert client.post(url, {"remove": "x"}).status_code == 400
    assert Subscription.objects.count() == 3

    response = client.post(url, {"remove": everything.pk})
    assert "Done: that subscription is stopped." in text_of(response)
    assert list(subscriber.subscriptions.all()) == [tagged]
    subscriber.refresh_from_db()
    assert subscriber.state == Subscriber.State.SUBSCRIBED

    response = client.post(url, {"remove": tagged.pk})
    assert "This address receives nothing from us now." in text_of(response)
    subscriber.refresh_from_db()
    assert subscriber.state == Subscriber.State.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert other.subscriptions.count() == 1


@pytest.mark.parametrize("name", ["posts:subscriptions", "posts:unsubscribe"])
def test_a_forged_manage_link_is_not_found(client, name):
    subscriber = subscribed("ana@example.org")
    forged_token = signing.dumps(subscriber.pk, salt=MANAGE_SALT, key="not-the-sites-key")
    for token in (forged_token, altered(subscriber.manage_token(), subscriber.pk + 1), "nonsense"):
        url = reverse(name, args=[token])
        assert client.get(url).status_code == 404
        assert client.post(url, {"remove": subscriber.subscriptions.get().pk}).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.state == Subscriber.State.SUBSCRIBED
    assert subscriber.subscriptions.count() == 1


# Unsubscribing


def test_following_the_unsubscribe_link_only_asks(client, gut):
    subscriber = subscribed("ana@example.org", gut)
    response = client.get(subscriber.get_unsubscribe_url())
    assert response.status_code == 200
    assert "Unsubscribe?" in text_of(response)
    assert "Posts tagged “Gut Health”" in text_of(response)
    assert "ana@example.org" not in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.state == Subscriber.State.SUBSCRIBED
    assert subscriber.subscriptions.count() == 1


def test_one_click_unsubscribe_needs_no_cookie_or_token(post, gut, make_post):
    """A mail program's POST (RFC 8058) unsubscribes from everything; a delivery already
    waiting for the reader is cancelled when a worker reaches it, not sent."""
    from posts.mailing import announce

    subscriber = subscribed("ana@example.org", None, gut)
    bystander = subscribed("bo@example.org")
    work_the_queue()  # announces the post: both get it
    mail.outbox.clear()
    new = make_post(title="Fresh", tags=["Gut Health"])
    announce.call(new.pk)  # deliveries made, their sending queued, not yet done
    assert Delivery.objects.filter(post=new, state=Delivery.State.WAITING).count() == 2

    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(
        subscriber.get_unsubscribe_url(),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in text_of(response)
    subscriber.refresh_from_db()
    assert subscriber.state == Subscriber.State.UNSUBSCRIBED
    assert not subscriber.subscriptions.exists()

    work_the_queue()
    assert [message.to for message in mail.outbox] == [["bo@example.org"]]
    assert Delivery.objects.get(post=new, subscriber=subscriber).state == (
        Delivery.State.CANCELLED
    )
    assert Delivery.objects.get(post=new, subscriber=bystander).state == Delivery.State.SENT


def test_an_unsubscribed_reader_can_subscribe_again(client, clock):
    subscriber = subscribed("ana@example.org")
    client.post(subscriber.get_unsubscribe_url())
    clock.advance(days=2)
    client.post(SUBSCRIBE, {"email": "ana@example.org", "topic": ""})
    work_the_queue()
    [message] = mail.outbox
    link = link_in(message.body, "/subscribe/confirm/")
    assert "You are subscribed" in text_of(Client().get(local(link)))
    subscriber.refresh_from_db()
    assert (subscriber.state, subscriber.unsubscribed_at) == (Subscriber.State.SUBSCRIBED, None)


# No reader's address anywhere public


PUBLIC = [
    "/",
    "/posts/gut-brain-axis/",
    "/tags/gut-health/",
    "/series/gut-and-mind/",
    "/series/",
    "/tags/",
    "/archive/",
    "/search/?q=gut",
    "/sitemap.xml",
    "/feed/rss/",
    "/feed/atom/",
    "/feed/json/",
    "/tags/gut-health/feed/rss/",
    "/tags/gut-health/feed/atom/",
    "/tags/gut-health/feed/json/",
    "/series/gut-and-mind/feed/rss/",
    "/series/gut-and-mind/feed/atom/",
    "/series/gut-and-mind/feed/json/",
    "/subscribe/",
]


def test_no_readers_address_on_any_public_page_or_feed(client, post, gut, gut_and_mind):
    subscribed("ana.reader@example.org", gut)
    subscribed("bo.reader@example.org", gut_and_mind, confirmed=False)
    client.post(SUBSCRIBE, {"email": "cy.reader@example.org", "topic": "tag:sleep"})
    work_the_queue()
    for url in PUBLIC:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b".reader@" not in response.content, url
