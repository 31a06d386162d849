"""Posts and series as Markdown files with YAML front matter, for import and export.

A post file holds every field an author can set, its tags, places in series, resources and
former addresses, and its GUID, so that export → import into an empty database → export gives
the same bytes.
"""

import datetime
import uuid
from pathlib import Path

import yaml
from django.utils.dateparse import parse_datetime

from posts.models import Resource

POST_KEYS = [
    "title", "slug", "guid", "status", "published_at", "updated_at", "author", "summary",
    "tags", "series", "previous_slugs", "resources",
]  # fmt: skip
RESOURCE_KEYS = Resource.COPIED_FIELDS


class FileProblem(ValueError):
    """What is wrong with one file: the field (if any) and why."""

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


def read(path):
    """The front matter (a dict) and the body of a Markdown file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise FileProblem(None, "not UTF-8 text") from error
    if not text.startswith("---\n"):
        raise FileProblem(None, "no front matter (the file must start with a '---' line)")
    front, separator, body = text[4:].partition("\n---\n")
    if not separator:
        raise FileProblem(None, "the front matter has no closing '---' line")
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as error:
        raise FileProblem(None, f"front matter is not valid YAML: {error}") from error
    if not isinstance(meta, dict):
        raise FileProblem(None, "front matter must be a mapping of fields")
    return meta, body.strip("\n") + "\n"


def write(path, meta, body):
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=float("inf"))
    path.write_text(f"---\n{front}---\n\n{body.strip(chr(10))}\n", encoding="utf-8")


def moment(meta, field):
    """An aware datetime from a front matter field, None when absent."""
    value = meta.get(field)
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        result = value
    elif isinstance(value, str) and (parsed := parse_datetime(value)):
        result = parsed
    else:
        raise FileProblem(field, f"{value!r} is not a date and time")
    if result.tzinfo is None:
        raise FileProblem(field, "needs a time zone, such as +00:00")
    return result


def guid(meta):
    value = meta.get("guid")
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise FileProblem("guid", f"{value!r} is not a UUID") from error


def text_list(meta, field):
    value = meta.get(field) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FileProblem(field, "must be a list of names")
    return value


def mapping_list(meta, field):
    value = meta.get(field) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise FileProblem(field, "must be a list of fields")
    return value


def _utc(value):
    return value.astimezone(datetime.UTC) if value else None


def post_meta(post):
    """The front matter of a post, in a fixed order, for export."""
    return {
        "title": post.title,
        "slug": post.slug,
        "guid": str(post.guid),
        "status": post.status,
        "published_at": _utc(post.published_at),
        "updated_at": _utc(post.content_changed_at),
        "author": post.author.get_username(),
        "summary": post.summary,
        "tags": sorted((tag.name for tag in post.tags.all()), key=str.casefold),
        "series": [
            {"slug": part.series.slug, "position": part.position}
            for part in sorted(post.series_parts.all(), key=lambda part: part.series.slug)
        ],
        "previous_slugs": sorted(previous.slug for previous in post.previous_slugs.all()),
        "resources": post.resource_copies(),
    }


IMAGES_FILE = "images.yaml"


def image_entry(image):
    """How an image is listed in images.yaml; its file sits beside it, under images/."""
    return {
        "id": image.pk,
        "file": f"images/{image.pk}-{Path(image.file.name).name}",
        "description": image.alt_text,
        "uploaded_at": _utc(image.uploaded_at),
    }


def dump_yaml(path, data):
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=float("inf"))
    path.write_text(text, encoding="utf-8")


def series_meta(series):
    return {"title": series.title, "slug": series.slug}
