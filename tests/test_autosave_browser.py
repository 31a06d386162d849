"""Never losing a word, in a real browser: a closed tab, another machine, a lapsed session, a
dropped connection and leaving with unsaved changes."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.test_browser import PART_2, PageProblems, log_in_as_demo_author

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SENTENCE = " The vagus nerve carries most of its signals upward, from the gut to the bra"


def open_part_2(page, live_server):
    log_in_as_demo_author(page, live_server, "/admin/posts/post/")
    page.locator("#result_list").get_by_role("link", name=PART_2, exact=True).click()
    expect(page.locator("#id_body")).to_be_visible()


def type_at_the_end(page, text):
    body = page.locator("#id_body")
    body.focus()
    body.press("Control+End")
    body.press_sequentially(text)


def test_a_tab_closed_mid_sentence_gives_its_text_back_on_another_machine(browser, live_server):
    first = browser.new_context(viewport={"width": 1280, "height": 900})
    page = first.new_page()
    open_part_2(page, live_server)
    saved_body = page.locator("#id_body").input_value()
    type_at_the_end(page, SENTENCE)
    expect(page.locator(".autosave-status")).to_contain_text("Autosaved at")
    first.close()  # the tab, the browser, the machine: gone

    other = browser.new_context(viewport={"width": 1280, "height": 900})  # no shared storage
    page = other.new_page()
    watch = PageProblems(page)
    open_part_2(page, live_server)
    offer = page.locator(".autosave-offers")
    expect(offer).to_contain_text("Restore the text you were writing at")
    assert watch.problems == []
    watch.check_accessibility()
    assert "kept in this browser" not in offer.inner_text()
    assert page.locator("#id_body").input_value() == saved_body
    offer.get_by_role("button", name="Restore").click()
    expect(page.locator("#id_body")).to_have_value(saved_body + SENTENCE)
    page.get_by_role("button", name="Update", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.reload()  # the post stays open after a save
    expect(page.locator("#id_body")).to_have_value(saved_body + SENTENCE.rstrip() + "\n")
    expect(page.locator(".autosave-offers")).to_have_count(0)  # saved: nothing to offer
    other.close()


def test_text_typed_after_the_session_lapsed_survives_logging_in_again(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    open_part_2(page, live_server)
    context.clear_cookies()  # the session has lapsed
    type_at_the_end(page, SENTENCE)
    expect(page.locator(".autosave-status")).to_contain_text("you are logged out")

    page.on("dialog", lambda dialog: dialog.accept())  # leave despite the unsaved text
    open_part_2(page, live_server)
    offer = page.locator(".autosave-offers")
    expect(offer).to_contain_text("(kept in this browser)")
    offer.get_by_role("button", name="Restore").click()
    assert page.locator("#id_body").input_value().endswith(SENTENCE)
    context.close()


def test_offline_text_is_kept_in_the_browser_and_leaving_asks_first(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    open_part_2(page, live_server)
    context.set_offline(True)
    type_at_the_end(page, SENTENCE)
    expect(page.locator(".autosave-status")).to_contain_text("Kept in this browser")
    context.set_offline(False)

    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    expect(page.locator("#id_body")).to_be_visible()  # asked, and told to stay
    assert asked == ["beforeunload"]

    page = context.new_page()
    page.goto(live_server.url + "/admin/posts/post/")
    page.locator("#result_list").get_by_role("link", name=PART_2, exact=True).click()
    expect(page.locator(".autosave-offers")).to_contain_text("Restore the text")
    context.close()


def test_a_save_after_the_session_lapsed_asks_to_log_in_and_loses_nothing(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    open_part_2(page, live_server)
    type_at_the_end(page, SENTENCE)
    # The session lapses before the writer saves (the CSRF cookie, which lasts, stays).
    cookies = context.cookies()
    context.clear_cookies()
    context.add_cookies([c for c in cookies if c["name"] != settings.SESSION_COOKIE_NAME])
    page.get_by_role("button", name="Update", exact=True).click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()  # asked to log in again
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("gutbrain-demo")
    page.get_by_role("button", name="Log in").click()
    offer = page.locator(".autosave-offers")  # back at the post, the text offered back
    expect(offer).to_contain_text("Restore the text you were writing at")
    offer.get_by_role("button", name="Restore").first.click()
    assert page.locator("#id_body").input_value().endswith(SENTENCE)
    context.close()
