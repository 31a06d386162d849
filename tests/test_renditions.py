"""Renditions of uploaded images: made in the background, shown only once all are made, never
wider than the original, and asked for again when the worker making them dies."""

import io
import struct
import zlib
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pictures.models import PillowPicture
from PIL import Image as PillowImage
from PIL import ImageCms

from posts.figures import IMAGE_SIZES
from posts.images import ORIENTATION, Image
from posts.renditions import MAX_ATTEMPTS, ask_again_for_overdue, make_renditions

pytestmark = pytest.mark.django_db

WIDTHS = (400, 800, 1200, 1600)


def encoded(picture, kind, **options):
    buffer = io.BytesIO()
    picture.save(buffer, kind, **options)
    return buffer.getvalue()


def photo(size=(2000, 1500), mode="RGB"):
    """A JPEG of noise, as big as a photo's; with EXIF, as cameras write it."""
    noise = PillowImage.effect_noise(size, 60).convert(mode)
    exif = PillowImage.Exif()
    exif[ORIENTATION] = 1
    exif[0x010F] = "Camera maker"
    return encoded(noise, "JPEG", quality=90, exif=exif)


def animated_gif():
    frames = [PillowImage.new("P", (900, 600), colour) for colour in (1, 2, 3)]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def hand_made_png(width, height, scanlines, *, bit_depth=8, colour_type=2, before_pixels=b""):
    """A PNG written chunk by chunk, so that it can claim what Pillow would never write;
    `scanlines` are blocks of rows, each row after its filter byte."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    squeeze = zlib.compressobj()
    pixels = b"".join(squeeze.compress(block) for block in scanlines) + squeeze.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + before_pixels
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def decompression_bomb():
    """400 megapixels of one bit each, all blank: some 50 kB."""
    blank_rows = bytes((1 + 2_500) * 1_000)
    return hand_made_png(20_000, 20_000, [blank_rows] * 20, bit_depth=1, colour_type=0)


def huge_colour_profile():
    """A small PNG whose ICC profile unpacks to 20 MB."""
    profile = chunk(b"iCCP", b"icc\0\0" + zlib.compress(bytes(20_000_000), 9))
    return hand_made_png(64, 48, [b"\0" + b"\x80\x40\x20" * 64] * 48, before_pixels=profile)


def upload(admin_client, content, name="photo.jpg"):
    file = SimpleUploadedFile(name, content)
    return admin_client.post(reverse("admin:posts_image_add"), {"file": file, "alt_text": "x"})


def uploaded(admin_client, content, name="photo.jpg"):
    response = upload(admin_client, content, name)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Image.objects.get()


def library(content, name="photo.jpg"):
    return Image.objects.create(file=SimpleUploadedFile(name, content), alt_text="A photo")


def rendition_files(image):
    """The names of the renditions beside the original, e.g. 400w.webp."""
    folder = Path(image.file.path).with_suffix("")
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def expected_files(*widths):
    return sorted(f"{width}w.{kind}" for width in widths for kind in ("jpeg", "webp"))


def opened(image, name):
    with PillowImage.open(Path(image.file.path).with_suffix("") / name) as rendition:
        rendition.load()
        return rendition


class Pictures(HTMLParser):
    """Each <img> of a page, with the <source>s of the <picture> around it (None outside one)."""

    def __init__(self):
        super().__init__()
        self.images, self._sources = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "picture":
            self._sources = []
        elif tag == "source" and self._sources is not None:
            self._sources.append(attrs)
        elif tag == "img":
            self.images.append((attrs, self._sources))

    def handle_endtag(self, tag):
        if tag == "picture":
            self._sources = None


def shown(client, post, image):
    """How the post's page shows the image: its <img> and the <source>s beside it."""
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    parser = Pictures()
    parser.feed(response.content.decode())
    [found] = [(img, sources) for img, sources in parser.images if img["src"] == image.file.url]
    return found


def shows_the_original_only(client, post, image):
    img, sources = shown(client, post, image)
    return sources is None and "srcset" not in img and "sizes" not in img


def srcset_widths(srcset):
    return [int(candidate.split()[1].removesuffix("w")) for candidate in srcset.split(", ")]


