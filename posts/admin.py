from django import forms
from django.contrib import admin
from django.db.models import Count
from django.urls import reverse

from posts.models import Post, Resource, Series, SeriesPart, validate_tag_names


class ResourceInline(admin.StackedInline):
    model = Resource
    extra = 0
    fields = [("number", "year"), "title", "authors", "venue", "url", ("doi", "pmid")]


class SeriesPartInline(admin.TabularInline):
    model = SeriesPart
    extra = 0
    autocomplete_fields = ["series"]
    verbose_name = "place in a series"
    verbose_name_plural = "series"


class PostAdminForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = ["title", "slug", "author", "summary", "body", "status", "published_at", "tags"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 30, "class": "markdown-source"}),
            "summary": forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].widget.attrs["data-autocomplete-url"] = reverse("admin:autocomplete")

    def clean_tags(self):
        tags = self.cleaned_data["tags"]
        validate_tag_names(tags)
        return tags


admin.site.site_header = "gutbrain"
admin.site.site_title = "gutbrain admin"
admin.site.index_title = "Writing"


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    form = PostAdminForm
    list_display = ["title", "status", "is_live", "published_at", "series_titles", "tag_names"]
    list_filter = ["status", "tags", "series"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["author"]
    inlines = [SeriesPartInline, ResourceInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "author", "summary", "body"]}),
        ("Publishing", {"fields": ["status", "published_at", "tags"]}),
    ]

    class Media:
        css = {"all": ["posts/admin/post-form.css"]}
        js = ["posts/admin/tag-autocomplete.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags", "series")

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.display(boolean=True, description="Public")
    def is_live(self, post):
        return post.is_published

    @admin.display(description="Series")
    def series_titles(self, post):
        return ", ".join(series.title for series in post.series.all())

    @admin.display(description="Tags")
    def tag_names(self, post):
        return ", ".join(sorted(tag.name for tag in post.tags.all()))


class SeriesPartOfSeriesInline(admin.TabularInline):
    model = SeriesPart
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
