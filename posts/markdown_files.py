"""Posts and series as Markdown files with YAML front matter, for import and export.

A post file holds every field an author can set, its tags, places in series, resources and
former addresses, and its GUID, so that export → import into an empty database → export gives
the same bytes.
"""

import datetime
from pathlib import Path

import yaml

from posts.models import Resource
from posts.versions import resource_copies

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


class FileLoader(yaml.SafeLoader):
    """safe_load's loader, refusing anchors and aliases: safe_load follows every alias, so a few
    hundred bytes of nested ones ("billion laughs") hold billions of items for whatever reads
    them. Exports never write them."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise FileProblem(
                None,
                "YAML anchors and aliases (& and *) are refused "
                f"(line {event.start_mark.line + 1})",
            )
        return super().compose_node(parent, index)

    def construct_yaml_timestamp(self, node):
        # In the form of a date but no date (month 13): kept as text, for its field's check
        # to name.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


FileLoader.add_constructor("tag:yaml.org,2002:timestamp", FileLoader.construct_yaml_timestamp)


class FileDumper(yaml.SafeDumper):
    """safe_dump writing a value met twice in full, never as an alias FileLoader would refuse."""

    def ignore_aliases(self, data):
        return True


def inside(folder, path, field=None):
    """The path, links followed, if it leads into the folder being imported: nothing else is
    read, whatever a file lists or a link points to."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError) as error:  # a loop of links, a NUL in the name
        raise FileProblem(field, f"cannot be followed: {error}") from error
    if not resolved.is_relative_to(folder.resolve()):
        raise FileProblem(field, f"refused: it leads outside {folder}, to {resolved}")
    return resolved


def read_text(path):
    """The text of a UTF-8 file, without the byte order mark some editors start it with."""
    if not path.is_file():  # a folder, or a pipe that would never end
        raise FileProblem(None, "not a file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileProblem(None, "not UTF-8 text") from error
    except OSError as error:
        raise FileProblem(None, f"cannot be read: {error.strerror}") from error


def load_yaml(text, what):
    """The data in YAML text, as safe_load reads it but without anchors and aliases."""
    try:
        return yaml.load(text, Loader=FileLoader)
    except FileProblem:
        raise
    # ValueError: an integer of over 4,300 digits; RecursionError: lists nested too deeply.
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        raise FileProblem(None, f"{what} is not valid YAML: {error}") from error


def read(path, folder):
    """The front matter (a dict) and the body of a Markdown file in the folder being imported."""
    text = read_text(inside(folder, path))
    if not text.startswith("---\n"):
        raise FileProblem(None, "no front matter (the file must start with a '---' line)")
    front, separator, body = text[4:].partition("\n---\n")
    if not separator:
        raise FileProblem(None, "the front matter has no closing '---' line")
    # With its opening line, so that YAML's line numbers are the file's.
    meta = load_yaml(text[: 4 + len(front)], "front matter") or {}
    if not isinstance(meta, dict):
        raise FileProblem(None, "front matter must be a mapping of fields")
    return meta, body.strip("\n") + "\n"


def _dump(data):
    return yaml.dump(
        data, Dumper=FileDumper, sort_keys=False, allow_unicode=True, width=float("inf")
    )


def write(path, meta, body):
    path.write_text(f"---\n{_dump(meta)}---\n\n{body.strip(chr(10))}\n", encoding="utf-8")


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
        "resources": resource_copies(post),
        **({"feature_image": post.feature_image_id} if post.feature_image_id else {}),
        **({"doi": post.doi} if post.doi else {}),
        **(
            {
                "reviewer": post.reviewer,
                "reviewer_credentials": post.reviewer_credentials,
                "reviewer_url": post.reviewer_url,
                "reviewed_on": post.reviewed_on.isoformat(),
            }
            if post.reviewer and post.reviewed_on
            else {}
        ),
    }


IMAGES_FILE = "images.yaml"


def image_entry(image):
    """How an image is listed in images.yaml; its file sits beside it, under images/."""
    return {
        "id": image.pk,
        "file": f"images/{image.pk}-{Path(image.file.name).name}",
        "description": image.alt_text,
        **{
            name: getattr(image, name) for name in ("credit", "credit_url") if getattr(image, name)
        },
        "uploaded_at": _utc(image.uploaded_at),
    }


def dump_yaml(path, data):
    path.write_text(_dump(data), encoding="utf-8")


def series_meta(series):
    return {"title": series.title, "slug": series.slug}
