import re

import django.core.validators
from django.db import migrations, models

import posts.references

INITIALS_ONLY = re.compile(r"(?:[A-Z]\.?\s*)+")


def names_of(authors):
    """Authors as they were typed ("Smith JA, Doe B, et al.", "Smith, J. A.; Doe, B.", "John
    Smith and Jane Doe") as a list of names; kept whole, as one, where the parts are unclear
    ("Smith, John, Doe, Jane")."""
    between = ";" if ";" in authors else r",|\s+(?:and|&)\s+"
    pieces = re.split(between, authors)
    pieces = [piece.strip() for piece in pieces if piece.strip()]
    names = []
    for piece in pieces:
        if names and INITIALS_ONLY.fullmatch(piece) and "," not in names[-1]:
            names[-1] = f"{names[-1]}, {piece}"  # "Smith, J. A.", split at its comma
        else:
            names.append(piece)
    if ";" not in authors and any(" " not in name and "," not in name for name in names):
        return [{"literal": authors.strip()}] if authors.strip() else []
    return [posts.references.parse_name(name) for name in names]


def as_typed(names):
    """Back to one string, as the authors were kept before."""
    return ", ".join(
        name.get("literal") or " ".join(filter(None, (name.get("family"), name.get("given"))))
        for name in names
    )


def to_strings(apps, schema_editor):
    Resource = apps.get_model("posts", "Resource")
    for resource in Resource.objects.all():
        resource.authors = as_typed(resource.author_names)
        resource.save(update_fields=["authors"])
    PostVersion = apps.get_model("posts", "PostVersion")
    for version in PostVersion.objects.exclude(resources=[]):
        for copy in version.resources:
            copy["venue"] = copy.pop("container_title", "") or ""
            names = [posts.references.parse_name(name) for name in copy.get("authors") or []]
            copy["authors"] = as_typed(names)
        version.save(update_fields=["resources"])


def to_references(apps, schema_editor):
    """Every resource's authors as names; saved versions' copies of resources likewise."""
    Resource = apps.get_model("posts", "Resource")
    for resource in Resource.objects.all():
        resource.author_names = names_of(resource.authors)
        resource.save(update_fields=["author_names"])
    PostVersion = apps.get_model("posts", "PostVersion")
    for version in PostVersion.objects.exclude(resources=[]):
        for copy in version.resources:
            copy["container_title"] = copy.pop("venue", "") or ""
            names = names_of(copy.get("authors") or "")
            copy["authors"] = [posts.references.name_text(name) for name in names]
        version.save(update_fields=["resources"])


def formatted(apps, schema_editor):
    Resource = apps.get_model("posts", "Resource")
    resources = list(Resource.objects.all())
    for resource in resources:
        posts.references.format_references([resource])
    Resource.objects.bulk_update(resources, ["formatted"], batch_size=500)


def text_field(**options):
    return models.CharField(blank=True, **options)


def number_field(most):
    return models.PositiveSmallIntegerField(
        blank=True,
        null=True,
        validators=[
            django.core.validators.MinValueValidator(1),
            django.core.validators.MaxValueValidator(most),
        ],
    )


class Migration(migrations.Migration):
    dependencies = [("posts", "0018_author_profiles")]

    operations = [
        migrations.RenameField("resource", "venue", "container_title"),
        migrations.AlterField(
            model_name="resource",
            name="container_title",
            field=text_field(
                help_text="Or the book a chapter is in.",
                max_length=300,
                verbose_name="journal or site",
            ),
        ),
        migrations.AddField(
            model_name="resource",
            name="author_names",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(to_references, to_strings),
        migrations.RemoveField("resource", "authors"),
        migrations.RenameField("resource", "author_names", "authors"),
        migrations.AddField(
            model_name="resource",
            name="kind",
            field=models.CharField(
                choices=posts.references.KINDS, default="article-journal", max_length=20
            ),
        ),
        migrations.AddField(model_name="resource", name="month", field=number_field(12)),
        migrations.AddField(model_name="resource", name="day", field=number_field(31)),
        migrations.AddField(model_name="resource", name="volume", field=text_field(max_length=30)),
        migrations.AddField(model_name="resource", name="issue", field=text_field(max_length=30)),
        migrations.AddField(
            model_name="resource",
            name="pages",
            field=text_field(help_text="For example 1877-2013.", max_length=30),
        ),
        migrations.AddField(
            model_name="resource", name="publisher", field=text_field(max_length=200)
        ),
        migrations.AddField(
            model_name="resource",
            name="accessed",
            field=models.DateField(blank=True, help_text="When you read a web page.", null=True),
        ),
        migrations.AddField(
            model_name="resource",
            name="pmcid",
            field=text_field(
                max_length=16,
                validators=[
                    django.core.validators.RegexValidator(
                        "^PMC\\d{1,10}$", "A PubMed Central id is PMC then digits."
                    )
                ],
                verbose_name="PMCID",
            ),
        ),
        migrations.AddField(
            model_name="resource",
            name="formatted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(formatted, migrations.RunPython.noop),
    ]
