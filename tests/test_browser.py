"""Reader pages in a real browser (Debian's headless Chromium, driven by Playwright).

The demo content is loaded before Playwright starts: Playwright's sync API keeps an asyncio
loop running in this thread, and Django refuses ORM calls while one is running. For the same
reason the browser is started per test, not per module: pytest-django flushes the database
in this thread after every `live_server` test, and that flush must run after the browser stops.
"""

import feedparser
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

# The Author group comes from a data migration, which a flush between tests would remove.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
AXE = Axe()
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

PART_1 = "How the Gut Talks to the Brain"
PART_2 = "What Throws the Microbiome Off Balance"
PART_3 = "The Link between Mental Health and Gut Health"
SERIES = "Gut and Mind"


class PageProblems:
    """Collects everything that should never happen on a page: script errors, console errors,
    failed requests and error responses. `allow` expects one error status for one address."""

    def __init__(self, page):
        self.page = page
        self.problems = []
        self.allowed = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, message):
        if message.type != "error":
            return
        url = message.location.get("url")
        # Chromium also logs an allowed error status as "Failed to load resource: ... status of
        # 404"; that echo is not a separate problem.
        if any(
            url == allowed_url and f"status of {status} " in message.text
            for allowed_url, status in self.allowed
        ):
            return
        self.problems.append(f"console error: {message.text} at {message.location}")

    def _request_failed(self, request):
        # A request the page itself abandoned, such as a live preview still loading when the
        # form is saved and the page moves on; anything refused or broken fails otherwise.
        if request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response):
        if response.status >= 400 and (response.url, response.status) not in self.allowed:
            self.problems.append(f"HTTP {response.status} for {response.url}")

    def allow(self, url, status):
        self.allowed.add((url, status))

    def check(self):
        """The current page loaded cleanly, its stylesheet applied and nothing scrolls sideways."""
        page = self.page
        page.wait_for_load_state("load")
        assert self.problems == [], f"problems on {page.url}"
        # The site stylesheet applied (it zeroes the body margin and sets the page background).
        assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px", page.url
        width = page.evaluate(
            "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert width["scroll"] <= width["inner"], f"horizontal scrolling on {page.url}: {width}"

    def check_accessibility(self):
        """axe-core finds no serious or critical violation of WCAG 2.2 AA or best practice."""
        results = AXE.run(
            self.page,
            options={
                "resultTypes": ["violations"],
                "runOnly": {"type": "tag", "values": AXE_RULES},
            },
        )
        severe = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            for violation in results.response["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        assert severe == [], f"accessibility on {self.page.url}"


# Characters on each full line of the body's paragraphs (a paragraph's last line is left out).
LINE_LENGTHS = """() => {
  const lengths = [];
  for (const paragraph of document.querySelectorAll('.prose > p')) {
    const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
    let lineTop = null, count = 0;
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        if (lineTop !== null && Math.abs(rect.top - lineTop) > 5) {
          lengths.push(count);
          count = 0;
        }
        lineTop = rect.top;
        count++;
      }
    }
  }
  return lengths.sort((a, b) => a - b);
}"""


def card_titles(page):
    return page.locator(".post-card-title").all_inner_texts()


JOURNEYS = {
    "phone-light": (VIEWPORTS["phone"], "light"),
    "desktop-dark": (VIEWPORTS["desktop"], "dark"),
}


@pytest.mark.parametrize(("viewport", "color_scheme"), JOURNEYS.values(), ids=JOURNEYS.keys())
def test_reader_journey_from_home_to_search_and_back(browser, live_server, viewport, color_scheme):
    """A reader goes home → seed post → part 1 via "review here" → a tag → the series → search
    for a word of the seed post → back to it → the archive → the tags index → a post's author
    by its byline, by clicking and typing only. Every page loads without errors, never scrolls
    sideways and passes axe-core."""
    page = browser.new_page(viewport=viewport, color_scheme=color_scheme)
    watch = PageProblems(page)

    def check():
        watch.check()
        watch.check_accessibility()

    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Latest posts")
    assert card_titles(page) == [PART_3, PART_2, PART_1]
    check()
    # The favicon the pages point to is served (headless Chromium does not fetch it by itself).
    favicon = page.locator("link[rel=icon]").evaluate("link => link.href")
    assert page.request.get(favicon).status == 200

    page.get_by_role("link", name=PART_3).click()
    page.wait_for_url("**/posts/the-link-between-mental-health-and-gut-health/")
    expect(page.get_by_role("heading", level=1)).to_have_text(PART_3)
    series_box = page.get_by_role("navigation", name=f"Series: {SERIES}")
    expect(series_box.locator("p")).to_have_text(f"Part 3 of 3 in {SERIES}")
    tags = page.locator(".post-header").get_by_role("list", name="Tags").get_by_role("link")
    assert sorted(tags.all_inner_texts()) == [
        "Gut Health",
        "Inflammation",
        "Mental Health",
        "Microbiome",
    ]
    body = page.locator(".prose")
    expect(body).to_contain_text("Intestinal Hyperpermeability")
    resources = page.get_by_role("region", name="Resources")
    expect(resources.locator("ol > li")).to_have_count(5)
    expect(page.locator("li#resource-4")).to_be_attached()
    related = page.get_by_role("region", name="Related posts").get_by_role("link")
    expect(related).to_have_text([PART_2, PART_1])
    if viewport["width"] >= 1280:
        lengths = page.evaluate(LINE_LENGTHS)
        assert 60 <= lengths[len(lengths) // 2] <= 75, f"characters a line: {lengths}"
    check()

    body.get_by_role("link", name="review here").click()
    page.wait_for_url("**/posts/how-the-gut-talks-to-the-brain/")
    expect(page.get_by_role("heading", level=1)).to_have_text(PART_1)
    check()

    # "Neuroscience" is a tag of part 1 only, so its page shows exactly that post.
    page.locator(".post-header").get_by_role("link", name="Neuroscience").click()
    page.wait_for_url("**/tags/neuroscience/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Posts tagged Neuroscience")
    expect(page.locator(".page-intro")).to_contain_text("1 post · Subscribe: RSS · Atom")
    assert card_titles(page) == [PART_1]
    check()

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Series").click()
    page.wait_for_url("**/series/")
    page.locator("main").get_by_role("link", name=SERIES).click()
    page.wait_for_url("**/series/gut-and-mind/")
    expect(page.get_by_role("heading", level=1)).to_have_text(SERIES)
    parts = page.locator(".series-parts > li")
    expect(parts.locator(".kicker")).to_have_text(["Part 1", "Part 2", "Part 3"], ignore_case=True)
    assert card_titles(page) == [PART_1, PART_2, PART_3]
    check()

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Search").click()
    page.wait_for_url("**/search/")
    check()
    # A word only the seed post's body has.
    page.get_by_label("Words to find").fill("hyperpermeability")
    page.get_by_role("button", name="Search").click()
    # The form's tag and series choices, left at "any", come along empty.
    page.wait_for_url("**/search/?q=hyperpermeability&tag=&series=")
    expect(page.get_by_role("status")).to_have_text("1 post matches “hyperpermeability”")
    assert card_titles(page) == [PART_3]
    expect(page.locator(".snippet mark").first).to_have_text("Hyperpermeability", ignore_case=True)
    check()
    page.get_by_role("link", name=PART_3).click()
    page.wait_for_url("**/posts/the-link-between-mental-health-and-gut-health/")
    expect(page.get_by_role("heading", level=1)).to_have_text(PART_3)

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Archive").click()
    page.wait_for_url("**/archive/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Archive")
    expect(page.locator(".archive-years a")).to_have_text(["2026"])
    check()

    page.get_by_role("link", name="2026").click()
    page.wait_for_url("**/archive/2026/")
    expect(page.locator(".archive-months a")).to_have_text(["September", "October"])
    check()

    page.get_by_role("link", name="September").click()
    page.wait_for_url("**/archive/2026/09/")
    expect(page.get_by_role("heading", level=1)).to_have_text("September 2026")
    expect(page.locator(".page-intro")).to_have_text("2 posts")
    assert card_titles(page) == [PART_2, PART_1]
    check()

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Tags").click()
    page.wait_for_url("**/tags/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tags")
    neuroscience = page.locator(".tag-index li").filter(has_text="Neuroscience")
    expect(neuroscience).to_have_text("Neuroscience 1 post")
    check()

    neuroscience.get_by_role("link").click()
    page.wait_for_url("**/tags/neuroscience/")
    page.get_by_role("link", name=PART_1).click()
    page.wait_for_url("**/posts/how-the-gut-talks-to-the-brain/")
    page.locator(".post-header").get_by_role("link", name="Demo Author").click()
    page.wait_for_url("**/authors/demo-author/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo Author")
    expect(page.locator(".author-bio")).to_contain_text("Gut and Mind")
    assert card_titles(page) == [PART_3, PART_2, PART_1]
    check()
    page.close()


def test_post_page_and_series_navigation_work_without_javascript(browser, live_server):
    """With JavaScript off, the post page renders in full and its series links lead on."""
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["phone"])
    page = context.new_page()
    watch = PageProblems(page)

    page.goto(live_server.url + "/posts/the-link-between-mental-health-and-gut-health/")
    expect(page.get_by_role("heading", level=1)).to_have_text(PART_3)
    expect(page.get_by_role("region", name="Resources").locator("ol > li")).to_have_count(5)
    series_box = page.get_by_role("navigation", name=f"Series: {SERIES}")

    series_box.get_by_role("link", name=PART_2).click()
    page.wait_for_url("**/posts/what-throws-the-microbiome-off-balance/")
    expect(page.get_by_role("heading", level=1)).to_have_text(PART_2)
    expect(series_box.locator("p")).to_have_text(f"Part 2 of 3 in {SERIES}")

    series_box.get_by_role("link", name=SERIES).click()
    page.wait_for_url("**/series/gut-and-mind/")
    expect(page.get_by_role("heading", level=1)).to_have_text(SERIES)
    assert card_titles(page) == [PART_1, PART_2, PART_3]
    page.wait_for_load_state("load")
    assert watch.problems == []
    context.close()


def test_unknown_address_shows_the_site_styled_not_found_page(browser, live_server):
    """An unknown address answers 404 with the site's header, styles and a "Page not found"."""
    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    watch = PageProblems(page)
    url = live_server.url + "/no-such-page/"
    watch.allow(url, 404)

    response = page.goto(url)
    assert response.status == 404
    header = page.locator("header.site-header")
    expect(header.get_by_role("link", name="gutbrain")).to_be_visible()
    expect(header.get_by_role("navigation", name="Site")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page).to_have_title("Page not found · gutbrain")
    watch.check()
    page.close()


def test_first_tab_on_home_focuses_a_visible_skip_link(browser, live_server):
    """The first Tab on the home page lands on "Skip to content", shown inside the viewport;
    following it moves focus to the main content."""
    viewport = VIEWPORTS["phone"]
    page = browser.new_page(viewport=viewport)
    watch = PageProblems(page)
    page.goto(live_server.url + "/")
    watch.check()

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] + box["height"] <= viewport["height"], box

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.close()


def test_admin_tags_field_suggests_existing_tags(browser, live_server):
    """Typing after a comma in the post form's tags field offers existing tags, keeping the
    names already typed."""
    page = browser.new_page()
    watch = PageProblems(page)
    page.goto(live_server.url + "/admin/login/?next=/admin/posts/post/add/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("gutbrain-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add post")
    page.locator("#id_tags").press_sequentially("Sleep, micro")
    options = page.locator("#id_tags_suggestions option")
    expect(options).to_have_count(1)
    assert options.first.get_attribute("value") == "Sleep, Microbiome"
    assert watch.problems == []


def test_links_survive_a_rename_and_bad_links_are_named(browser, live_server):
    """The author's journey: follow "review here", see the backlink, rename the earlier post in
    the admin, and the old address and the seed's link still lead to it; publishing a post
    that links to a draft is refused, naming the link."""
    page = browser.new_page()
    watch = PageProblems(page)
    page.goto(live_server.url + "/posts/the-link-between-mental-health-and-gut-health/")
    page.get_by_role("link", name="review here").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PART_1)
    linked_from = page.locator(".linked-from")
    expect(linked_from.get_by_role("link", name=PART_3)).to_be_visible()

    page.goto(live_server.url + "/admin/login/?next=/admin/posts/post/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("gutbrain-demo")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=PART_1, exact=True).click()
    expect(page.locator(".field-linked_from_list")).to_contain_text(PART_3)
    page.locator("#id_slug").fill("gut-brain-conversation")
    page.get_by_role("button", name="Update", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    response = page.request.get(
        live_server.url + "/posts/how-the-gut-talks-to-the-brain/", max_redirects=0
    )
    assert response.status == 301
    assert response.headers["location"] == "/posts/gut-brain-conversation/"
    page.goto(live_server.url + "/posts/the-link-between-mental-health-and-gut-health/")
    page.get_by_role("link", name="review here").click()
    assert page.url == live_server.url + "/posts/gut-brain-conversation/"
    expect(page.get_by_role("heading", level=1)).to_have_text(PART_1)

    page.goto(live_server.url + "/admin/posts/post/add/")
    page.locator("#id_title").fill("Notes on sleep")
    page.locator("#id_body").fill("Unfinished.")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(live_server.url + "/admin/posts/post/add/")
    page.locator("#id_title").fill("Sleep and the gut")
    page.locator("#id_body").fill("More in [my notes](post:notes-on-sleep).")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text(
        "“post:notes-on-sleep” links to “Notes on sleep”, which is a draft."
    )
    assert watch.problems == []


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    image = tmp_path / "chart.png"
    from PIL import Image as PillowImage

    PillowImage.new("RGB", (800, 450), (40, 110, 95)).save(image, "PNG")
    return image


def log_in_as_demo_author(page, live_server, next_url):
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("gutbrain-demo")
    page.get_by_role("button", name="Log in").click()


def test_an_author_writes_previews_and_publishes_a_post_with_an_image(
    media_root, browser, live_server
):
    """As the demo author: upload an image, write a post with a tag, an internal link and the
    image, watch the preview follow the typing, publish, and find it on the home page and in
    the feed, image and all."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in_as_demo_author(page, live_server, "/admin/posts/image/add/")
    page.locator("#id_file").set_input_files(str(media_root))
    page.locator("#id_alt_text").fill("Cytokines at the blood-brain barrier")
    page.get_by_role("button", name="Save", exact=True).click()
    snippet = page.locator("code.image-snippet").first.inner_text()
    assert snippet.startswith("![Cytokines at the blood-brain barrier](image:")

    page.goto(live_server.url + "/admin/posts/post/add/")
    page.locator("#id_title").fill("Sleep and the Gut")
    body = page.locator("#id_body")
    body.fill("## Why sleep\n\nAs I wrote ([review here](post:how-the-gut-talks-to-the-brain)).")
    preview = page.frame_locator("iframe.post-preview")
    expect(preview.locator("h2")).to_have_text("Why sleep #")  # with its link
    expect(preview.get_by_role("link", name="review here")).to_have_attribute(
        "href", "/posts/how-the-gut-talks-to-the-brain/"
    )
    body.press("End")
    body.press_sequentially(f"\n\n{snippet}\n")
    image = preview.locator("img")
    expect(image).to_have_attribute("width", "800")
    expect(image).to_have_attribute("height", "450")
    expect(image).to_have_js_property("naturalWidth", 800)  # loaded from the media address
    page.locator("#id_tags").fill("Sleep")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page = context.new_page()  # as a reader would, with nothing of the admin still loading
    watch = PageProblems(page)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sleep and the Gut").click()
    expect(page.locator(".prose img")).to_have_attribute("loading", "eager")  # the first image
    expect(page.locator(".prose img")).to_have_js_property("naturalWidth", 800)
    watch.check()
    feed = feedparser.parse(page.request.get(live_server.url + "/feed/atom/").body())
    assert feed.bozo == 0
    entry = feed.entries[0]
    assert entry.title == "Sleep and the Gut"
    assert f'src="{live_server.url}/media/images/' in entry.content[0].value
    assert [tag.term for tag in entry.tags] == ["Sleep"]


def test_two_tabs_editing_one_post_lose_nothing(browser, live_server):
    """The second of two tabs to save is stopped, told who saved, and keeps its text."""
    context = browser.new_context()
    first = context.new_page()
    log_in_as_demo_author(first, live_server, "/admin/posts/post/")
    first.get_by_role("link", name=PART_2, exact=True).click()
    second = context.new_page()
    second.goto(first.url)

    first.locator("#id_summary").fill("Edited in the first tab.")
    first.get_by_role("button", name="Update", exact=True).click()
    expect(first.locator(".messagelist")).to_contain_text("was changed successfully")

    second.locator("#id_summary").fill("Edited in the second tab.")
    second.get_by_role("button", name="Update", exact=True).click()
    expect(second.locator(".errornote, .errorlist").first).to_be_visible()
    expect(second.locator("body")).to_contain_text("Demo Author saved this post at")
    expect(second.locator("#id_summary")).to_have_value("Edited in the second tab.")


def test_the_accessibility_check_catches_a_serious_violation(browser, live_server):
    """The axe-core check above is real: an unlabelled image link fails it."""
    page = browser.new_page(viewport=VIEWPORTS["phone"])
    page.goto(live_server.url + "/")
    watch = PageProblems(page)
    watch.check_accessibility()
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        ' \'<a href="/"><img src="/favicon.ico"></a>\')'
    )
    with pytest.raises(AssertionError, match="image-alt"):
        watch.check_accessibility()
    page.close()
