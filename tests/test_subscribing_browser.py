"""Following by e-mail in Chromium, without JavaScript: the form on a post page, the page
that answers it, the confirmation link from the e-mail, and the e-mail as a reader sees it."""

import re

import pytest
from django.core import mail
from django.db import connection
from django_tasks_db.models import DBTaskResult

from posts.models import Post, Subscriber
from tests.test_browser import PART_3, SERIES, PageProblems

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def work_the_queue():
    while ready := list(DBTaskResult.objects.ready()):
        for result in ready:
            result.delete()
            result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])


@pytest.mark.parametrize(
    "width, javascript", [(390, False), (1280, True)], ids=["phone-without-js", "desktop"]
)
def test_a_reader_subscribes_to_a_series_from_a_post_and_confirms(
    browser, live_server, settings, monkeypatch, width, javascript
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.GUTBRAIN_SITE_URL = live_server.url
    post = Post.objects.get(title=PART_3)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    problems = PageProblems(page)
    page.goto(live_server.url + post.get_absolute_url())
    form = page.locator("#post-subscribe-heading").locator("xpath=..")
    form.get_by_label("Your e-mail address").fill("reader@example.org")
    form.get_by_label("Send me").select_option(label=f"New parts of “{SERIES}”")
    form.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text() == "Check your inbox"
    assert f"The series “{SERIES}”" in page.locator("main").inner_text()
    problems.check()
    if javascript:  # axe-core runs in the page
        problems.check_accessibility()

    work_the_queue()
    [confirmation] = mail.outbox
    assert confirmation.to == ["reader@example.org"]
    link = re.search(r"https?://\S+/subscribe/confirm/\S+/", confirmation.body)[0]
    assert link.startswith(live_server.url)
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "You are subscribed"
    assert f"The series “{SERIES}”" in page.locator(".subscription-list").inner_text()
    problems.check()
    if javascript:  # axe-core runs in the page
        problems.check_accessibility()
    subscriber = Subscriber.objects.get(email="reader@example.org")
    assert subscriber.state == Subscriber.State.SUBSCRIBED
    assert list(subscriber.subscriptions.values_list("series__title", flat=True)) == [SERIES]

    # The next part of the series, e-mailed; read as a mail program would show it.
    next_part = Post.objects.create(
        title="Feeding the Gut-Brain Axis",
        author=post.author,
        body=f"After [the last part]({post.get_absolute_url()}), what to eat [#1].",
        status=Post.Status.PUBLISHED,
    )
    next_part.series_parts.create(series=post.series_parts.get().series, position=4)
    work_the_queue()
    [letter] = mail.outbox[1:]
    html = letter.alternatives[0][0]
    page.set_content(html)
    assert page.get_by_role("heading", level=1).inner_text() == next_part.title
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert hrefs and all(href.startswith(live_server.url) for href in hrefs), hrefs
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width
    context.close()
    connection.close()
