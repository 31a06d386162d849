"""The numbered sources a post cites, listed under it as "Resources"."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from posts.references import KINDS, format_references, name_text, parse_name, parse_names

DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
DOI_VALIDATOR = RegexValidator(r"^10\.\d{4,9}/\S+$", "Enter a DOI such as 10.1038/nature123.")


class Resource(models.Model):
    """A numbered source a post cites, listed under it as "Resources"."""

    # What a copy of a resource (in a version, or a file) carries.
    COPIED_FIELDS = (
        *("number", "kind", "title", "authors", "container_title", "year", "month", "day"),
        *("volume", "issue", "pages", "publisher", "url", "accessed", "doi", "pmid", "pmcid"),
    )

    post = models.ForeignKey("Post", on_delete=models.CASCADE, related_name="resources")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    kind = models.CharField(max_length=20, choices=KINDS, default="article-journal")
    title = models.CharField(max_length=500)
    # CSL names: {"family": …, "given": …} for a person, {"literal": …} for a body.
    authors = models.JSONField(default=list, blank=True)
    container_title = models.CharField(
        "journal or site", max_length=300, blank=True, help_text="Or the book a chapter is in."
    )
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1500), MaxValueValidator(2200)]
    )
    month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    volume = models.CharField(max_length=30, blank=True)
    issue = models.CharField(max_length=30, blank=True)
    pages = models.CharField(max_length=30, blank=True, help_text="For example 1877-2013.")
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField("URL", max_length=500, blank=True)
    accessed = models.DateField(null=True, blank=True, help_text="When you read a web page.")
    doi = models.CharField(
        "DOI",
        max_length=200,
        blank=True,
        validators=[DOI_VALIDATOR],
        help_text="For example 10.1152/physrev.00018.2018; a doi.org link is shortened to this.",
    )
    pmid = models.CharField(
        "PMID",
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{1,10}$", "A PubMed id is digits only.")],
    )
    pmcid = models.CharField(
        "PMCID",
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^PMC\d{1,10}$", "A PubMed Central id is PMC then digits.")],
    )
    # The reference as readers see it, in the site's citation style: made at save.
    formatted = models.TextField(blank=True, editable=False)

    class Meta:
        # The column, not the relation: ordering by "post" would join posts for their order.
        ordering = ["post_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="unique_resource_number")
        ]

    def __str__(self):
        return f"[{self.number}] {self.title}"

    def save(self, *args, **kwargs):
        format_references([self])
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        # Authors paste identifiers as links or with spaces; store the bare form.
        self.doi = DOI_PREFIX.sub("", self.doi.strip())
        self.pmid = self.pmid.strip()
        self.pmcid = self.pmcid.strip().upper()
        super().clean_fields(exclude=exclude)

    def clean(self):
        """A date as far as it is known: a year, a month of it, a day of that month."""
        if self.day and not self.month:
            raise ValidationError({"day": "Give the month of this day, or clear the day."})
        if self.month and not self.year:
            raise ValidationError({"month": "Give the year of this month, or clear the month."})
        if self.day:
            try:
                datetime.date(self.year, self.month, self.day)
            except ValueError as error:
                raise ValidationError({"day": f"There is no such day: {error}."}) from error

    def copy(self):
        """The resource as plain values: what saved versions and Markdown files keep, names
        as they are typed and the date accessed as YYYY-MM-DD."""
        values = {key: getattr(self, key) for key in self.COPIED_FIELDS}
        values["authors"] = [name_text(name) for name in self.authors]
        values["accessed"] = self.accessed.isoformat() if self.accessed else None
        return values

    @classmethod
    def from_copy(cls, values, **fields):
        """A resource from copy() (an older copy may lack fields added since)."""
        resource = cls(**fields, **{key: values.get(key) for key in cls.COPIED_FIELDS})
        resource.authors = [parse_name(name) for name in values.get("authors") or []]
        for name, field in ((name, cls._meta.get_field(name)) for name in cls.COPIED_FIELDS):
            if getattr(resource, name) is None and not field.null:
                setattr(resource, name, field.get_default())
        if isinstance(resource.accessed, str):
            resource.accessed = cls._meta.get_field("accessed").to_python(resource.accessed)
        return resource

    @property
    def anchor(self):
        return f"resource-{self.number}"

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self):
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""


def resources_in_form(data, prefix="resources"):
    """The resources as the post form's inline holds them, unsaved, in number order: what the
    preview lists before they are saved. Rows the form would refuse are left out."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", "")), 1000)
    except ValueError:
        return None  # not sent: the preview shows what is saved
    resources = []
    for row in range(total):

        def field(name, row=row):
            return data.get(f"{prefix}-{row}-{name}", "").strip()

        if (
            field("DELETE")
            or not field("title")
            or not re.fullmatch(r"[0-9]{1,5}", field("number"))
        ):
            continue
        texts = ("kind", "title", "container_title", "volume", "issue", "pages", "publisher")
        resource = Resource(
            number=int(field("number")),
            authors=parse_names(field("authors")),
            **{name: field(name) for name in (*texts, "url", "doi", "pmid", "pmcid")},
            accessed=None,
            **{
                name: int(field(name)) if re.fullmatch(r"[0-9]{1,4}", field(name)) else None
                for name in ("year", "month", "day")
            },
        )
        resource.kind = resource.kind or "article-journal"
        resources.append(resource)
    resources.sort(key=lambda resource: resource.number)
    format_references(resources)
    return resources
