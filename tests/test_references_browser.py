"""In Chromium: references pasted into a new post fill its resource rows."""

import pytest
from playwright.sync_api import expect

from tests.test_browser import PageProblems, log_in_as_demo_author
from tests.test_reference_import import ZOTERO_BIBTEX

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_pasting_a_zotero_export_of_three_articles_fills_three_resources(browser, live_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in_as_demo_author(page, live_server, "/admin/posts/post/add/")
    page.locator("#id_title").fill("Three Studies")
    page.locator("#id_body").fill("The axis [#1], the barrier [#2] and stress [#3].")
    page.get_by_text("Add references from BibTeX").click()
    page.get_by_label("Paste what Zotero").fill("10.1038/nature12820 banana")
    page.get_by_role("button", name="Add these references").click()
    expect(page.locator(".reference-paste .errorlist")).to_contain_text("“banana” is not a DOI")
    expect(page.locator("#id_resources-0-title")).to_have_count(0)  # nothing half-added
    page.get_by_label("Paste what Zotero").fill(ZOTERO_BIBTEX)
    page.get_by_role("button", name="Add these references").click()
    expect(page.get_by_role("status").filter(has_text="Added 3 references")).to_be_visible()
    expect(page.locator("#id_resources-0-title")).to_have_value("The Microbiota-Gut-Brain Axis")
    expect(page.locator("#id_resources-2-number")).to_have_value("3")
    expect(page.locator("#id_resources-1-authors")).to_have_value(
        "Braniste, Viorica\nAl-Asmakh, Maha\n{The Karolinska Microbiome Group}"
    )
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    watch = PageProblems(page)  # from here: the refused paste above was a 400 on purpose
    page.goto(live_server.url + "/posts/three-studies/")
    resources = page.locator("section.resources li")
    expect(resources).to_have_count(3)
    expect(resources.nth(0)).to_contain_text("Cryan JF, O'Riordan KJ, Cowan CSM.")
    expect(resources.nth(0)).to_contain_text("Physiological Reviews. 2019;99(4):1877")
    watch.check()