def test_an_uploaded_photo_is_shown_by_its_renditions_once_they_are_made(
    admin_client, client, make_post
):
    image = uploaded(admin_client, photo())
    post = make_post(body=f"![x](image:{image.pk})")
    assert image.renditions == Image.Renditions.PENDING
    assert shows_the_original_only(client, post, image)

    make_renditions.call(image.pk)

    image.refresh_from_db()
    assert image.renditions == Image.Renditions.READY
    assert rendition_files(image) == expected_files(*WIDTHS)
    for name in rendition_files(image):
        rendition = opened(image, name)
        assert rendition.width == int(name.split("w.")[0])
        assert rendition.format == {"jpeg": "JPEG", "webp": "WEBP"}[name.split(".")[1]]
        assert not rendition.getexif()
    img, [source] = shown(client, post, image)
    assert source["type"] == "image/webp"
    assert srcset_widths(source["srcset"]) == list(WIDTHS)
    assert all(c.split()[0].endswith(".webp") for c in source["srcset"].split(", "))
    assert srcset_widths(img["srcset"]) == list(WIDTHS)
    assert all(c.split()[0].endswith(".jpeg") for c in img["srcset"].split(", "))
    assert img["sizes"] == source["sizes"] == IMAGE_SIZES
    # Every address offered is a file that is served.
    served = client.get(source["srcset"].split()[0])
    assert served["Content-Type"] == "image/webp"
    served.close()


def test_renditions_are_never_wider_than_the_original(client, make_post):
    image = library(photo((1000, 700)))
    post = make_post(body=image.markdown)
    make_renditions.call(image.pk)
    image.refresh_from_db()
    assert rendition_files(image) == expected_files(400, 800)
    img, [source] = shown(client, post, image)
    assert srcset_widths(img["srcset"]) == srcset_widths(source["srcset"]) == [400, 800]


@pytest.mark.parametrize(
    ("content", "name", "outcome"),
    [
        # A still of one frame would lose the motion.
        (animated_gif(), "moving.gif", Image.Renditions.NONE),
        # Too narrow for the narrowest rendition.
        (encoded(PillowImage.new("RGB", (1, 10_000)), "PNG"), "line.png", Image.Renditions.NONE),
        (photo((900, 600), mode="CMYK"), "print.jpg", Image.Renditions.READY),
        (
            encoded(PillowImage.new("I;16", (900, 600), 30_000), "PNG"),
            "sixteen-bit.png",
            Image.Renditions.READY,
        ),
    ],
    ids=["animated-gif", "one-pixel-wide", "cmyk-jpeg", "16-bit-png"],
)
def test_unusual_images_are_accepted_and_get_renditions_or_keep_their_original(
    admin_client, client, make_post, content, name, outcome
):
    image = uploaded(admin_client, content, name)
    post = make_post(body=image.markdown)
    make_renditions.call(image.pk)
    image.refresh_from_db()
    assert image.renditions == outcome
    if outcome == Image.Renditions.NONE:
        assert rendition_files(image) == []
        assert shows_the_original_only(client, post, image)
    else:
        assert rendition_files(image) == expected_files(400, 800)
        assert {opened(image, name).mode for name in rendition_files(image)} == {"RGB"}
        assert not shows_the_original_only(client, post, image)


def test_the_renditions_of_a_16_bit_png_keep_its_tones(admin_client):
    """Mid-grey in sixteen bits is mid-grey in eight, not white."""
    image = uploaded(admin_client, encoded(PillowImage.new("I;16", (900, 600), 32_768), "PNG"))
    make_renditions.call(image.pk)
    assert rendition_files(image)
    for name in rendition_files(image):
        red, green, blue = opened(image, name).convert("RGB").getpixel((10, 10))
        assert 100 < red < 160, f"{name} shows mid-grey as {(red, green, blue)}"


def test_a_palette_png_with_a_colour_profile_gets_renditions_or_keeps_its_original(
    admin_client,
):
    """Image editors embed a colour profile in indexed PNGs too; the task must not fail on
    one, or the image waits for every retry before it is settled."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    palette = encoded(PillowImage.new("P", (900, 600), 3), "PNG", icc_profile=srgb)
    image = uploaded(admin_client, palette, "indexed.png")
    try:
        make_renditions.call(image.pk)
    except Exception as error:
        raise AssertionError(f"making the renditions failed: {error!r}") from error
    image.refresh_from_db()
    assert image.renditions in (Image.Renditions.READY, Image.Renditions.NONE)


def truncated_jpeg():
    whole = photo((800, 600))
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (truncated_jpeg(), "cut.jpg", "This file is not an image Pillow can read."),
        (decompression_bomb(), "bomb.png", "Upload a valid image."),
        (huge_colour_profile(), "profile.png", "Upload a valid image."),
    ],
    ids=["truncated-jpeg", "decompression-bomb", "huge-colour-profile"],
)
def test_broken_and_hostile_files_are_form_errors_and_store_nothing(
    admin_client, settings, content, name, message
):
    response = upload(admin_client, content, name)
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["file"]
    assert error.startswith(message), error
    assert not Image.objects.exists()
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.fixture
def worker_dies_on_third_rendition(monkeypatch):
    """The worker is killed (out of memory, say) while it saves the third rendition."""
    save, calls = PillowPicture.save, []

    def save_or_die(picture, image):
        calls.append(picture)
        if len(calls) == 3:
            raise SystemExit(137)
        return save(picture, image)

    monkeypatch.setattr(PillowPicture, "save", save_or_die)


def overdue(image):
    past = timezone.now() - timedelta(hours=1)
    Image.objects.filter(pk=image.pk).update(renditions_asked_at=past)


def test_a_job_whose_worker_dies_is_asked_for_again_and_half_a_set_is_never_shown(
    client, make_post, settings, worker_dies_on_third_rendition
):
    image = library(photo((1000, 700)))
    post = make_post(body=image.markdown)
    with pytest.raises(SystemExit):
        make_renditions.call(image.pk)

    image.refresh_from_db()
    assert image.renditions == Image.Renditions.PENDING
    assert len(rendition_files(image)) == 2  # made, but not shown
    assert shows_the_original_only(client, post, image)

    settings.GUTBRAIN_TASK_OVERDUE_SECONDS = 0
    overdue(image)
    queued = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert ask_again_for_overdue() == [image.pk]
    [newest] = DBTaskResult.objects.exclude(pk__in=queued)
    assert newest.task_path == "posts.renditions.make_renditions"
    assert newest.args_kwargs["args"] == [image.pk]

    make_renditions.call(image.pk)
    image.refresh_from_db()
    assert image.renditions == Image.Renditions.READY
    assert not shows_the_original_only(client, post, image)


def test_an_image_not_yet_overdue_is_not_asked_for_again(settings):
    settings.GUTBRAIN_TASK_OVERDUE_SECONDS = 300
    library(photo((1000, 700)))
    queued = DBTaskResult.objects.count()
    assert ask_again_for_overdue() == []
    assert DBTaskResult.objects.count() == queued


def test_an_image_that_kills_its_worker_every_time_keeps_its_original(
    client, make_post, monkeypatch, settings
):
    settings.GUTBRAIN_TASK_OVERDUE_SECONDS = 0  # each job may take over from the one before
    image = library(photo((1000, 700)))
    post = make_post(body=image.markdown)

    def die(picture, image):
        raise SystemExit(137)

    monkeypatch.setattr(PillowPicture, "save", die)
    for _attempt in range(MAX_ATTEMPTS):
        with pytest.raises(SystemExit):
            make_renditions.call(image.pk)
        assert Image.objects.get(pk=image.pk).renditions == Image.Renditions.PENDING

    make_renditions.call(image.pk)

    image.refresh_from_db()
    assert image.renditions == Image.Renditions.NONE
    assert shows_the_original_only(client, post, image)


@pytest.mark.parametrize(
    "body",
    [
        "![A photo](image:{pk})",
        'Before.\n\n![A photo](image:{pk} "A caption")',
        "Inline ![A photo](image:{pk}) in a sentence.",
        "A ![photo][one] by reference.\n\n[one]: image:{pk}",
    ],
    ids=["figure", "figure-with-caption", "inline", "reference"],
)
def test_posts_showing_the_image_are_rendered_again_when_its_renditions_are_made(make_post, body):
    image = library(photo((1000, 700)))
    post = make_post(body=body.format(pk=image.pk))
    assert image.file.url in post.body_html
    assert "srcset" not in post.body_html
    make_renditions.call(image.pk)
    post.refresh_from_db()
    assert "800w.jpeg 800w" in post.body_html, "the post still shows the original only"
    assert 'type="image/webp"' in post.body_html
