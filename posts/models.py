import uuid
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator, slugify
from taggit.managers import TaggableManager

from posts import querysets
from posts.authors import AuthorProfile, profile_of  # noqa: F401 (a model of this app)
from posts.autosave import Autosave  # noqa: F401 (a model of this app)
from posts.former_addresses import FormerAddress, ImportedPost  # noqa: F401 (models here)
from posts.images import Image, ImageResolver
from posts.links import LinkResolver, PreviousSlug, address_errors
from posts.querysets import EDIT_OTHERS_POSTS, PostQuerySet
from posts.rendering import (
    CONTROL_CHARACTERS,
    RenderError,
    as_file_text,
    citation_id,
    plain_text,
    reading_minutes,
    render,
)
from posts.resources import DOI_PREFIX, DOI_VALIDATOR, Resource  # noqa: F401 (a model here)
from posts.search_entries import SearchEntry
from posts.series import Series, SeriesPart  # noqa: F401 (models of this app)
from posts.subscribers import Announcement, Delivery, Subscriber, Subscription  # noqa: F401 (models here)
from posts.tagging import TaggedPost  # noqa: F401 (a model of this app)
from posts.versions import EditConflict, PostVersion  # noqa: F401 (models of this app)


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = querysets.PUBLISHED, "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        blank=True,
        help_text="The last part of the post's address. Filled from the title if left empty.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    summary = models.CharField(
        max_length=300,
        blank=True,
        help_text="One or two plain sentences for search engines, link previews and feeds.",
    )
    body = models.TextField(
        help_text=(
            "Markdown: ## headings, **bold**, [links](https://example.org), footnotes[^1], "
            "tables and ``` fenced code. Link to another post with [its title](post:its-slug) "
            "(or paste its address): the link follows the post if it is renamed. Cite "
            "resource 4 below with [#4] (shown as [4]) or [Resource #4]. Unsafe HTML is "
            "removed when the post is saved."
        )
    )
    feature_image = models.ForeignKey(
        Image,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown at the top of the post, in feeds and when the post is shared.",
    )
    body_html = models.TextField(blank=True, editable=False)
    links = models.ManyToManyField(
        "self", symmetrical=False, related_name="linked_from", blank=True, editable=False
    )
    broken_links = models.JSONField(default=list, blank=True, editable=False)
    citations = models.JSONField(default=list, blank=True, editable=False)
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the post goes public. Leave empty to use the moment you publish; "
        "a future time schedules it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    content_changed_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="When the title, summary, text or resources last changed: feeds' updated date.",
    )
    email_subscribers = models.BooleanField(
        "e-mail it to subscribers",
        default=True,
        help_text="When the post first goes public, e-mail it to those who follow it.",
    )
    # Feed readers know a post by this id for good: it never follows the slug or title.
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    doi = models.CharField(
        "DOI",
        max_length=200,
        blank=True,
        validators=[DOI_VALIDATOR],
        help_text="The post's own DOI, if it has one: for its citation.",
    )
    reviewer = models.CharField(
        max_length=200, blank=True, help_text="Who reviewed the post's science, e.g. “Ana Silva”."
    )
    reviewer_credentials = models.CharField(
        "credentials", max_length=200, blank=True, help_text="For example “MD, PhD”."
    )
    reviewer_url = models.URLField("reviewer's page", blank=True)
    reviewed_on = models.DateField(null=True, blank=True, help_text="When the review was done.")
    # Goes up with every save, so that a form opened on an older version cannot overwrite it.
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    tags = TaggableManager(
        through="TaggedPost", blank=True, help_text="Comma-separated; case does not matter."
    )
    series = models.ManyToManyField(Series, through="SeriesPart", related_name="posts", blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        get_latest_by = "published_at"
        indexes = [models.Index(fields=["status", "-published_at"], name="post_public_idx")]
        permissions = [
            ("edit_others_posts", "Can edit, publish and delete others' posts and set bylines")
        ]

    def __str__(self):
        return self.title

    @transaction.atomic
    def save(self, *args, **kwargs):
        for name in self.CONTENT_FIELDS:
            # Pasted from a PDF, say: invisible, invalid in feeds, refused by PostgreSQL.
            setattr(self, name, CONTROL_CHARACTERS.sub("", getattr(self, name)))
        self.body = as_file_text(self.body)
        if not self.slug:
            self.slug = slugify(self.title)
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        if self.published_at is not None:
            # The admin edits whole seconds; keep them so an unchanged form changes nothing.
            self.published_at = self.published_at.replace(microsecond=0)
        before = None
        if not self._state.adding:
            # Only over the version this post was read at (or its form opened at): the update
            # that claims the next version waits for a save under way, then finds none to claim.
            claimed = Post.objects.filter(pk=self.pk, version=self.version).update(
                version=models.F("version") + 1
            )
            if not claimed:
                raise EditConflict(self)
            self.version += 1
            before = (
                Post.objects.filter(pk=self.pk)
                .values(*self.VISIBLE_FIELDS, *self.CONTENT_FIELDS)
                .get()
            )
        if before is not None and any(
            before[name] != getattr(self, name) for name in self.CONTENT_FIELDS
        ):
            self.content_changed_at = timezone.now()
        # Whether feeds listed the post before: they change when it leaves them too.
        self.was_public = before is not None and before["status"] == self.Status.PUBLISHED
        self.was_public = self.was_public and before["published_at"] <= timezone.now()
        # What links to this post depend on: posts.effects renders the linking posts again.
        renamed = before is None or before["slug"] != self.slug
        self.address_changed = renamed or any(
            before[name] != getattr(self, name) for name in self.VISIBLE_FIELDS
        )
        former_address = PreviousSlug.objects.filter(slug=self.slug).exclude(post_id=self.pk)
        self.slug_taken_over = renamed and former_address.exists()
        links = self.render_body()
        self.reading_minutes = reading_minutes(self.body)
        super().save(*args, **kwargs)
        self.links.set(links.targets.values())
        if renamed:
            self.keep_former_address(before and before["slug"])
        if before and self.address_changed and connection.vendor == "postgresql":
            # Search's copy of when the post is public changes with it, in the same transaction.
            SearchEntry.objects.filter(post=self).update(published_at=self.public_since)

    def get_absolute_url(self):
        return reverse("posts:post", args=[self.slug])

    def is_editable_by(self, user):
        """Whether the user may work on this post: see PostQuerySet.editable_by()."""
        return self.author_id == user.pk or user.has_perm(EDIT_OTHERS_POSTS)

    @property
    def author_name(self):
        """How the post names its author: their profile's display name, else full name, else
        the site's name: a login name is shown on no public page."""
        if profile := self.author_profile:
            return profile.display_name
        return self.author.get_full_name() or settings.GUTBRAIN_SITE_TITLE

    @property
    def author_profile(self):
        """The author's public profile, which bylines link to; None without one."""
        return profile_of(self.author)

    @property
    def reviewer_link(self):
        """The reviewer's page: checked by the form, and kept off pages if set unchecked."""
        return self.reviewer_url if self.reviewer_url.startswith(("https://", "http://")) else ""

    @property
    def updated_after_publication(self):
        """Whether the text changed after readers first saw it (a minute's grace for the save
        that published it)."""
        return bool(self.published_at) and (
            self.content_changed_at - self.published_at > timedelta(minutes=1)
        )

    @property
    def last_changed(self):
        """When readers last saw the post change: going public, or an edit after that."""
        return max(self.content_changed_at, self.published_at or self.content_changed_at)

    @property
    def description(self):
        """For search engines and link previews: the summary, or the opening of the text."""
        if self.summary:
            return self.summary
        return Truncator(plain_text(self.body_html)).words(30) or self.title

    # What other posts' links to this one depend on.
    VISIBLE_FIELDS = ("slug", "status", "published_at")
    # What readers of a feed see as the post's content (resources too: see Resource.save).
    CONTENT_FIELDS = ("title", "summary", "body")

    def render_body(self, keep=False):
        """Derive body_html, broken_links and citations from the body; return the resolver.

        With `keep`, the render is kept for the next call, which uses it instead of rendering
        again if the text and address are the same: validation renders the body, and the
        save that follows uses that render. A kept render serves one save, no later one.
        """
        source = (
            as_file_text(CONTROL_CHARACTERS.sub("", self.body)),
            self.slug,
            self.published_at,
            self.feature_image_id,
        )
        kept = self.__dict__.pop("_kept_render", None)
        if kept is None or kept[0] != source:
            links, images = LinkResolver(self, Post.objects.named), ImageResolver()
            rendered = render(
                self.body,
                resolve_links=links,
                resolve_images=images,
                # Without a feature image, the text's first image is what readers see first.
                eager_first_image=self.feature_image_id is None,
            )
            kept = (source, links, images, rendered)
        _, links, images, rendered = kept
        self.body_html = rendered.html
        self.broken_links = links.broken
        self.missing_images = images.missing
        self.images_shown, self.images_waiting = images.shown, images.waiting
        self.citations = list(rendered.citations)
        if keep:
            self._kept_render = kept
        return links

    def rerender(self):
        """Render again because a linked post changed; the post's own content has not."""
        self.__dict__.pop("_kept_render", None)  # rendered before that change
        try:
            links = self.render_body()
        except RenderError:
            return  # saved before today's limits: it keeps the HTML it has until edited
        still_here = Post.objects.filter(pk=self.pk).update(
            body_html=self.body_html,
            broken_links=self.broken_links,
            citations=self.citations,
            updated_at=timezone.now(),
        )
        if still_here:  # it may be going in the same bulk delete as the post it linked to
            self.links.set(links.targets.values())

    def keep_former_address(self, old_slug):
        """Keep the old address answering; the new one is this post's own from now on."""
        if old_slug:
            PreviousSlug.objects.update_or_create(slug=old_slug, defaults={"post": self})
        PreviousSlug.objects.filter(slug=self.slug).delete()

    def mark_content_changed(self):
        """Record an edit of something feeds show that is not a field of the post itself."""
        self.content_changed_at = timezone.now()
        Post.objects.filter(pk=self.pk).update(content_changed_at=self.content_changed_at)

    def link_problems(self, find_posts=None):
        """What is wrong with this post's links to other posts, for readers, if it goes public.
        The render is kept for the save that follows (see render_body)."""
        if find_posts is None:
            return self.render_body(keep=True).problems
        links = LinkResolver(self, find_posts)
        render(self.body, resolve_links=links)
        return links.problems

    def clean_fields(self, exclude=None):
        self.doi = DOI_PREFIX.sub("", self.doi.strip())  # a doi.org link, pasted: the DOI
        super().clean_fields(exclude=exclude)

    def clean(self):
        if not self.slug and self.title:
            self.slug = slugify(self.title)
            if not self.slug:
                raise ValidationError({"slug": "Enter a slug: the title has no letters to use."})
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now().replace(microsecond=0)
        errors = {}
        if (
            self.status == self.Status.DRAFT
            and self.published_at
            and (self.published_at > timezone.now())
        ):
            errors["published_at"] = (
                "A draft is not scheduled. To publish it at this time, set the status to "
                "Published; to keep it a draft, clear the date."
            )
        errors.update(address_errors(self))
        if self.reviewed_on and not self.reviewer:
            errors["reviewer"] = "Name who reviewed the post, or clear the date of review."
        elif self.reviewer and not self.reviewed_on:
            errors["reviewed_on"] = "Give the date of the review: readers see it."
        try:
            problems = self.link_problems()
        except RenderError as error:
            errors["body"] = str(error)
        else:
            body_errors = [
                f"“{src}” names no image: upload it under Images, or correct its number."
                for src in self.missing_images
            ]
            if self.status == self.Status.PUBLISHED:
                body_errors += problems
            if body_errors:
                errors["body"] = body_errors
        if errors:
            raise ValidationError(errors)

    def missing_resources(self):
        """Numbers the body cites that are not among the post's resources."""
        listed = {resource.number for resource in self.resources.all()}
        return sorted(set(self.citations) - listed)

    def cited_resources(self, resources=None):
        """The resources (or those given), each with the ids of the places in the body that
        cite it."""
        counts = Counter(self.citations)
        resources = list(self.resources.all() if resources is None else resources)
        for resource in resources:
            resource.citation_ids = [
                citation_id(resource.number, occurrence)
                for occurrence in range(1, counts[resource.number] + 1)
            ]
        return resources

    @property
    def public_since(self):
        """When the post went or goes public; None for a draft."""
        return self.published_at if self.status == self.Status.PUBLISHED else None

    @property
    def is_published(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )
