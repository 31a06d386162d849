"""The numbered sources a post cites, listed under it as "Resources"."""

import re

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


class Resource(models.Model):
    """A numbered source a post cites, listed under it as "Resources"."""

    # What a copy of a resource (in a version, or a file) carries.
    COPIED_FIELDS = ("number", "title", "authors", "venue", "year", "url", "doi", "pmid")

    post = models.ForeignKey("Post", on_delete=models.CASCADE, related_name="resources")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    title = models.CharField(max_length=500)
    authors = models.CharField(max_length=500, blank=True)
    venue = models.CharField(max_length=300, blank=True, help_text="Journal, book or site.")
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1500), MaxValueValidator(2200)]
    )
    url = models.URLField("URL", max_length=500, blank=True)
    doi = models.CharField(
        "DOI",
        max_length=200,
        blank=True,
        validators=[
            RegexValidator(r"^10\.\d{4,9}/\S+$", "Enter a DOI such as 10.1038/nature123.")
        ],
        help_text="For example 10.1152/physrev.00018.2018; a doi.org link is shortened to this.",
    )
    pmid = models.CharField(
        "PMID",
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{1,10}$", "A PubMed id is digits only.")],
    )

    class Meta:
        # The column, not the relation: ordering by "post" would join posts for their order.
        ordering = ["post_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="unique_resource_number")
        ]

    def __str__(self):
        return f"[{self.number}] {self.title}"

    def clean_fields(self, exclude=None):
        # Authors paste identifiers as links or with spaces; store the bare form.
        self.doi = DOI_PREFIX.sub("", self.doi.strip())
        self.pmid = self.pmid.strip()
        super().clean_fields(exclude=exclude)

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

        if field("DELETE") or not field("title") or not field("number").isdigit():
            continue
        text = {name: field(name) for name in ("title", "authors", "venue", "url", "doi", "pmid")}
        year = int(field("year")) if field("year").isdigit() else None
        resources.append(Resource(number=int(field("number")), year=year, **text))
    return sorted(resources, key=lambda resource: resource.number)
