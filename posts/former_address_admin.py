"""The post admin page's Links section: the posts linking to it, its broken links, and its
addresses on the platform it was brought in from (the import writes them; each leads to the
post with one redirect)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe


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
