from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format

# Series, tags, images, author profiles and subscribers have admin modules of their own.
import posts.author_admin
import posts.library_admin
import posts.subscriber_admin  # noqa: F401
from posts import autosave, publishing
from posts.admin_access import EditableRowsOnly
from posts.admin_filters import BrokenLinksFilter, ReviewDueFilter, StateFilter
from posts.former_address_admin import broken_link_list, former_address_list, linked_from_list
from posts.forms import ResourceForm, clean_tag_names
from posts.models import (
    EDIT_OTHERS_POSTS,
    Announcement,
    EditConflict,
    Post,
    Resource,
    SeriesPart,
)
from posts.rendering import (
    MAX_SOURCE_CHARACTERS,
    WORDS_PER_MINUTE,
    RenderError,
)
from posts.version_admin import VersionViews
from posts.versions import record_version
from posts.writing_admin import WritingViews


def keep_stored_version(post_id):
    """Make sure the post as stored now is in its history before it changes (posts written
    before versions were kept, or changed outside the admin)."""
    stored = Post.objects.get(pk=post_id)
    if not stored.versions.filter(number=stored.version).exists():
        record_version(stored, stored.updated_by)


class ResourceFormSet(BaseInlineFormSet):
    def clean(self):
        """Every resource the body cites must be in the list."""
        super().clean()
        listed = {
            form.cleaned_data.get("number")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        }
        try:
            self.instance.render_body(keep=True)  # the render validation kept, for the save
        except RenderError:
            return  # the body field reports it
        missing = sorted(set(self.instance.citations) - listed)
        if missing:
            numbers = ", ".join(f"#{number}" for number in missing)
            raise ValidationError(
                f"The text cites resource {numbers}, which is not in this list. "
                "Add it here, or change the citation."
            )


class ResourceInline(admin.StackedInline):
    model = Resource
    form = ResourceForm
    formset = ResourceFormSet
    extra = 0
    fields = [
        ("number", "kind"),
        *("title", "authors", "container_title"),
        *(("year", "month", "day"), ("volume", "issue", "pages"), "publisher"),
        *(("url", "accessed"), ("doi", "pmid", "pmcid")),
    ]


class SeriesPartInline(admin.StackedInline):
    # Stacked: a tabular inline's fields have column headings but no labels of their own.
    model = SeriesPart
    extra = 0
    fields = [("series", "position")]
    autocomplete_fields = ["series"]
    verbose_name = "place in a series"
    verbose_name_plural = "series"


class PostAdminForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = [
            *("title", "slug", "author", "summary", "body", "status", "published_at", "tags"),
            *("feature_image", "reviewer", "reviewer_credentials", "reviewer_url", "reviewed_on"),
            *("doi", "email_subscribers"),
        ]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 30, "class": "markdown-source"}),
            "summary": forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
            # Set by the publishing buttons (posts.publishing), which stand in for them.
            "status": forms.HiddenInput,
            "published_at": forms.SplitHiddenDateTimeWidget,
        }

    # The version the author started from: saving over a newer one is refused.
    based_on_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    schedule_at = publishing.ScheduleField(label="Goes public at", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].widget.attrs["data-autocomplete-url"] = reverse("admin:autocomplete")
        self.fields["body"].widget.attrs["data-preview-url"] = reverse("admin:posts_post_preview")
        self.fields["body"].widget.attrs["data-autosave-url"] = reverse(
            "admin:posts_post_autosave"
        )
        self.fields["body"].widget.attrs["data-words-per-minute"] = WORDS_PER_MINUTE
        self.fields["body"].widget.attrs["data-link-targets-url"] = reverse(
            "admin:posts_post_link_targets"
        )
        self.fields["body"].widget.attrs["data-references-url"] = reverse(
            "admin:posts_post_references"
        )
        self.fields["body"].widget.attrs["data-image-upload-url"] = reverse(
            "admin:posts_image_upload"
        )
        self.fields["body"].widget.attrs["data-image-choices-url"] = reverse(
            "admin:posts_image_choices"
        )
        self.fields["body"].label = "Text"
        self.fields["body"].help_text = render_to_string("admin/posts/post/markdown_help.html")
        self.fields["title"].widget.attrs["class"] = "post-title-input"
        # No maxlength on the field itself: a browser would cut a longer paste short, silently.
        self.fields["body"].validators.append(MaxLengthValidator(MAX_SOURCE_CHARACTERS))
        if self.instance.pk:
            self.fields["body"].widget.attrs["data-post"] = self.instance.pk
        if self.instance.pk:
            self.fields["based_on_version"].initial = self.instance.version

    def clean_tags(self):
        return clean_tag_names(self.cleaned_data["tags"])

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            saved = Post.objects.select_related("updated_by").get(pk=self.instance.pk)
            if cleaned_data.get("based_on_version") != saved.version:
                who = saved.updated_by
                name = (who.get_full_name() or who.get_username()) if who else "Someone"
                when = date_format(timezone.localtime(saved.updated_at), "DATETIME_FORMAT")
                raise ValidationError(
                    f"{name} saved this post at {when}, after you opened it. Nothing of yours "
                    "was saved, and your text is still below: copy what you need, then reload "
                    "the page to see their version and add your changes to it."
                )
        return publishing.apply_button(self, cleaned_data)


