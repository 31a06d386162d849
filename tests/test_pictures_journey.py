"""Pictures end to end, with real worker processes: one killed in the middle of a job, whose
work is done later by another; and an author's photo taken from upload to readers, feeds and
link previews in Chromium."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image as PillowImage
from PIL import ImageDraw
from playwright.sync_api import expect

from posts.images import Image
from posts.models import Post
from tests.test_browser import PageProblems, log_in_as_demo_author

ROOT = Path(__file__).resolve().parent.parent
GPS = 0x8825
pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "sqlite" and connection.settings_dict["TEST"]["NAME"] == ":memory:",
        reason="a worker process shares the test database, which SQLite cannot keep in memory",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def worker_environment():
    """What a worker process needs to see this test's database, media and cache."""
    database = connection.settings_dict
    cache = settings.CACHES["default"]
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database['NAME']}"
        if connection.vendor == "sqlite"
        else f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}",
        "DJANGO_MEDIA_ROOT": settings.MEDIA_ROOT,
        "GUTBRAIN_TASK_OVERDUE_SECONDS": "2",
        "GUTBRAIN_SWEEP_SECONDS": "1",
    }
    if "redis" in cache["BACKEND"].lower():
        environment["REDIS_URL"] = cache["LOCATION"]
    else:
        environment["GUTBRAIN_CACHE_DIR"] = cache["LOCATION"]
    return environment


def start(command):
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=worker_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, to stop with all it started
    )


def stop(process, how=signal.SIGTERM):
    """Stop the process (SIGTERM: it stops what it started; SIGKILL: all of them at once, as a
    crash would), and wait until none is left holding the database."""
    if how == signal.SIGKILL:
        os.killpg(process.pid, how)
    else:
        os.kill(process.pid, how)
    process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)


def wait_for(condition, seconds=90):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.1)


def photo(size, orientation=1, gps=False):
    """A JPEG as a phone makes it: pixels as the sensor read them, the EXIF saying how to turn
    them, and where it was taken."""
    picture = PillowImage.new("RGB", size, (200, 180, 150))
    draw = ImageDraw.Draw(picture)
    for x in range(0, size[0], 40):
        draw.line((x, 0, size[0] - x, size[1]), fill=(x % 256, 90, 140), width=14)
    exif = PillowImage.Exif()
    exif[0x0112] = orientation
    if gps:
        exif[GPS] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def test_a_job_whose_worker_is_killed_is_done_later_and_nothing_half_made_is_shown(
    make_post, client
):
    image = Image.objects.create(
        file=SimpleUploadedFile("field.jpg", photo((6000, 4000))), alt_text="A field"
    )
    post = make_post(body=f"![A field](image:{image.pk})")

    worker = start([sys.executable, "manage.py", "db_worker", "--no-startup-delay"])
    try:
        wait_for(lambda: Image.objects.get(pk=image.pk).rendition_attempts == 1)
        time.sleep(0.5)  # into the job: some renditions are written by now
    finally:
        stop(worker, signal.SIGKILL)
    image.refresh_from_db()
    assert image.renditions == Image.Renditions.PENDING
    page = client.get(post.get_absolute_url()).content.decode()
    assert image.file.url in page and "srcset" not in page  # the original, and nothing else

    worker = start(["scripts/worker"])
    try:
        # Made, and the post that shows the image rendered again with them.
        wait_for(lambda: "srcset" in Post.objects.get(pk=post.pk).body_html)
    finally:
        stop(worker)
    image.refresh_from_db()
    assert image.rendition_attempts == 2
    made = Path(settings.MEDIA_ROOT, image.file.name).with_suffix("")
    for width in (400, 800, 1200, 1600):
        for extension in ("webp", "jpeg"):
            with PillowImage.open(made / f"{width}w.{extension}") as rendition:
                rendition.load()  # whole: no half-written file
                # Fitted within width by its height rounded down: a pixel may go.
                assert width - 1 <= rendition.width <= width
    page = client.get(post.get_absolute_url()).content.decode()
    assert f"{image.file.url.removesuffix('.jpg')}/1600w.webp 1600w" in page


