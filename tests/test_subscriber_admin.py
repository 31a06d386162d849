"""The admin of subscribers and e-mailed posts: editors see readers and what was sent,
authors see neither; and publishing only queues the work, however many read the site."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posts.models import Announcement, Delivery, Post, Subscriber
from tests.test_admin import post_form
from tests.test_mailing import ADD_POST, gut, gut_and_mind, site  # noqa: F401 (fixtures)
from tests.test_subscribing import subscribed, work_the_queue

pytestmark = pytest.mark.django_db


def member_of(group, username, django_user_model):
    user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def test_an_editor_lists_and_exports_subscribers(django_user_model, gut, gut_and_mind):
    editor = member_of("Editor", "editor", django_user_model)
    subscribed("ana@example.org", None, gut)
    subscribed("=hyperlink@example.org", gut_and_mind)
    subscribed("+1@example.org", confirmed=False)
    subscribed("-x@example.org")

    listing = editor.get(reverse("admin:posts_subscriber_changelist"))
    assert listing.status_code == 200
    page = listing.content.decode()
    for address in ("ana@example.org", "=hyperlink@example.org", "+1@example.org"):
        assert address in page
    assert "All new posts, Posts tagged “Gut Health”" in page

    response = editor.post(
        reverse("admin:posts_subscriber_changelist"),
        {
            "action": "export_csv",
            "_selected_action": list(Subscriber.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="subscribers-\d{4}-\d\d-\d\d\.csv"', response["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "email",
        "state",
        "subscriptions",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    by_address = {row[0]: row for row in rows[1:]}
    assert set(by_address) == {
        "'+1@example.org",
        "'-x@example.org",
        "'=hyperlink@example.org",
        "ana@example.org",
    }
    ana = by_address["ana@example.org"]
    assert ana[1:3] == ["subscribed", "All new posts; Posts tagged “Gut Health”"]
    assert ana[3] and ana[4] and ana[5] == ""
    assert by_address["'+1@example.org"][1:3] == ["pending", "All new posts"]
    assert by_address["'+1@example.org"][4] == ""
    assert by_address["'=hyperlink@example.org"][2] == "The series “Gut and Mind”"
    # Nothing else in the file starts like a formula.
    assert not any(cell[:1] in ("=", "+", "-", "@") for row in rows for cell in row if cell)


def test_an_author_sees_no_subscriber(django_user_model, make_post):
    author = member_of("Author", "writer", django_user_model)
    reader = subscribed("ana@example.org")
    make_post(title="News")
    work_the_queue()
    announcement = Announcement.objects.get()
    for url in (
        reverse("admin:posts_subscriber_changelist"),
        reverse("admin:posts_subscriber_change", args=[reader.pk]),
        reverse("admin:posts_announcement_changelist"),
        reverse("admin:posts_announcement_change", args=[announcement.pk]),
    ):
        response = author.get(url)
        assert response.status_code == 403, url
        assert b"ana@example.org" not in response.content
    response = author.post(
        reverse("admin:posts_subscriber_changelist"),
        {"action": "export_csv", "_selected_action": [reader.pk]},
    )
    assert response.status_code == 403
    index = author.get(reverse("admin:index")).content.decode()
    assert "/admin/posts/post/" in index  # the index is theirs
    assert "/admin/posts/subscriber/" not in index
    assert "/admin/posts/announcement/" not in index
    assert "Subscriber" not in index


def test_the_e_mailed_posts_show_how_their_deliveries_went(django_user_model, make_post):
    editor = member_of("Editor", "editor", django_user_model)
    readers = [subscribed(f"r{number}@example.org") for number in range(6)]
    first = make_post(title="First")
    second = make_post(title="Second")
    work_the_queue("announce")
    states = [Delivery.State.SENT] * 3 + [Delivery.State.FAILED, Delivery.State.WAITING]
    for reader, state in zip(readers, states, strict=False):
        Delivery.objects.filter(post=first, subscriber=reader).update(state=state)
    Delivery.objects.filter(post=first, subscriber=readers[5]).update(
        state=Delivery.State.CANCELLED
    )
    Delivery.objects.filter(post=second).update(state=Delivery.State.SENT)
    make_post(title="Not e-mailed", email_subscribers=False)
    work_the_queue("announce")

    response = editor.get(reverse("admin:posts_announcement_changelist"))
    assert response.status_code == 200
    counts = {
        str(row.post): (row.sent, row.failed, row.waiting, row.cancelled)
        for row in response.context["cl"].result_list
    }
    assert counts == {
        "First": (3, 1, 1, 1),
        "Second": (6, 0, 0, 0),
        "Not e-mailed": (0, 0, 0, 0),
    }
    page = response.content.decode()
    assert '<td class="field-sent">3</td>' in page
    assert '<td class="field-failed">1</td>' in page
    assert '<td class="field-waiting">1</td>' in page
    assert '<td class="field-sent">6</td>' in page


# Publishing only queues the work


def publishing_queries(admin_client, admin_user, number):
    data = {
        **post_form(admin_user, status="draft"),
        "title": f"Post {number}",
        "slug": f"post-{number}",
        "email_subscribers": "on",
        "_publish": "1",
        "_continue": "1",
    }
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(ADD_POST, data)
    assert response.status_code == 302
    assert Post.objects.get(slug=f"post-{number}").is_published
    return len(queries)


def test_publishing_runs_as_many_queries_for_100_subscribers_as_for_1(admin_client, admin_user):
    publishing_queries(admin_client, admin_user, 0)  # the tags exist from now on
    subscribed("r0@example.org")
    with_one = publishing_queries(admin_client, admin_user, 1)
    for number in range(1, 100):
        subscribed(f"r{number}@example.org")
    with_a_hundred = publishing_queries(admin_client, admin_user, 2)
    assert with_a_hundred == with_one
    assert not Delivery.objects.exists()
    work_the_queue()
    assert (
        Delivery.objects.filter(state=Delivery.State.SENT).count() == 3 * 100
    )  # sent by the workers


def test_an_e_mailed_post_can_still_be_deleted(django_user_model, make_post, admin_client):
    """Its record of having been e-mailed, and its deliveries, go with it."""
    editor = member_of("Editor", "editor", django_user_model)
    subscribed("ana@example.org")
    posts = [make_post(title="First"), make_post(title="Second")]
    work_the_queue()
    assert Announcement.objects.count() == 2 and Delivery.objects.count() == 2
    first_delete = reverse("admin:posts_post_delete", args=[posts[0].pk])
    assert "Cannot delete" not in editor.get(first_delete).content.decode()
    editor.post(first_delete, {"post": "yes"})
    assert not Post.objects.filter(pk=posts[0].pk).exists()
    admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "delete_selected", "_selected_action": [posts[1].pk], "post": "yes"},
    )
    assert not Post.objects.exists()
    assert not Announcement.objects.exists() and not Delivery.objects.exists()
