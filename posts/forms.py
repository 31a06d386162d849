"""Rules for what authors type, shared by the admin's forms and the Markdown import."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from taggit.models import Tag

from posts.references import names_text, parse_names
from posts.resources import Resource

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


class ResourceForm(forms.ModelForm):
    """A resource in the post form: its authors one to a line, as people write names."""

    authors = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One to a line: “Cryan, John F.”, “Cryan JF” or “John F. Cryan”; a body "
        "in braces: “{World Health Organization}”.",
    )

    class Meta:
        model = Resource
        fields = Resource.COPIED_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["authors"] = names_text(self.instance.authors)
        self.fields["kind"].required = False  # a form that leaves it out means an article

    def clean_kind(self):
        return self.cleaned_data["kind"] or Resource._meta.get_field("kind").default

    def clean_authors(self):
        return parse_names(self.cleaned_data["authors"])
