"""Authors as readers meet them: a public profile, with its own page, that bylines link to.

A profile names its author under an address chosen for them, never their login name: a login
name is half of what opens the admin, and no public page shows it. Without a profile, a byline
names the user as it always has.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import models
from django.urls import reverse
from django.utils.text import Truncator, slugify

from posts.images import WEB_SCHEMES, Image
from posts.rendering import RenderError, as_file_text, plain_text, render_markdown

# Others' profiles are the editors': an author edits their own.
EDIT_OTHERS_PROFILES = "posts.edit_others_profiles"
BIO_MAX_CHARACTERS = 1000
web_address = URLValidator(schemes=["http", "https"])


class AuthorProfileQuerySet(models.QuerySet):
    def editable_by(self, user):
        """The profiles this user may open and change: everyone's for editors, else their
        own. AuthorProfile.is_editable_by() says the same of one profile."""
        if user.has_perm(EDIT_OTHERS_PROFILES):
            return self
        return self.filter(user=user)


class AuthorProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_profile"
    )
    slug = models.SlugField(
        "address",
        max_length=100,
        unique=True,
        help_text="The last part of the author page's address, e.g. “ana-silva”. Choose one "
        "other than the login name: public pages never show it.",
    )
    display_name = models.CharField(
        max_length=100, help_text="How bylines, feeds and the author page name the author."
    )
    bio = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(BIO_MAX_CHARACTERS)],
        help_text="A few sentences in Markdown, shown on the author page. Unsafe HTML is "
        "removed when it is saved.",
    )
    bio_html = models.TextField(blank=True, editable=False)
    photo = models.ForeignKey(
        Image,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A portrait from Images, shown on the author page with its description.",
    )
    website = models.URLField(blank=True, validators=[web_address])
    orcid = models.URLField(
        "ORCID iD",
        blank=True,
        validators=[web_address],
        help_text="The full address, e.g. https://orcid.org/0000-0002-1825-0097.",
    )
    mastodon = models.URLField(
        blank=True,
        validators=[web_address],
        help_text="The profile's address, e.g. https://mastodon.social/@ana. The author page "
        'links to it with rel="me", so Mastodon can show the link as verified.',
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuthorProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        permissions = [("edit_others_profiles", "Can edit others' author profiles")]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        self.bio = as_file_text(self.bio) if self.bio.strip() else ""
        self.bio_html = render_markdown(self.bio)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("posts:author", args=[self.slug])

    def is_editable_by(self, user):
        return self.user_id == user.pk or user.has_perm(EDIT_OTHERS_PROFILES)

    def clean(self):
        errors = {}
        login = self.user.get_username().casefold() if self.user_id else None
        if login and self.slug.casefold() in (login, slugify(login)):
            errors["slug"] = "This is the login name: choose another, as pages never show it."
        if login and self.display_name.strip().casefold() == login:
            errors["display_name"] = (
                "This is the login name: choose another, as pages never show it."
            )
        if self.orcid and not self.orcid.startswith(("https://orcid.org/", "http://orcid.org/")):
            errors["orcid"] = "An ORCID iD's address starts with https://orcid.org/."
        try:
            render_markdown(self.bio)
        except RenderError as error:
            errors["bio"] = str(error)
        if errors:
            raise ValidationError(errors)

    @property
    def links(self):
        """(label, address) of the author's own pages elsewhere, web addresses only."""
        named = [("Website", self.website), ("ORCID", self.orcid), ("Mastodon", self.mastodon)]
        # Checked by the form; kept off pages if set some other way, unchecked.
        return [(label, url) for label, url in named if url.startswith(WEB_SCHEMES)]

    @property
    def description(self):
        """For search engines and link previews: the bio's opening words, or a plain line."""
        return Truncator(plain_text(self.bio_html)).words(30) or f"Posts by {self.display_name}."


def profile_of(user):
    """The user's author profile, or None."""
    try:
        return user.author_profile
    except AuthorProfile.DoesNotExist:
        return None