admin.site.site_header = "gutbrain"
admin.site.site_title = "gutbrain admin"
admin.site.index_title = "Writing"


@admin.register(Post)
class PostAdmin(EditableRowsOnly, WritingViews, VersionViews, admin.ModelAdmin):
    form = PostAdminForm
    list_display = ["title", "state", "is_live", "published_at", "series_titles", "tag_names"]
    list_filter = [StateFilter, ReviewDueFilter, BrokenLinksFilter, "tags", "series"]
    actions = ["publish_now", "unpublish"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SeriesPartInline, ResourceInline]
    readonly_fields = [linked_from_list, broken_link_list, "history", former_address_list]
    # The title and the text first; what describes the post below, the rest folded away.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    *("title", "body", "based_on_version", "status", "published_at"),
                    "email_subscribers",
                ]
            },
        ),
        (
            "Summary, feature image, tags and address",
            {"fields": ["summary", "feature_image", "tags", "slug", "author"]},
        ),
        (
            "Review and citation",
            {
                "fields": [
                    ("reviewer", "reviewer_credentials"),
                    *("reviewer_url", "reviewed_on", "doi"),
                ],
                "description": "Who checked the science, shown under the title; and the "
                "post's own DOI, if it has one.",
            },
        ),
        (
            "Links",
            {
                "fields": [linked_from_list, broken_link_list, former_address_list],
                "classes": ["collapse"],
            },
        ),
        # "Saved versions": the admin's own History button lists who changed what.
        ("Saved versions", {"fields": ["history"], "classes": ["collapse"]}),
    ]

    class Media:
        css = {"all": ["posts/admin/post-form.css"]}
        js = [
            "posts/admin/tag-autocomplete.js",
            "posts/admin/preview.js",
            "posts/admin/picker.js",
            "posts/admin/images.js",
            "posts/admin/editor.js",
            "posts/admin/autosave.js",
            "posts/admin/publishing.js",
            "posts/admin/references.js",
        ]

    def get_deleted_objects(self, objs, request):
        # The record that a post was e-mailed goes with it: no permission of its own needed.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed - {Announcement._meta.verbose_name}, protected

    def get_queryset(self, request):
        posts = super().get_queryset(request).prefetch_related("tags", "series")
        return posts.editable_by(request.user)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.has_perm(EDIT_OTHERS_POSTS):
            return fieldsets
        # An author's byline is always their own: no field to forge, no list of staff names.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "author"]})
            for name, options in fieldsets
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "author":
            # Editors (only they see the field) choose among staff and earlier authors: they
            # may not look users up.
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(Q(is_staff=True) | Q(posts__isnull=False))
                .distinct()
                .order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EditConflict:
            # Another save landed after this one was validated, and this one was rolled back
            # whole: validated again, the form tells the author so, their text kept.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, post, form, change):
        if change:
            keep_stored_version(post.pk)
        elif not request.user.has_perm(EDIT_OTHERS_POSTS):
            post.author = request.user
        post.updated_by = request.user
        # Publishing is refused by validation; a draft may be saved, with a warning. (Before
        # the save, which uses the same render.)
        if post.status == Post.Status.DRAFT:
            for problem in post.link_problems():
                messages.warning(request, f"Before publishing: {problem}")
        super().save_model(request, post, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        post = form.instance
        record_version(post, request.user)
        autosave.forget_saved(request.user, post)

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="posts_post_preview",
            ),
            path(
                "link-targets/",
                self.admin_site.admin_view(self.link_targets_view),
                name="posts_post_link_targets",
            ),
            path(
                "references/",
                self.admin_site.admin_view(self.references_view),
                name="posts_post_references",
            ),
            path(
                "autosave/",
                self.admin_site.admin_view(self.autosave_view),
                name="posts_post_autosave",
            ),
            path(
                "<int:post_id>/versions/<int:number>/",
                self.admin_site.admin_view(self.version_view),
                name="posts_post_version",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["autosaves"] = autosave.offers(request.user, obj)
        context["publishing_state"] = publishing.state(obj)
        context["site_time_zone"] = timezone.get_current_timezone_name()
        context["site_offset_minutes"] = publishing.offset_minutes()
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.display(description="State", ordering="status")
    def state(self, post):
        if post.is_scheduled:
            moment = date_format(timezone.localtime(post.published_at), "DATETIME_FORMAT")
            return f"Scheduled for {moment}"
        return post.get_status_display()

    @admin.action(description="Publish now", permissions=["change"])
    def publish_now(self, request, queryset):
        published = []
        for post in queryset.exclude(Post.objects.published_condition()):
            post.status = Post.Status.PUBLISHED
            # In whole seconds, as saved: the render checked here is the one the save keeps.
            post.published_at = timezone.now().replace(microsecond=0)
            if problems := post.link_problems():
                self.message_user(
                    request, f"“{post}” was not published: {' '.join(problems)}", messages.ERROR
                )
                continue
            if self.save_as_new_version(request, post, f"“{post}” was not published"):
                published.append(post.title)
        if published:
            self.message_user(request, f"Published now: {', '.join(published)}.")

    @admin.action(description="Unpublish (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        titles = []
        for post in queryset.filter(status=Post.Status.PUBLISHED):
            if post.is_scheduled:
                post.published_at = None  # a draft keeps no date in the future
            post.status = Post.Status.DRAFT
            if self.save_as_new_version(request, post, f"“{post}” was not unpublished"):
                titles.append(post.title)
        if titles:
            self.message_user(request, f"Back to draft: {', '.join(titles)}.")

    def save_as_new_version(self, request, post, failure, save=Post.save):
        """Save the post (with `save`) as a new version by this user; or, if someone else
        saved it since it was read, change nothing and tell the user `failure` and why."""
        keep_stored_version(post.pk)
        post.updated_by = request.user
        try:
            save(post)
        except EditConflict:
            self.message_user(
                request, f"{failure}: someone else saved it a moment ago.", messages.ERROR
            )
            return False
        record_version(post, request.user)
        return True

    @admin.display(boolean=True, description="Public")
    def is_live(self, post):
        return post.is_published

    @admin.display(description="Series")
    def series_titles(self, post):
        return ", ".join(series.title for series in post.series.all())

    @admin.display(description="Tags")
    def tag_names(self, post):
        return ", ".join(sorted(tag.name for tag in post.tags.all()))
