"""Images for posts: what an upload must be, where it is stored, and how `image:ID` in a
post's Markdown finds it."""

import hashlib
import io
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from pictures.models import PictureField
from PIL import Image as PillowImage
from PIL import ImageOps

from posts.figures import ShownImage

# MPO is how Pillow reads the JPEGs many phone cameras make.
IMAGE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
IMAGE_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
IMAGE_MAX_BYTES = 10 * 1024 * 1024
# Enough for any photograph; a small file that claims more is a decompression bomb.
IMAGE_MAX_PIXELS = 50_000_000
IMAGE_SCHEME = "image:"
WEB_SCHEMES = ("https://", "http://")
MAX_IMAGE_ID = 2**63 - 1  # the largest BigAutoField
ORIENTATION = 0x0112  # the EXIF tag of how the camera was held


def image_format(file):
    """The format Pillow finds in the file's content (never its name), or None if it finds
    none; DecompressionBombError for an image of more than IMAGE_MAX_PIXELS."""
    file.seek(0)
    try:
        # Below Pillow's own limits (which warn, then refuse), so its warning never comes.
        with PillowImage.open(file) as image:
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise PillowImage.DecompressionBombError(f"{image.size} pixels")
            found = image.format
            image.verify()
        file.seek(0)
        with PillowImage.open(file) as image:
            # Decoding at an eighth of the size (JPEG) still reads every byte: a file cut
            # short fails here, not in front of readers.
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
        return found
    except (OSError, SyntaxError, ValueError):
        return None
    finally:
        file.seek(0)


def validate_image_file(file):
    """At most 10 MB and 50 megapixels, and a JPEG, PNG, WebP or GIF that Pillow can read;
    never SVG, which can carry scripts."""
    if getattr(file, "_committed", False):
        return  # stored already, and checked when it was uploaded
    if file.size > IMAGE_MAX_BYTES:
        raise ValidationError(
            f"This file is {file.size / 1024 / 1024:.1f} MB; an image can be at most 10 MB."
        )
    file.seek(0)
    start = file.read(1024).lstrip().lower()
    file.seek(0)
    if start.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in start:
        raise ValidationError(
            "SVG images are refused: they can carry scripts. Upload a PNG or JPEG instead."
        )
    try:
        found = image_format(file)
    except PillowImage.DecompressionBombError as error:
        raise ValidationError(
            f"This image has too many pixels; at most {IMAGE_MAX_PIXELS // 1_000_000} megapixels."
        ) from error
    if found is None:
        raise ValidationError("This file is not an image Pillow can read.")
    if found not in IMAGE_FORMATS:
        raise ValidationError(f"Upload a JPEG, PNG, WebP or GIF image; this one is {found}.")


def without_metadata(file):
    """The uploaded image upright and without its metadata (EXIF with GPS position and camera
    serials, XMP), keeping its colour profile; None when there is nothing to take away, so
    that the file is stored byte for byte. JPEGs keep their quantisation unless turned."""
    file.seek(0)
    with PillowImage.open(file) as image:
        if image.format not in ("JPEG", "MPO", "PNG", "WEBP") or getattr(image, "is_animated", 0):
            return None  # GIFs carry no EXIF; an animation is kept as it is
        exif = image.getexif()
        if not exif and "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info:
            return None
        turned = exif.get(ORIENTATION, 1) != 1
        upright = ImageOps.exif_transpose(image) if turned else image
        options = {"icc_profile": image.info.get("icc_profile")}
        kind = "JPEG" if image.format == "MPO" else image.format
        if kind == "JPEG":
            options["quality"] = 92 if turned else "keep"
            if upright.mode not in ("RGB", "L", "CMYK"):
                upright = upright.convert("RGB")
        elif kind == "WEBP":
            options["lossless"] = image.info.get("lossless", False)
            options["quality"] = 92
        buffer = io.BytesIO()
        upright.save(buffer, kind, **{k: v for k, v in options.items() if v is not None})
    file.seek(0)
    return ContentFile(buffer.getvalue(), name=file.name)


def image_upload_to(image, filename):
    """images/DIGEST/name.ext: named by its content, so that it and its renditions (beside it,
    in images/DIGEST/name/) can be cached for good; the name made safe, the extension that of
    the real format, so that the file is served as what it is."""
    stem = slugify(Path(filename).stem)[:80] or "image"
    if image.file and not image.file._committed:  # an upload, its content at hand
        try:
            extension = IMAGE_EXTENSIONS.get(image_format(image.file), "bin")
        except PillowImage.DecompressionBombError:
            extension = "bin"
        image.file.seek(0)
        digest = hashlib.file_digest(image.file, "sha256").hexdigest()[:20]
        image.file.seek(0)
    else:  # saved from code with the content apart (FieldFile.save): trust the name
        suffix = Path(filename).suffix.lower().lstrip(".").replace("jpeg", "jpg")
        extension = suffix if suffix in IMAGE_EXTENSIONS.values() else "bin"
        digest = f"{timezone.now():%Y%m%d%H%M%S%f}"
    return f"images/{digest}/{stem}.{extension}"


