"""Link-preview cards (og:image): 1200 by 630, what a shared link shows.

A post with a feature image is shown by that image, cropped to the card; any other post gets a
card drawn here: its title, the site's name and its series, in the site's colours and a font
that ships with gutbrain (fonts/, with its licence), so cards look the same on every machine.
A card is made on its first request and kept in the default storage under a name made of what
it shows; a new title is a new name, so a card can be cached for good.
"""

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image as PillowImage
from PIL import ImageDraw, ImageFont, ImageOps

from posts.links import site_origin
from posts.renditions import eight_bit, in_srgb

logger = logging.getLogger(__name__)

SIZE = WIDTH, HEIGHT = 1200, 630
# Changing how cards are drawn changes this, and with it every card's name.
DESIGN = "1"
FONTS = Path(__file__).parent / "fonts"
BACKGROUND, TEXT, MUTED, ACCENT = "#fdfcf9", "#1f2328", "#5b636e", "#1d6a5a"
MARGIN = 80


@dataclass(frozen=True)
class Card:
    key: str
    address: str  # of the card, from the site's root
    alt: str
    photo: object = None  # the feature image it shows, if any
    lines: tuple = ()  # what it reads, if drawn

    @property
    def name(self):
        """Where the card is kept in the storage."""
        return f"cards/{self.key}.{'jpg' if self.photo else 'png'}"

    def absolute_url(self, request):
        return site_origin(request) + self.address


def _key(*parts):
    return hashlib.sha256("\x1f".join((DESIGN, *parts)).encode()).hexdigest()[:20]


def for_post(post, series_places):
    """The card of a published post: its feature image, or its title drawn with the first of
    its series (posts.surroundings.series_places)."""
    series_title = series_places[0].series.title if series_places else ""
    image = post.feature_image
    if image is not None:
        key = _key("photo", image.file.name)
        alt = image.alt_text
    else:
        key = _key("post", settings.GUTBRAIN_SITE_TITLE, post.title, series_title)
        alt = post.title
    ext = "jpg" if image else "png"
    address = reverse("posts:post_card", args=[post.slug, f"{key}.{ext}"])
    lines = (post.title, settings.GUTBRAIN_SITE_TITLE, series_title)
    return Card(key, address, alt, photo=image, lines=lines)


def for_site():
    """The card of the site's own pages: its name and description."""
    title, description = settings.GUTBRAIN_SITE_TITLE, settings.GUTBRAIN_SITE_DESCRIPTION
    key = _key("site", title, description)
    address = reverse("posts:site_card", args=[f"{key}.png"])
    return Card(key, address, title, lines=(description, title, ""))


def content(card):
    """The card's image and whether it may be kept for good: kept in the storage, made first
    if it is not there yet. A feature image that cannot be read gives way to the title."""
    if default_storage.exists(card.name):
        with default_storage.open(card.name) as kept:
            return kept.read(), True
    try:
        made = photo(card.photo) if card.photo else drawn(*card.lines)
    except (OSError, ValueError, PillowImage.DecompressionBombError):
        logger.warning("No card from image %s", card.photo.pk, exc_info=True)
        return drawn(*card.lines, kind="JPEG"), False
    name = default_storage.save(card.name, ContentFile(made))
    if name != card.name:  # made at the same moment for another reader: one copy is enough
        default_storage.delete(name)
    return made, True


def photo(image):
    """The feature image cropped to the card, as a JPEG, its colours as its renditions have
    them; transparency shows the page's background."""
    with image.file.open("rb"), PillowImage.open(image.file) as original:
        original.draft(None, (WIDTH, HEIGHT))  # a JPEG decoded at a fraction of its size
        shown = in_srgb(eight_bit(original))
    flat = PillowImage.alpha_composite(PillowImage.new("RGBA", shown.size, BACKGROUND), shown)
    cropped = ImageOps.fit(flat.convert("RGB"), SIZE, PillowImage.Resampling.LANCZOS)
    buffer = io.BytesIO()
    cropped.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def font(size, bold=False):
    return ImageFont.truetype(str(FONTS / f"DejaVuSerif{'-Bold' if bold else ''}.ttf"), size)


def wrapped(text, typeface, width):
    """The text in lines no wider than `width`; a word too long for a line is cut."""
    lines = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and typeface.getlength(candidate) <= width:
            lines[-1] = candidate
        else:
            while typeface.getlength(word) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and typeface.getlength(word[:cut] + "-") > width:
                    cut -= 1
                lines.append(word[:cut] + "-")
                word = word[cut:]
            lines.append(word)
    return lines


def drawn(title, site_title, series_title, kind="PNG"):
    """An image of the title, largest where it fits in four lines, between the site's name
    and the series: a PNG unless told."""
    card = PillowImage.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, HEIGHT - 14, WIDTH, HEIGHT), fill=ACCENT)
    draw.text((MARGIN, 64), site_title, font=font(34, bold=True), fill=ACCENT)
    room = WIDTH - 2 * MARGIN
    for size in (76, 68, 60, 54, 48, 42):
        typeface = font(size, bold=True)
        lines = wrapped(title, typeface, room)
        if len(lines) <= 4:
            break
    lines = lines[:4] if len(lines) <= 4 else [*lines[:3], lines[3].rstrip(".,;:") + "…"]
    leading = round(size * 1.22)
    top = 150 + (4 - len(lines)) * leading // 2
    for number, line in enumerate(lines):
        draw.text((MARGIN, top + number * leading), line, font=typeface, fill=TEXT)
    if series_title:
        footer = font(30)
        line = wrapped(series_title, footer, room - 40)[0]
        draw.text((MARGIN, HEIGHT - 90), line, font=footer, fill=MUTED)
    buffer = io.BytesIO()
    card.save(buffer, kind, optimize=True)
    return buffer.getvalue()
