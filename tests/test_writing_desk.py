"""The writing desk: the text and its live preview side by side on a wide screen, under Write and
Preview tabs on a phone, the preview following the text and listing resources not yet saved."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from pytest_django.asserts import assertContains, assertNotContains

from tests.test_admin import inline_management
from tests.test_browser import PART_2, PageProblems, log_in_as_demo_author

PREVIEW = reverse("admin:posts_post_preview")


def resource_rows(*rows):
    data = inline_management("resources", total=len(rows))
    for index, row in enumerate(rows):
        data.update({f"resources-{index}-{name}": value for name, value in row.items()})
    return data


@pytest.mark.django_db
def test_the_preview_lists_resources_before_the_first_save(admin_client):
    response = admin_client.post(
        PREVIEW,
        {
            "title": "A new post",
            "body": "As shown before [#2], and again [#2].",
            **resource_rows(
                {"number": "2", "title": "A cohort study", "year": "2019", "doi": "10.1/x"},
                {"number": "1", "title": "A trial", "authors": "Ada L"},
                {"number": "3", "title": "Removed", "DELETE": "on"},
                {"number": "x", "title": "No number"},
                {"number": "4", "title": ""},
            ),
        },
    )
    content = response.content.decode()
    assert content.index("A trial") < content.index("A cohort study")  # in number order
    assertContains(response, 'href="#md-cite-2-1"')  # the resource links back to each citation
    assertContains(response, 'href="#md-cite-2-2"')
    assertContains(response, "doi:10.1/x")
    assertNotContains(response, "Removed")
    assertNotContains(response, "No number")


@pytest.mark.django_db
def test_the_preview_of_a_saved_post_lists_its_resources_as_the_form_holds_them(
    admin_client, make_post
):
    from posts.models import Resource

    post = make_post(body="See [#1].")
    Resource.objects.create(post=post, number=1, title="Saved title")
    saved = admin_client.post(PREVIEW, {"post": post.pk, "body": "See [#1]."})
    assertContains(saved, "Saved title")
    rows = resource_rows({"number": "1", "title": "Edited"})
    edited = admin_client.post(PREVIEW, {"post": post.pk, "body": "See [#1].", **rows})
    assertContains(edited, "Edited")
    assertNotContains(edited, "Saved title")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_wide_screen_text_and_preview_sit_side_by_side_and_the_preview_follows(
    browser, live_server
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageProblems(page)
    log_in_as_demo_author(page, live_server, "/admin/posts/post/")
    page.locator("#result_list").get_by_role("link", name=PART_2, exact=True).click()
    body, frame = page.locator("#id_body"), page.locator("iframe.post-preview")
    expect(page.frame_locator("iframe.post-preview").locator("h1")).to_have_text(PART_2)
    expect(page.get_by_role("tab", name="Preview")).to_be_hidden()
    text, preview = body.bounding_box(), frame.bounding_box()
    assert preview["x"] >= text["x"] + text["width"]  # beside, not below
    panes = [page.locator(f"#writing-pane-{name}").bounding_box() for name in ("write", "preview")]
    assert panes[0]["y"] == panes[1]["y"]
    for box in (text, preview):
        assert box["height"] >= 0.8 * 900  # each about as tall as the window

    scrolled = "document.querySelector('iframe.post-preview').contentDocument.scrollingElement"
    body.focus()
    body.press("Control+End")
    page.wait_for_function(f"{scrolled}.scrollTop > 0")
    end = page.evaluate(f"{scrolled}.scrollTop")
    body.press("Control+Home")
    page.wait_for_function(f"{scrolled}.scrollTop < {end}")
    assert watch.problems == []
    watch.check_accessibility()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_phone_write_and_preview_are_tabs(browser, live_server):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    log_in_as_demo_author(page, live_server, "/admin/posts/post/add/")
    body, frame = page.locator("#id_body"), page.locator("iframe.post-preview")
    write, preview = page.get_by_role("tab", name="Write"), page.get_by_role("tab", name="Preview")
    expect(write).to_have_attribute("aria-selected", "true")
    expect(frame).to_be_hidden()
    body.fill("## Sleep\n\nWritten on a phone.")
    assert body.bounding_box()["height"] >= 0.5 * 844  # not the admin's short text area
    preview.click()
    expect(preview).to_have_attribute("aria-selected", "true")
    expect(body).to_be_hidden()
    expect(page.frame_locator("iframe.post-preview").locator(".prose h2")).to_have_text("Sleep #")
    PageProblems(page).check_accessibility()
    write.click()
    expect(body).to_be_visible()
    expect(body).to_have_value("## Sleep\n\nWritten on a phone.")
    PageProblems(page).check_accessibility()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_toolbar_and_shortcuts_write_markdown_that_undo_takes_back(browser, live_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageProblems(page)
    log_in_as_demo_author(page, live_server, "/admin/posts/post/add/")
    page.locator("#id_title").fill("Sleep and the gut")
    body = page.locator("#id_body")
    body.fill("Sleep matters")

    def select(start, end):
        body.evaluate(f"(area) => area.setSelectionRange({start}, {end})")

    toolbar = page.get_by_role("toolbar", name="Formatting")
    select(6, 13)
    toolbar.get_by_role("button", name="Bold").click()
    expect(body).to_have_value("Sleep **matters**")
    body.press("Control+z")
    expect(body).to_have_value("Sleep matters")  # undo takes a toolbar action back
    select(0, 5)
    body.press("Control+i")
    expect(body).to_have_value("*Sleep* matters")
    toolbar.get_by_role("button", name="Heading").click()
    expect(body).to_have_value("## *Sleep* matters")
    body.press("End")
    body.press("Enter")
    body.press("Enter")
    body.press_sequentially("first point")
    body.press("Control+Shift+8")
    expect(body).to_have_value("## *Sleep* matters\n\n- first point")
    body.press("End")
    body.press("Control+k")
    body.press_sequentially("https://example.org")  # the address was selected, ready to type
    expect(body).to_have_value(
        "## *Sleep* matters\n\n- first point[link text](https://example.org)"
    )
    body.press("End")
    toolbar.get_by_role("button", name="Footnote").click()
    expect(body).to_have_value(
        "## *Sleep* matters\n\n- first point[link text](https://example.org)[^1]\n\n[^1]: note"
    )
    expect(toolbar).to_contain_text("words · 1 min read")

    font = toolbar.get_by_role("button", name="Proportional font")
    expect(font).to_have_attribute("aria-pressed", "false")
    assert "monospace" in body.evaluate("(area) => getComputedStyle(area).fontFamily")
    font.click()
    expect(font).to_have_attribute("aria-pressed", "true")
    assert "serif" in body.evaluate("(area) => getComputedStyle(area).fontFamily")

    body.press("Control+s")  # saves and keeps the post open
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#id_body")).to_have_value(
        "## *Sleep* matters\n\n- first point[link text](https://example.org)[^1]\n\n[^1]: note\n"
    )
    expect(page.get_by_role("button", name="Proportional font")).to_have_attribute(
        "aria-pressed",
        "true",  # the writer's choice of font is kept
    )
    assert watch.problems == []
    watch.check_accessibility()
