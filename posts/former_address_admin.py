"""The post admin page's Links section: the posts linking to it, its broken links, and its
addresses on the platform it was brought in from (the import writes them; each leads to the
post with one redirect); and the list of every old address, of tags and series too."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from posts.former_addresses import FormerAddress


@admin.display(description="Linked from")
def linked_from_list(post):
    if post.pk is None:
        return "No post links here yet."
    linkers = post.linked_from.exclude(pk=post.pk).order_by("-published_at", "-id")
    return (
        format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> ({})',
            (
                (
                    reverse("admin:posts_post_change", args=[p.pk]),
                    p.title,
                    p.get_status_display(),
                )
                for p in linkers
            ),
        )
        or "No post links here yet."
    )


@admin.display(description="Broken links")
def broken_link_list(post):
    if not post.broken_links:
        return "None: every link to another post works."
    return format_html_join(mark_safe("<br>"), "{}", ((href,) for href in post.broken_links))


@admin.display(description="Old addresses")
def former_address_list(post):
    if post.pk is None:
        return "None."
    paths = post.former_addresses.order_by("path").values_list("path", flat=True)
    return format_html_join(mark_safe("<br>"), "<code>{}</code>", ((p,) for p in paths)) or "None."


class LeadsTo(admin.SimpleListFilter):
    title = "leads to"
    parameter_name = "leads_to"
    KINDS = {"post": "a post", "tag": "a tag", "series": "a series"}

    def lookups(self, request, model_admin):
        return list(self.KINDS.items())

    def queryset(self, request, queryset):
        if self.value() in self.KINDS:
            return queryset.filter(**{f"{self.value()}__isnull": False})
        return queryset


@admin.register(FormerAddress)
class FormerAddressAdmin(admin.ModelAdmin):
    """Every old address an import kept, of posts, tags and series alike: editors may correct
    where one leads, or delete it."""

    list_display = ["path", "leads_to"]
    list_filter = [LeadsTo]
    search_fields = ["path"]
    fields = ["path", "post", "tag", "series"]
    raw_id_fields = ["post", "tag", "series"]
    list_select_related = ["post", "tag", "series"]

    @admin.display(description="leads to")
    def leads_to(self, address):
        kind = "post" if address.post_id else "tag" if address.tag_id else "series"
        return f"{kind}: {address.post or address.tag or address.series}"
