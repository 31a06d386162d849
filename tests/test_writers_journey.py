"""A writer's whole session at the desk, as the demo author in Chromium, on a wide screen and
on a phone: toolbar and shortcuts, a pasted image, a [[ link, a citation, a tab closed
mid-sentence and restored on another machine, then scheduling and publishing now."""

import pytest
from playwright.sync_api import expect

from tests.test_browser import VIEWPORTS, PageProblems, log_in_as_demo_author
from tests.test_editor_images import PASTE, png_base64

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TITLE = "Sleep, the Gut and the Brain"
UNFINISHED = " I was writing this when the tab clo"


def open_post(page, live_server):
    log_in_as_demo_author(page, live_server, "/admin/posts/post/")
    page.locator("#result_list").get_by_role("link", name=TITLE, exact=True).click()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_writer_writes_loses_the_tab_restores_schedules_and_publishes(
    browser, live_server, settings, tmp_path, viewport
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    first = browser.new_context(viewport=VIEWPORTS[viewport])
    page = first.new_page()
    watch = PageProblems(page)
    log_in_as_demo_author(page, live_server, "/admin/posts/post/add/")
    page.locator("#id_title").fill(TITLE)
    body = page.locator("#id_body")
    toolbar = page.get_by_role("toolbar", name="Formatting")

    body.press_sequentially("Sleep matters")
    body.evaluate("(area) => area.setSelectionRange(6, 13)")
    body.press("Control+b")
    body.press("End")
    body.press("Enter")
    body.press("Enter")
    body.press_sequentially("Why")
    toolbar.get_by_role("button", name="Heading").click()
    body.press("End")
    body.press("Enter")
    body.press("Enter")
    page.evaluate(PASTE, [png_base64(), "image/png", "stages.png"])
    dialog = page.get_by_role("dialog", name="Upload an image")
    dialog.get_by_label("Description, for readers who cannot see it").fill("Sleep stages")
    dialog.get_by_role("button", name="Upload and insert").click()
    expect(dialog).to_have_count(0)
    body.press("End")
    body.press_sequentially("\n\nAs I wrote in [[")
    page.get_by_role("combobox", name="Link to a post").press_sequentially("talks")
    page.get_by_role("combobox", name="Link to a post").press("Enter")
    page.get_by_role("button", name="Add another Resource").click()
    page.locator("#id_resources-0-number").fill("1")
    page.locator("#id_resources-0-title").fill("A study of sleep and the microbiome")
    body.press("Control+End")
    body.press_sequentially(", and sleep research agrees")
    toolbar.get_by_role("button", name="Cite a resource").click()
    page.get_by_role("option").filter(has_text="A study of sleep").click()
    written = body.input_value()
    assert written.startswith("Sleep **matters**\n\n## Why\n\n![Sleep stages](image:")
    assert (
        "As I wrote in [How the Gut Talks to the Brain](post:how-the-gut-talks-to-the-brain)"
        in written
    )
    assert written.endswith(", and sleep research agrees[#1]")
    if viewport == "phone":
        page.get_by_role("tab", name="Preview").click()
        preview = page.frame_locator("iframe.post-preview")
        expect(preview.locator(".prose h2")).to_have_text("Why #")  # with its link
        expect(preview.locator(".resources")).to_contain_text("A study of sleep")
        page.get_by_role("tab", name="Write").click()

    body.press("Control+s")  # a draft, kept open
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    body = page.locator("#id_body")
    body.focus()
    body.press("Control+End")
    body.press_sequentially(UNFINISHED)
    expect(page.locator(".autosave-status")).to_contain_text("Autosaved at")
    assert watch.problems == []
    first.close()  # the tab is gone, mid-sentence

    second = browser.new_context(viewport=VIEWPORTS[viewport])  # another machine
    page = second.new_page()
    open_post(page, live_server)
    page.locator(".autosave-offers").get_by_role("button", name="Restore").click()
    body = page.locator("#id_body")
    assert body.input_value().endswith(UNFINISHED)
    body.press("Control+End")
    body.press_sequentially("sed.")

    page.get_by_text("Schedule…").click()
    page.get_by_label("Goes public at").fill("2031-03-14T09:30")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.locator(".publishing-state")).to_contain_text("14 March 2031, 09:30")
    page.get_by_role("button", name="Publish now").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(live_server.url + "/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator(".prose img")).to_have_js_property("naturalWidth", 320)
    expect(page.locator(".prose")).to_contain_text("the tab closed.")
    expect(page.get_by_role("link", name="How the Gut Talks to the Brain").first).to_be_visible()
    expect(page.locator(".resources")).to_contain_text("A study of sleep and the microbiome")
    second.close()
