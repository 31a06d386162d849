"""Series: posts read in order, each post's place in them given by a SeriesPart."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.text import Truncator, slugify

from posts.rendering import RenderError, as_file_text, plain_text, render_markdown


class Series(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True, help_text="Markdown, shown on the series page.")
    description_html = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "series"

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.title)
        self.description = as_file_text(self.description) if self.description.strip() else ""
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("posts:series", args=[self.slug])

    def clean(self):
        try:
            render_markdown(self.description)
        except RenderError as error:
            raise ValidationError({"description": str(error)}) from error

    @property
    def summary(self):
        """The opening words of the description, as plain text for link previews."""
        return Truncator(plain_text(self.description_html)).words(40)


class SeriesPart(models.Model):
    """A post's place in a series; a post may be part of several."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="parts")
    post = models.ForeignKey("Post", on_delete=models.CASCADE, related_name="series_parts")
    position = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(9999)]
    )

    class Meta:
        ordering = ["series", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "position"], name="unique_position_in_series"
            ),
            models.UniqueConstraint(fields=["series", "post"], name="post_once_per_series"),
        ]

    def __str__(self):
        return f"{self.series} #{self.position}: {self.post}"
