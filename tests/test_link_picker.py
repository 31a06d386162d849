"""Linking to earlier posts in two keystrokes: "[[" opens a search of posts by title, newest
first, with the drafts this writer may edit marked; the same picker cites the post's resources."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from posts.models import Post
from tests.test_browser import PART_1, PART_2, PageProblems, log_in_as_demo_author
from tests.test_roles import logged_in, member_of

TARGETS = reverse("admin:posts_post_link_targets")


def targets(client, **query):
    response = client.get(TARGETS, query)
    assert response.status_code == 200
    return [(post["title"], post["state"]) for post in json.loads(response.content)["posts"]]


@pytest.fixture
def writer(django_user_model):
    return member_of("Author", "writer", django_user_model)


@pytest.mark.django_db
def test_targets_are_public_posts_and_this_writers_drafts_newest_first(writer, make_post):
    now = timezone.now()
    make_post(title="Gut feelings, an old post", published_at=now - timedelta(days=9))
    make_post(title="Gut and sleep", published_at=now - timedelta(days=1))
    make_post(
        title="Gut draft of mine", author=writer, status=Post.Status.DRAFT, published_at=None
    )
    make_post(title="Gut draft of someone else", status=Post.Status.DRAFT, published_at=None)
    make_post(title="Gut, scheduled", author=writer, published_at=now + timedelta(days=2))
    make_post(title="Unrelated", published_at=now)
    assert targets(logged_in(writer), q="gut") == [
        ("Gut, scheduled", "scheduled"),
        ("Gut draft of mine", "draft"),
        ("Gut and sleep", ""),
        ("Gut feelings, an old post", ""),
    ]


@pytest.mark.django_db
def test_targets_leave_out_the_post_being_written_and_stop_at_twenty(admin_client, make_post):
    posts = [make_post(title=f"Sleep {n}") for n in range(25)]
    found = targets(admin_client, q="sleep", exclude=str(posts[-1].pk))
    assert len(found) == 20
    assert ("Sleep 24", "") not in found


@pytest.mark.django_db
def test_odd_query_values_get_an_answer(admin_client, make_post):
    make_post(title="Sleep")
    assert targets(admin_client, q="sleep", exclude="9" * 30) == [("Sleep", "")]
    assert targets(admin_client, q="x" * 5000, exclude="abc") == []
    preview = admin_client.post(reverse("admin:posts_post_preview"), {"post": "9" * 30})
    assert preview.status_code == 200


@pytest.mark.django_db
def test_only_staff_search_link_targets(client, make_post, django_user_model):
    make_post(title="Draft", status=Post.Status.DRAFT, published_at=None)
    response = client.get(TARGETS, {"q": "draft"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    reader = django_user_model.objects.create_user("reader", password="pw")
    assert logged_in(reader).get(TARGETS, {"q": "draft"}).status_code == 302


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_brackets_link_to_an_earlier_post_and_the_picker_cites_a_resource(
    browser, live_server
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in_as_demo_author(page, live_server, "/admin/posts/post/")
    page.locator("#result_list").get_by_role("link", name=PART_2, exact=True).click()
    body = page.locator("#id_body")
    body.focus()
    body.press("Control+End")
    body.press_sequentially("\n\nAs I wrote in [[")
    search = page.get_by_role("combobox", name="Link to a post")
    expect(search).to_be_focused()
    search.press_sequentially("talks")
    expect(page.get_by_role("option", name=PART_1)).to_have_attribute("aria-selected", "true")
    PageProblems(page).check_accessibility()
    search.press("Enter")
    expect(body).to_be_focused()
    slug = "how-the-gut-talks-to-the-brain"
    assert body.input_value().endswith(f"As I wrote in [{PART_1}](post:{slug})")
    preview = page.frame_locator("iframe.post-preview")
    expect(preview.get_by_role("link", name=PART_1)).to_have_attribute("href", f"/posts/{slug}/")
    body.press("Control+z")  # undo takes the link back, brackets and all
    assert body.input_value().endswith("As I wrote in [[")

    body.press("Control+End")
    page.get_by_role("button", name="Cite a resource").click()
    cite = page.get_by_role("combobox", name="Cite a resource")
    cite.press_sequentially("diet")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Diet rapidly and reproducibly alters")
    options.first.click()
    assert body.input_value().endswith("[#2]")

    page.get_by_role("button", name="Link to a post").click()
    page.get_by_role("combobox", name="Link to a post").press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(body).to_be_focused()
