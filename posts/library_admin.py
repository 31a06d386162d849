"""The admin of what posts draw on: series (with their parts in order), tags and images."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.forms.models import BaseInlineFormSet
from django.http import JsonResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from taggit import admin as taggit_admin
from taggit.models import Tag

from posts.images import Image
from posts.models import Series, SeriesPart, TaggedPost


class SeriesPartForm(forms.ModelForm):
    def validate_constraints(self):
        # Positions may be swapped in one save: the formset compares them across the series.
        try:
            self.instance.validate_constraints(exclude={"position"})
        except ValidationError as error:
            self.add_error(None, error)


class SeriesPartsFormSet(BaseInlineFormSet):
    # Moved parts park out of the way first, so a swap never meets itself halfway.
    PARKING_OFFSET = 10000

    def save(self, commit=True):
        if commit:
            moving = [
                form.instance.pk
                for form in self.initial_forms
                if "position" in form.changed_data or form in self.deleted_forms
            ]
            SeriesPart.objects.filter(pk__in=moving).update(
                position=F("position") + self.PARKING_OFFSET
            )
        return super().save(commit)


class SeriesPartOfSeriesInline(admin.TabularInline):
    model = SeriesPart
    form = SeriesPartForm
    formset = SeriesPartsFormSet
    extra = 0
    autocomplete_fields = ["post"]
    ordering = ["position"]
    verbose_name = "part"
    verbose_name_plural = "parts, in order"


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "part_count"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SeriesPartOfSeriesInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(part_count=Count("parts"))

    @admin.display(description="Parts", ordering="part_count")
    def part_count(self, series):
        return series.part_count


admin.site.unregister(Tag)


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "slug"]

    def clean_name(self):
        name = self.cleaned_data["name"]
        other = Tag.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if other is not None:
            raise ValidationError(
                f"There is a tag “{other.name}” already: tags that differ only in case are "
                "one tag. Merge into it instead."
            )
        return name


@admin.register(Tag)
class TagAdmin(taggit_admin.TagAdmin):
    form = TagForm
    list_display = ["name", "slug", "post_count"]
    actions = ["merge_into_most_used"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts_taggedpost_items"))

    def get_urls(self):
        # Without taggit's merge page, which asks for no permission and moves none of the posts'
        # tags: the action below merges.
        return admin.ModelAdmin.get_urls(self)

    @admin.display(description="Posts", ordering="post_count")
    def post_count(self, tag):
        return tag.post_count

    @admin.action(
        description="Merge the selected tags into the most used of them",
        permissions=["change", "delete"],
    )
    def merge_into_most_used(self, request, queryset):
        tags = list(queryset.order_by("-post_count", "name"))
        if len(tags) < 2:
            self.message_user(request, "Select two or more tags to merge.", messages.WARNING)
            return
        keep, merged = tags[0], tags[1:]
        with transaction.atomic():
            for tag in merged:
                for item in TaggedPost.objects.filter(tag=tag):
                    already = TaggedPost.objects.filter(
                        tag=keep, content_object_id=item.content_object_id
                    )
                    if already.exists():
                        item.delete()
                    else:
                        item.tag = keep
                        item.save(update_fields=["tag"])
                tag.delete()
        names = ", ".join(f"“{tag.name}”" for tag in merged)
        self.message_user(request, f"Merged {names} into “{keep.name}”.")


class ImageUploadForm(forms.ModelForm):
    """An image uploaded from the post editor: the same checks as the Images page."""

    class Meta:
        model = Image
        fields = ["file", "alt_text"]


def image_choice(image):
    """What the post editor needs of an image to offer and insert it."""
    return {
        "id": image.pk,
        "description": image.alt_text,
        "markdown": image.markdown,
        "url": image.file.url,
        "width": image.width,
        "height": image.height,
    }


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = [
        *("thumbnail", "alt_text", "dimensions", "renditions", "markdown_snippet", "uploaded_at")
    ]
    list_display_links = ["thumbnail", "alt_text"]
    search_fields = ["alt_text", "credit"]
    fields = [
        *("file", "alt_text", "credit", "credit_url", "thumbnail", "dimensions", "renditions"),
        "markdown_snippet",
    ]
    readonly_fields = ["thumbnail", "dimensions", "renditions", "markdown_snippet"]

    class Media:
        css = {"all": ["posts/admin/post-form.css"]}

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="posts_image_upload"),
            path("choices/", view(self.choices_view), name="posts_image_choices"),
            *super().get_urls(),
        ]

    @method_decorator(require_POST)
    def upload_view(self, request):
        """An image pasted, dropped or chosen in the post editor; the form's errors if not."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImageUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            errors = [error for field in form.errors.values() for error in field]
            return JsonResponse({"errors": errors}, status=400)
        image = form.save(commit=False)
        image.uploaded_by = request.user
        image.save()
        return JsonResponse(image_choice(image), status=201)

    def choices_view(self, request):
        """Uploaded images by description, newest first, for the post editor's gallery."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        images = Image.objects.all()
        if query := request.GET.get("q", "").strip()[:200]:
            images = images.filter(alt_text__icontains=query)
        return JsonResponse({"images": [image_choice(image) for image in images[:30]]})

    def get_readonly_fields(self, request, image=None):
        # An uploaded file stays as it is (posts show it at its size): upload a new image.
        return [*self.readonly_fields, "file"] if image else self.readonly_fields

    def save_model(self, request, image, form, change):
        if not change:
            image.uploaded_by = request.user
        super().save_model(request, image, form, change)

    @admin.display(description="Image")
    def thumbnail(self, image):
        if not image.pk:
            return "Shown here once uploaded."
        return format_html(
            '<img class="image-thumbnail" src="{}" alt="" width="{}" height="{}">',
            image.file.url,
            image.width,
            image.height,
        )

    @admin.display(description="Size")
    def dimensions(self, image):
        return f"{image.width} × {image.height} px" if image.pk else ""  # noqa: RUF001

    @admin.display(description="Paste into a post")
    def markdown_snippet(self, image):
        if not image.pk:
            return "Shown here once uploaded."
        return format_html(
            '<code class="image-snippet">{}</code><br>'
            'As a figure with a caption: <code class="image-snippet">{}</code>',
            image.markdown,
            image.markdown[:-1] + ' "Caption"' + ")",
        )