def test_an_author_publishes_a_phone_photo_as_feature_image_with_a_figure(
    browser, live_server, tmp_path, monkeypatch
):
    """Upload a portrait phone photo with its GPS position, make it the feature image of a
    new post with a captioned figure, publish; readers get it upright, in renditions,
    without the position, and so do feeds, search engines and link previews."""
    # This thread asks the database what the worker did while Playwright's loop runs in it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    upload = tmp_path / "IMG_2041.jpg"
    upload.write_bytes(photo((1600, 1200), orientation=6, gps=True))
    worker = start(["scripts/worker"])
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        log_in_as_demo_author(page, live_server, "/admin/posts/image/add/")
        page.locator("#id_file").set_input_files(str(upload))
        page.locator("#id_alt_text").fill("Sourdough starter in a jar")
        page.locator("#id_credit").fill("Photo: Ana Silva")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("was added successfully")
        image = Image.objects.get(alt_text="Sourdough starter in a jar")

        page.goto(live_server.url + "/admin/posts/post/add/")
        page.locator("#id_title").fill("Feeding a Starter")
        page.locator("#id_body").fill(
            "Microbes at work.\n\n"
            f'![A jar of starter](image:{image.pk} "Day three: *bubbles* at last")\n'
        )
        page.locator("#id_feature_image").select_option(label="Sourdough starter in a jar")
        page.get_by_role("button", name="Publish", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("was added successfully")
        wait_for(lambda: "srcset" in Post.objects.get(title="Feeding a Starter").body_html)
    finally:
        stop(worker)
    post = Post.objects.get(title="Feeding a Starter")

    reader = context.new_page()
    watch = PageProblems(reader)
    reader.goto(live_server.url + post.get_absolute_url())
    feature = reader.locator("figure.feature img")
    expect(feature).to_have_attribute("fetchpriority", "high")
    expect(feature).to_have_attribute("width", "1200")  # upright: portrait, as it was held
    expect(feature).to_have_attribute("height", "1600")
    expect(reader.locator("figure.feature source[type='image/webp']")).to_have_attribute(
        "srcset",
        f"{image.file.url.removesuffix('.jpg')}/400w.webp 400w, "
        f"{image.file.url.removesuffix('.jpg')}/800w.webp 800w, "
        f"{image.file.url.removesuffix('.jpg')}/1200w.webp 1200w",
    )
    expect(feature).to_have_js_property("complete", True)
    # The column is 608 px wide: the browser picks the 800 px WebP, not the original.
    assert feature.evaluate("img => img.currentSrc").endswith("/800w.webp")
    figure = reader.locator(".prose figure")
    expect(figure.locator("figcaption em")).to_have_text("bubbles")
    expect(figure.locator(".credit")).to_have_text("Photo: Ana Silva")
    figure.scroll_into_view_if_needed()
    expect(figure.locator("img")).to_have_js_property("complete", True)
    watch.check()

    stored = Path(settings.MEDIA_ROOT, image.file.name)
    for path in [stored, *stored.with_suffix("").iterdir()]:
        with PillowImage.open(path) as copy:
            assert not copy.getexif().get_ifd(GPS), path.name
            assert copy.height > copy.width, path.name

    head = {
        name: reader.locator(f"meta[property='{name}']").get_attribute("content")
        for name in ("og:image", "og:image:width", "og:image:height", "og:image:alt")
    }
    assert head["og:image:alt"] == "Sourdough starter in a jar"
    card = reader.request.get(head["og:image"])
    assert card.status == 200 and card.headers["content-type"] == "image/jpeg"
    with PillowImage.open(io.BytesIO(card.body())) as picture:
        assert picture.size == (1200, 630) == (int(head["og:image:width"]), 630)
    data = json.loads(reader.locator("script[type='application/ld+json']").inner_text())
    assert data["image"]["url"] == live_server.url + image.file.url

    feed = feedparser.parse(reader.request.get(live_server.url + "/feed/atom/").body())
    assert feed.bozo == 0
    entry = next(e for e in feed.entries if e.title == "Feeding a Starter")
    (enclosure,) = entry.enclosures
    assert enclosure.href == live_server.url + image.file.url
    assert enclosure.type == "image/jpeg"

    # A post without an image gets a card drawn with its title.
    reader.goto(live_server.url + "/posts/how-the-gut-talks-to-the-brain/")
    drawn = reader.request.get(
        reader.locator("meta[property='og:image']").get_attribute("content")
    )
    assert drawn.status == 200 and drawn.headers["content-type"] == "image/png"
    with PillowImage.open(io.BytesIO(drawn.body())) as picture:
        assert picture.size == (1200, 630)
    context.close()
    connection.close()  # the one opened beside Playwright's loop, before the database goes
