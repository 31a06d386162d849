"""The admin of e-mail subscribers, for editors and administrators: who follows what, in
which state, exported as CSV; and for each e-mailed post, how its deliveries went. Authors
have no permission on these models, so they never see a reader's address."""

import csv

from django.contrib import admin
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.utils import timezone

from posts.subscribers import Announcement, Delivery, Subscriber, Subscription

CSV_FIELDS = ["email", "state", "subscriptions", "created_at", "confirmed_at", "unsubscribed_at"]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    fields = ["topic", "created_at", "confirmed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False  # a reader subscribes, and confirms, themselves

    @admin.display(description="follows")
    def topic(self, subscription):
        return str(subscription)


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "state", "following", "created_at", "confirmed_at"]
    list_filter = ["state", "subscriptions__tag", "subscriptions__series"]
    search_fields = ["email"]
    # Only the reader's own links subscribe or unsubscribe them; staff can delete them.
    readonly_fields = ["email", "state", "created_at", "confirmed_at", "unsubscribed_at"]
    fields = ["email", "state", "created_at", "confirmed_at", "unsubscribed_at"]
    inlines = [SubscriptionInline]
    actions = ["export_csv"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        following = Subscription.objects.select_related("tag", "series")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("subscriptions", queryset=following))
        )

    def has_add_permission(self, request):
        return False  # only a reader's own confirmation makes a subscriber

    @admin.display(description="follows")
    def following(self, subscriber):
        return ", ".join(str(each) for each in subscriber.subscriptions.all()) or "—"

    @admin.action(description="Export the selected subscribers as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y-%m-%d")
        response["Content-Disposition"] = f'attachment; filename="subscribers-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_FIELDS)
        for subscriber in queryset.order_by("email"):
            writer.writerow(
                [
                    # A spreadsheet runs a cell that starts like a formula: not this one.
                    "'" + subscriber.email if subscriber.email[:1] in "=+-@" else subscriber.email,
                    subscriber.state,
                    "; ".join(str(each) for each in subscriber.subscriptions.all()),
                    *(
                        value.isoformat() if value else ""
                        for value in (
                            subscriber.created_at,
                            subscriber.confirmed_at,
                            subscriber.unsubscribed_at,
                        )
                    ),
                ]
            )
        return response


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Each post as it was e-mailed: how many deliveries were sent, failed and wait."""

    list_display = ["post", "announced_at", "sent", "failed", "waiting", "cancelled"]
    list_select_related = ["post"]
    search_fields = ["post__title"]
    date_hierarchy = "announced_at"

    def get_queryset(self, request):
        counts = {
            state.lower(): Count("post__deliveries", filter=Q(post__deliveries__state=value))
            for state, value in Delivery.State.__members__.items()
        }
        return super().get_queryset(request).annotate(**counts)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(ordering="sent")
    def sent(self, announcement):
        return announcement.sent

    @admin.display(ordering="failed")
    def failed(self, announcement):
        return announcement.failed

    @admin.display(ordering="waiting")
    def waiting(self, announcement):
        return announcement.waiting

    @admin.display(ordering="cancelled")
    def cancelled(self, announcement):
        return announcement.cancelled
