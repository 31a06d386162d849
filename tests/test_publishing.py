"""The post form's publishing buttons: what each does to the post, by its state."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from pytest_django.asserts import assertContains, assertNotContains

from posts.models import Post
from tests.test_admin import post_form
from tests.test_authoring import change_form
from tests.test_browser import log_in_as_demo_author

ADD = reverse("admin:posts_post_add")


def pressed(button, data):
    return {**data, button: "1", "_continue": "1"}


def local_input(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.django_db
def test_publish_makes_a_new_post_public_at_once_and_keeps_it_open(admin_client, admin_user):
    response = admin_client.post(ADD, pressed("_publish", post_form(admin_user, status="draft")))
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:posts_post_change", args=[post.pk])
    assert post.is_published
    assert timezone.now() - post.published_at < timedelta(minutes=1)


@pytest.mark.django_db
def test_save_draft_keeps_a_new_post_a_draft(admin_client, admin_user):
    admin_client.post(ADD, pressed("_draft", post_form(admin_user, status="draft")))
    post = Post.objects.get()
    assert (post.status, post.published_at) == (Post.Status.DRAFT, None)


@pytest.mark.django_db
def test_schedule_sets_the_time_in_the_sites_time_zone(admin_client, admin_user, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    moment = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    data = pressed("_schedule", post_form(admin_user, status="draft"))
    with timezone.override("Europe/Berlin"):
        data["schedule_at"] = local_input(moment)
    admin_client.post(ADD, data)
    post = Post.objects.get()
    assert post.status == Post.Status.PUBLISHED and post.is_scheduled
    assert post.published_at == moment
    page = admin_client.get(reverse("admin:posts_post_change", args=[post.pk]))
    assertContains(page, "Scheduled: goes public on")
    assertContains(page, 'value="Publish now"')
    assertContains(page, 'value="Unpublish"')


@pytest.mark.django_db
@pytest.mark.parametrize(
    "when, message",
    [
        ("", "Choose the date and time the post goes public."),
        ("2001-01-01T09:00", "Choose a time in the future; to make the post public now"),
        ("next tuesday", "Enter a valid date/time."),
    ],
    ids=["missing", "past", "unreadable"],
)
def test_a_schedule_without_a_future_time_is_a_form_error_and_saves_nothing(
    admin_client, admin_user, when, message
):
    data = pressed("_schedule", post_form(admin_user, status="draft"))
    data["schedule_at"] = when
    response = admin_client.post(ADD, data)
    assert response.status_code == 200
    assert any(
        message in error for error in response.context["adminform"].form.errors["schedule_at"]
    )
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_publish_now_makes_a_scheduled_post_public_at_once(admin_client, make_post):
    post = make_post(published_at=timezone.now() + timedelta(days=3))
    url = reverse("admin:posts_post_change", args=[post.pk])
    admin_client.post(url, pressed("_publish", change_form(admin_client, post)))
    post.refresh_from_db()
    assert post.is_published
    assert timezone.now() - post.published_at < timedelta(minutes=1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "in_days, kept_date", [(-1, True), (3, False)], ids=["public", "scheduled"]
)
def test_unpublish_takes_a_post_back_to_a_draft(admin_client, make_post, in_days, kept_date):
    post = make_post(published_at=timezone.now() + timedelta(days=in_days))
    url = reverse("admin:posts_post_change", args=[post.pk])
    admin_client.post(url, pressed("_unpublish", change_form(admin_client, post)))
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert (post.published_at is not None) == kept_date  # a draft keeps no future date


@pytest.mark.django_db
def test_update_keeps_a_public_post_public(admin_client, make_post):
    post = make_post(title="Before")
    url = reverse("admin:posts_post_change", args=[post.pk])
    admin_client.post(url, pressed("_update", change_form(admin_client, post, title="After")))
    post.refresh_from_db()
    assert (post.title, post.is_published) == ("After", True)
    page = admin_client.get(url)
    assertContains(page, 'value="Update"')
    assertContains(page, 'value="Unpublish"')
    assertNotContains(page, 'name="_publish"')
    assertNotContains(page, "Schedule…")


@pytest.mark.django_db
def test_publish_is_refused_with_the_links_named_reason(admin_client, admin_user, make_post):
    make_post(title="Notes", slug="notes", status=Post.Status.DRAFT, published_at=None)
    data = post_form(admin_user, status="draft", body="See [my notes](post:notes).")
    response = admin_client.post(ADD, pressed("_publish", data))
    assert response.status_code == 200
    assertContains(response, "“post:notes” links to “Notes”, which is a draft.")
    assert not Post.objects.filter(slug="sleep-and-the-microbiome").exists()


@pytest.mark.django_db
def test_a_draft_offers_save_draft_schedule_publish_and_its_preview(admin_client, make_post):
    post = make_post(status=Post.Status.DRAFT, published_at=None)
    page = admin_client.get(reverse("admin:posts_post_change", args=[post.pk]))
    for button in ('value="Save draft"', "Schedule…", 'value="Publish"'):
        assertContains(page, button)
    assertContains(page, f'href="{post.get_absolute_url()}" target="_blank"')
    assertNotContains(page, '<select name="status"')  # no status menu to read past


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_writer_schedules_a_post_then_publishes_it_now(browser, live_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in_as_demo_author(page, live_server, "/admin/posts/post/add/")
    page.locator("#id_title").fill("Sleep and the gut")
    page.locator("#id_body").fill("Sleep shapes the microbiome.")
    page.get_by_text("Schedule…").click()
    when = page.get_by_label("Goes public at")
    when.fill("2031-03-14T09:30")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.locator(".publishing-state")).to_contain_text(
        "goes public on 14 March 2031, 09:30"
    )
    assert "Sleep and the gut" not in page.request.get(live_server.url + "/").text()
    page.get_by_role("button", name="Publish now").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.get_by_role("button", name="Unpublish")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("link", name="Sleep and the gut")).to_be_visible()
