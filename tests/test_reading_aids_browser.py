"""A long post's reading aids in a real browser, on a phone and on a desktop."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from posts.models import Post
from tests.test_browser import VIEWPORTS, PageProblems

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PARAGRAPH = (
    "Most of the vagus nerve's fibres carry signals upward, from the gut to the brain: the "
    "brain hears far more from the gut than it says to it. Stretch receptors report how full "
    "the stomach is, and chemical sensors in the lining report what the meal was made of, "
    "long before any of it reaches the blood."
)
SECTIONS = ["The wiring", "The chemistry", "What the microbes add", "Why it matters"]
LONG_POST = f"""{PARAGRAPH}

## The wiring

{PARAGRAPH}

{PARAGRAPH}

### Afferent fibres

{PARAGRAPH}

### Efferent fibres

{PARAGRAPH}

## The chemistry

{PARAGRAPH}

```python
def serotonin_made(tryptophan_mg, gut_share=0.9):
    \"\"\"Most of the body's serotonin is made in the gut.\"\"\"
    return tryptophan_mg * gut_share  # the rest, in the brain
```

{PARAGRAPH}

## What the microbes add

{PARAGRAPH}

{PARAGRAPH}

## Why it matters

{PARAGRAPH}

{PARAGRAPH}

{PARAGRAPH}
"""
SLUG = "a-long-read-on-the-vagus-nerve"


@pytest.fixture
def long_post(demo_site):
    """A published post with four sections, two subsections and some code, by the demo author;
    made before any browser starts."""
    return Post.objects.create(
        title="A Long Read on the Vagus Nerve",
        slug=SLUG,
        author=get_user_model().objects.get(username="demo"),
        summary="Everything the gut tells the brain.",
        body=LONG_POST,
        status=Post.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def opacity(locator):
    return locator.evaluate("element => getComputedStyle(element).opacity")


def colour(locator):
    return locator.evaluate("element => getComputedStyle(element).color")


def test_on_a_phone_the_contents_open_above_the_text_and_lead_to_each_section(
    long_post, browser, live_server
):
    page = browser.new_page(viewport=VIEWPORTS["phone"], color_scheme="light")
    watch = PageProblems(page)
    page.goto(f"{live_server.url}/posts/{SLUG}/")
    expect(page.locator(".contents-aside")).to_be_hidden()
    contents = page.get_by_role("navigation", name="Contents")
    summary = contents.locator("summary")
    expect(summary).to_have_text("Contents")
    expect(contents.get_by_role("link", name="The wiring")).to_be_hidden()
    # Above the text, below the post's header.
    assert summary.bounding_box()["y"] < page.locator(".prose").bounding_box()["y"]
    watch.check()
    watch.check_accessibility()

    summary.click()
    expect(contents.locator("details > ol > li > a")).to_have_text(SECTIONS)
    expect(contents.locator("li li a")).to_have_text(["Afferent fibres", "Efferent fibres"])
    contents.get_by_role("link", name="Why it matters").click()
    page.wait_for_url(f"**/posts/{SLUG}/#md-why-it-matters")
    expect(page.locator("h2#md-why-it-matters")).to_be_in_viewport()

    # Each heading's link shows when the heading is touched (hovered).
    permalink = page.locator("h2#md-the-chemistry .permalink")
    page.locator("h2#md-the-chemistry").scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    assert opacity(permalink) == "0"
    page.locator("h2#md-the-chemistry").hover()
    assert opacity(permalink) == "1"
    expect(permalink).to_have_attribute("href", "#md-the-chemistry")
    expect(permalink).to_have_accessible_name("Link to this section")

    code = page.locator(".prose .highlight")
    expect(code.locator(".k").first).to_have_text("def")
    assert colour(code.locator(".k").first) == "rgb(0, 128, 0)"
    assert colour(code.locator(".c1")) != colour(page.locator(".prose > p").first)
    watch.check()
    watch.check_accessibility()
    page.close()


def test_on_a_desktop_the_contents_stay_in_view_beside_the_text(long_post, browser, live_server):
    viewport = VIEWPORTS["desktop"]
    page = browser.new_page(viewport=viewport, color_scheme="dark")
    watch = PageProblems(page)
    page.goto(f"{live_server.url}/posts/{SLUG}/")
    expect(page.locator(".contents-inline")).to_be_hidden()
    contents = page.get_by_role("navigation", name="Contents")
    expect(contents.get_by_role("heading", name="Contents")).to_be_visible()
    expect(contents.locator(".contents-sticky > ol > li > a")).to_have_text(SECTIONS)
    prose = page.locator(".prose").bounding_box()
    beside = contents.bounding_box()
    assert beside["x"] >= prose["x"] + prose["width"] + 16, (prose, beside)
    assert beside["x"] + beside["width"] <= viewport["width"], beside
    assert abs(beside["y"] - prose["y"]) < 4, (prose, beside)
    watch.check()
    watch.check_accessibility()

    # Far down the text, the list is still in view.
    page.locator("h2#md-why-it-matters").scroll_into_view_if_needed()
    page.mouse.wheel(0, 400)
    sticky = page.locator(".contents-sticky")
    expect(sticky).to_be_in_viewport()
    assert 0 <= sticky.bounding_box()["y"] < 100
    contents.get_by_role("link", name="Afferent fibres").click()
    page.wait_for_url(f"**/posts/{SLUG}/#md-afferent-fibres")
    expect(page.locator("h3#md-afferent-fibres")).to_be_in_viewport()

    # From the last link of the list, Tab reaches the first heading's link, which shows.
    page.mouse.move(0, 0)
    contents.get_by_role("link", name="Why it matters").focus()
    page.keyboard.press("Tab")
    permalink = page.locator("h2#md-the-wiring .permalink")
    expect(permalink).to_be_focused()
    assert opacity(permalink) == "1"
    assert opacity(page.locator("h2#md-the-chemistry .permalink")) == "0"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/posts/{SLUG}/#md-the-wiring")

    # Code in the dark theme's colours.
    assert colour(page.locator(".prose .highlight .k").first) == "rgb(255, 123, 114)"
    watch.check()
    watch.check_accessibility()
    page.close()


def test_the_contents_work_without_javascript(long_post, browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["phone"])
    page = context.new_page()
    watch = PageProblems(page)
    page.goto(f"{live_server.url}/posts/{SLUG}/")
    contents = page.get_by_role("navigation", name="Contents")
    contents.locator("summary").click()
    contents.get_by_role("link", name="What the microbes add").click()
    page.wait_for_url(f"**/posts/{SLUG}/#md-what-the-microbes-add")
    expect(page.locator("h2#md-what-the-microbes-add")).to_be_in_viewport()
    page.wait_for_load_state("load")
    assert watch.problems == []
    context.close()
