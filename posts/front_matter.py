"""The fields of the files an import reads, checked before anything is written: each must be
of the type the importer needs, then pass its model field's own validation (lengths, choices,
ranges). A problem is a FileProblem that names the field.
"""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from posts.forms import clean_tag_names
from posts.images import IMAGE_SCHEME, Image
from posts.markdown_files import RESOURCE_KEYS, FileProblem
from posts.models import Post, PreviousSlug, Resource, SeriesPart

_KINDS = {
    type(None): "nothing", bool: "true or false", int: "a number", float: "a number",
    list: "a list", dict: "a mapping", datetime.date: "a date", datetime.datetime: "a date",
}  # fmt: skip


def _kind(value):
    return _KINDS.get(type(value), type(value).__name__)


def check_fields(instance, exclude=(), prefix=""):
    """The model's own validation of the instance's fields; the first problem, named."""
    try:
        instance.clean_fields(exclude=list(exclude))
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise FileProblem(prefix + name, " ".join(messages)) from error


def check_value(model, name, value, field):
    """The value as the model's field `name` cleans it, or a FileProblem named `field`."""
    try:
        return model._meta.get_field(name).clean(value, None)
    except ValidationError as error:
        raise FileProblem(field, " ".join(error.messages)) from error


def text(meta, field):
    """A text field; "" when absent."""
    value = meta.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FileProblem(field, f"must be text, not {_kind(value)}")
    return value


def whole_number(meta, field, required=True):
    value = meta.get(field)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FileProblem(field, f"must be a whole number, not {_kind(value)}")
    return value


def moment(meta, field):
    """An aware datetime from a front matter field, None when absent."""
    value = meta.get(field)
    if value in (None, ""):
        return None
    try:
        result = value if isinstance(value, datetime.datetime) else parse_datetime(value)
    except (TypeError, ValueError):  # not text; or the form of a date but not one: month 13
        result = None
    if result is None:
        raise FileProblem(field, f"{value!r} is not a date and time")
    if result.tzinfo is None:
        raise FileProblem(field, "needs a time zone, such as +00:00")
    return result


def guid(meta):
    value = text(meta, "guid")
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise FileProblem("guid", f"{value!r} is not a UUID") from error


def text_list(meta, field):
    value = meta.get(field) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FileProblem(field, "must be a list of names")
    return value


def mapping_list(meta, field, read):
    """Each mapping of a list field, read by `read`; its problems are named after the field."""
    value = meta.get(field) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise FileProblem(field, "must be a list of fields")
    try:
        return [read(item) for item in value]
    except FileProblem as problem:
        raise FileProblem(field, str(problem)) from problem


def _series_place(entry):
    position = whole_number(entry, "position")
    return text(entry, "slug"), check_value(SeriesPart, "position", position, "position")


def _resource(entry):
    numbers = {
        "number": whole_number(entry, "number"),
        **{name: whole_number(entry, name, required=False) for name in ("year", "month", "day")},
    }
    texts = [name for name in RESOURCE_KEYS if name not in numbers and name != "authors"]
    values = {**numbers, **{name: text(entry, name) for name in texts}}
    values["authors"] = text_list(entry, "authors")
    values["accessed"] = check_value(Resource, "accessed", values["accessed"] or None, "accessed")
    values["kind"] = values["kind"] or "article-journal"
    resource = Resource.from_copy(values)
    check_fields(resource, exclude=["post"])
    return resource.copy()


def _tags(meta):
    try:
        return clean_tag_names(text_list(meta, "tags"))
    except ValidationError as error:
        raise FileProblem("tags", " ".join(error.messages)) from error


# The post's own DOI and its review, as the file gives them; the post's checks apply.
REVIEW_TEXT_FIELDS = ("doi", "reviewer", "reviewer_credentials", "reviewer_url")


def post_fields(meta):
    """What a post file's front matter says, every field checked but those the post's own
    validation checks once the file's values are set on it (title, slug, summary, status)."""
    fields = {
        **{name: text(meta, name) for name in ("title", "slug", "status", "author", "summary")},
        "guid": guid(meta),
        "published_at": moment(meta, "published_at"),
        "updated_at": moment(meta, "updated_at"),
        "tags": _tags(meta),
        "series": mapping_list(meta, "series", _series_place),
        "previous_slugs": [
            check_value(PreviousSlug, "slug", slug, "previous_slugs")
            for slug in text_list(meta, "previous_slugs")
        ],
        "resources": mapping_list(meta, "resources", _resource),
        "feature_image": _image_id(meta, "feature_image"),
        **{name: text(meta, name) for name in REVIEW_TEXT_FIELDS},
        "reviewed_on": check_value(
            Post, "reviewed_on", text(meta, "reviewed_on") or None, "reviewed_on"
        ),
    }
    for name in ("title", "author"):
        if not fields[name]:
            raise FileProblem(name, "missing")
    if bool(fields["reviewer"]) != bool(fields["reviewed_on"]):
        raise FileProblem("reviewer", "a review needs both reviewer and reviewed_on")
    numbers = [resource["number"] for resource in fields["resources"]]
    if len(numbers) != len(set(numbers)):
        raise FileProblem("resources", "two resources share a number")
    return fields


def series_fields(meta):
    return {"title": text(meta, "title"), "slug": text(meta, "slug")}


def _image_id(meta, field):
    number = whole_number(meta, field, required=False)
    return None if number is None else check_value(Image, "id", number, field)


def image_fields(entry):
    """An entry of images.yaml, checked but for its file."""
    if not isinstance(entry, dict):
        raise FileProblem(None, "each image must be a mapping of fields")
    return {
        "id": check_value(Image, "id", whole_number(entry, "id"), "id"),
        "file": text(entry, "file"),
        "description": check_value(Image, "alt_text", text(entry, "description"), "description"),
        "credit": check_value(Image, "credit", text(entry, "credit"), "credit"),
        "credit_url": check_value(Image, "credit_url", text(entry, "credit_url"), "credit_url"),
        "uploaded_at": moment(entry, "uploaded_at"),
    }


def check_image_ids(srcs):
    """For render(): refuse `image:ID` with an ID no image can have, which saving the post would
    look up in the database; resolve no image."""
    for src in srcs:
        value = src.removeprefix(IMAGE_SCHEME)
        if src.startswith(IMAGE_SCHEME) and value.isdigit():
            try:
                Image._meta.pk.clean(value, None)
            except ValidationError as error:
                message = f"no image can have the id in {src}: {' '.join(error.messages)}"
                raise FileProblem("body", message) from error
    return {}