class Image(models.Model):
    """An image for posts, pasted into the Markdown as ![description](image:ID)."""

    class Renditions(models.TextChoices):
        PENDING = "pending", "being made"
        READY = "ready", "ready"
        NONE = "none", "none: the original is shown"  # animated, too small, or unreadable

    file = PictureField(
        upload_to=image_upload_to,
        width_field="width",
        height_field="height",
        validators=[validate_image_file],
        help_text="JPEG, PNG, WebP or GIF, at most 10 MB and 50 megapixels.",
    )
    alt_text = models.CharField(
        "description",
        max_length=300,
        help_text="What the image shows, for readers who cannot see it. Used as its alt text.",
    )
    credit = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who made it or where it is from, e.g. “Photo: Ana Silva, CC BY 4.0”. "
        "Shown under the image.",
    )
    credit_url = models.URLField(
        "credit link", blank=True, help_text="Where the credit links to: its source or licence."
    )
    # What is still to be made lives here, not in the task queue: see posts.renditions.
    renditions = models.CharField(
        max_length=10, choices=Renditions, default=Renditions.PENDING, editable=False
    )
    renditions_asked_at = models.DateTimeField(default=timezone.now, editable=False)
    renditions_started_at = models.DateTimeField(null=True, editable=False)
    rendition_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.alt_text

    def save(self, *args, **kwargs):
        # Readers get the picture, not where and with what it was taken.
        uploaded = self.file and not self.file._committed
        if uploaded and (upright := without_metadata(self.file)) is not None:
            self.file = upright
        if uploaded and not self._state.adding:  # a new file: renditions of it are to be made
            self.renditions = self.Renditions.PENDING
            self.renditions_asked_at, self.renditions_started_at = timezone.now(), None
            self.rendition_attempts = 0
        # What posts.effects goes by: a new file is what asks for renditions.
        self.file_is_new = bool(uploaded) or self._state.adding
        super().save(*args, **kwargs)

    def srcsets(self):
        """{MIME type: srcset} of the renditions once they are made; nothing before."""
        if self.renditions != self.Renditions.READY:
            return {}
        return {
            f"image/{kind.lower()}": ", ".join(f"{p.url} {w}w" for w, p in sorted(made.items()))
            for kind, made in self.file.aspect_ratios[None].items()
            if made
        }

    def shown(self):
        """The image as pages show it."""
        return ShownImage(
            src=self.file.url,
            width=self.width,
            height=self.height,
            alt=self.alt_text,
            credit=self.credit,
            # Checked by the form; kept off pages if it was set some other way, unchecked.
            credit_url=self.credit_url if self.credit_url.startswith(WEB_SCHEMES) else "",
            srcsets=self.srcsets(),
        )

    @property
    def markdown(self):
        """What an author pastes into a post to show this image."""
        description = self.alt_text.replace("\\", "/").replace("[", "(").replace("]", ")")
        return f"![{description}]({IMAGE_SCHEME}{self.pk})"


class ImageResolver:
    """How each `image:ID` of one render is shown: a ShownImage, or None for no such image.
    Remembers the sources that name no image, the images shown, and those whose renditions
    are still being made (see posts.effects.for_images)."""

    def __init__(self):
        self.missing, self.shown, self.waiting = [], frozenset(), frozenset()

    def __call__(self, srcs):
        wanted = {src: src[len(IMAGE_SCHEME) :] for src in srcs if src.startswith(IMAGE_SCHEME)}
        # Beyond the largest id a row can have, a number names no image (and overflows a query).
        ids = [int(value) for value in wanted.values() if value.isascii() and value.isdigit()]
        ids = [pk for pk in ids if pk <= MAX_IMAGE_ID]
        images = {str(image.pk): image for image in Image.objects.filter(pk__in=ids)}
        shown = [images[value] for value in wanted.values() if value in images]
        self.shown = frozenset(image.pk for image in shown)
        self.waiting = frozenset(
            image.pk for image in shown if image.renditions == Image.Renditions.PENDING
        )
        found = {
            src: image.shown() if (image := images.get(value)) else None
            for src, value in wanted.items()
        }
        self.missing = sorted(src for src, image in found.items() if image is None)
        return found
