"""Rules for what authors type, shared by the admin's forms and the Markdown import."""

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from taggit.models import Tag

# More than any writer gives one post; each tag costs its save a few queries.
MAX_TAGS_PER_POST = 50


def clean_tag_names(names):
    """The names, each once whatever its case (the first spelling wins), or a ValidationError
    for a name without a letter or digit (it could have no address of its own), a name longer
    than a tag can be, or more tags than MAX_TAGS_PER_POST."""
    empty = [name for name in names if not slugify(name, allow_unicode=True)]
    if empty:
        raise ValidationError(
            "Tags need a letter or digit: %(tags)s", params={"tags": ", ".join(empty)}
        )
    longest = Tag._meta.get_field("name").max_length
    if too_long := [name for name in names if len(name) > longest]:
        raise ValidationError(
            "A tag can be at most %(longest)d characters long: “%(tag)s…”",
            params={"longest": longest, "tag": too_long[0][:40]},
        )
    unique = {}
    for name in names:
        unique.setdefault(name.casefold(), name)
    if len(unique) > MAX_TAGS_PER_POST:
        raise ValidationError(
            "A post can have at most %(most)d tags; this one has %(count)s.",
            params={"most": MAX_TAGS_PER_POST, "count": f"{len(unique):,}"},
        )
    return list(unique.values())
