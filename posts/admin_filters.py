"""The post list's filters: by state, by broken links, and posts whose review is due."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.utils import timezone

from posts.models import Post


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("scheduled", "Scheduled"), ("published", "Published")]

    def queryset(self, request, queryset):
        public = Post.objects.published_condition()
        if self.value() == "draft":
            return queryset.filter(status=Post.Status.DRAFT)
        if self.value() == "scheduled":
            return queryset.filter(status=Post.Status.PUBLISHED).exclude(public)
        if self.value() == "published":
            return queryset.filter(public)
        return queryset


class BrokenLinksFilter(admin.SimpleListFilter):
    title = "links to other posts"
    parameter_name = "links"

    def lookups(self, request, model_admin):
        return [("broken", "Has broken links"), ("working", "All links work")]

    def queryset(self, request, queryset):
        if self.value() == "broken":
            return queryset.exclude(broken_links=[])
        if self.value() == "working":
            return queryset.filter(broken_links=[])
        return queryset


class ReviewDueFilter(admin.SimpleListFilter):
    """Reviewed posts whose review is older than GUTBRAIN_REVIEW_DUE_DAYS (two years)."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("due", "Review due"), ("current", "Reviewed recently"), ("none", "Not reviewed")]

    def queryset(self, request, queryset):
        due = timezone.localdate() - timedelta(days=settings.GUTBRAIN_REVIEW_DUE_DAYS)
        if self.value() == "due":
            return queryset.filter(reviewed_on__lt=due)
        if self.value() == "current":
            return queryset.filter(reviewed_on__gte=due)
        if self.value() == "none":
            return queryset.filter(reviewed_on=None)
        return queryset
