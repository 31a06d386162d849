"""The post admin's versions: the list of saved versions in the post form, and the page that
compares one with the post as it is and restores it."""

import difflib

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from posts.models import Post
from posts.versions import PostVersion, resource_copies, restore_version

# Past this many lines, a side-by-side table grows much faster than the text: list changes.
COMPARE_SIDE_BY_SIDE_LINES = 300


def version_texts(version):
    """What a version holds, as the comparison reads it."""
    return {
        "title": version.title,
        "summary": version.summary,
        "body": version.body,
        "tags": "\n".join(version.tags),
        "resources": version.resources,
        "number": version.number,
    }


class VersionViews:
    """For PostAdmin, which gives `save_as_new_version` and the permission checks."""

    @admin.display(description="Versions")
    def history(self, post):
        if post.pk is None:
            return "Versions are kept from the first save on."
        rows = (
            (
                reverse("admin:posts_post_version", args=[post.pk, version.number]),
                version.number,
                date_format(timezone.localtime(version.saved_at), "DATETIME_FORMAT"),
                (version.saved_by.get_full_name() or version.saved_by.get_username())
                if version.saved_by
                else "someone",
            )
            for version in post.versions.select_related("saved_by")
        )
        return (
            format_html_join(
                mark_safe("<br>"), '<a href="{}">Version {}</a>, saved {} by {}', rows
            )
            or "No saved versions yet."
        )

    def version_view(self, request, post_id, number):
        """Compare an earlier version with the post as it is, and restore it."""
        post = get_object_or_404(Post, pk=post_id)
        if not self.has_change_permission(request, post):
            raise PermissionDenied
        version = get_object_or_404(PostVersion, post=post, number=number)
        if request.method == "POST":
            post.body = version.body
            if post.status == Post.Status.PUBLISHED and (problems := post.link_problems()):
                self.message_user(
                    request,
                    f"Version {number} was not restored: {' '.join(problems)}",
                    messages.ERROR,
                )
                return redirect("admin:posts_post_version", post.pk, number)
            failure = f"Version {number} was not restored"
            if not self.save_as_new_version(
                request, post, failure, lambda p: restore_version(p, version)
            ):
                return redirect("admin:posts_post_version", post.pk, number)
            self.message_user(
                request, f"Version {number} restored; it is now version {post.version}."
            )
            return redirect("admin:posts_post_change", post.pk)
        this = version_texts(version)
        other, other_label = self.compared_with(request, post, version)
        differ = difflib.HtmlDiff(wrapcolumn=45)
        this_label = f"Version {number}"

        def compare(old, new):
            old, new = old.splitlines(), new.splitlines()
            if len(old) + len(new) > COMPARE_SIDE_BY_SIDE_LINES:
                # The side-by-side table grows much faster than the text; list the changes.
                lines = difflib.unified_diff(old, new, this_label, other_label, lineterm="")
                return format_html("<pre>{}</pre>", "\n".join(lines))
            return mark_safe(differ.make_table(old, new, this_label, other_label, context=True))

        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Version {number} of “{post}”",
            "post": post,
            "version": version,
            "other_label": other_label,
            "compared_with": other["number"],
            "numbers": post.versions.exclude(pk=version.pk).values_list("number", flat=True),
            "changes": [
                (label, compare(this[field], other[field]))
                for label, field in [
                    ("Title", "title"),
                    ("Summary", "summary"),
                    ("Text", "body"),
                    ("Tags", "tags"),
                ]
                if this[field] != other[field]
            ],
            "resources_differ": this["resources"] != other["resources"],
        }
        return TemplateResponse(request, "admin/posts/post/version.html", context)

    @staticmethod
    def compared_with(request, post, version):
        """What the version is compared with: another version (`?with=3`) or the post as it is
        now; its fields as text, and its name."""
        asked = request.GET.get("with", "")
        if asked:
            other = post.versions.filter(number=int(asked)).first() if asked.isdigit() else None
            if other is None or other.pk == version.pk:
                raise Http404(f"“{post}” has no other version {asked}.")
            return version_texts(other), f"Version {other.number}"
        tags = sorted((tag.name for tag in post.tags.all()), key=str.casefold)
        return {
            "title": post.title,
            "summary": post.summary,
            "body": post.body,
            "tags": "\n".join(tags),
            "resources": resource_copies(post),
            "number": None,
        }, "Now"
