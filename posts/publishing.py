"""What the post form's publishing buttons do. Each sets the post's status and publication time
before the form is validated, so that the link checks judge the post as it would be: "Save
draft" and "Update" keep both, "Publish" (or "Publish now") makes the post public at once,
"Schedule" at a time the writer picks, "Unpublish" takes it back to a draft."""

import datetime

from django import forms
from django.utils import timezone

from posts.models import Post


class ScheduleField(forms.DateTimeField):
    """A date and time as the browser's date-time picker sends it, in the site's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def apply_button(form, cleaned_data):
    """Set status and publication time as the pressed button says; a form error if it cannot."""
    now = timezone.now().replace(microsecond=0)
    if "_publish" in form.data:
        cleaned_data["status"] = Post.Status.PUBLISHED
        cleaned_data["published_at"] = now
    elif "_unpublish" in form.data:
        cleaned_data["status"] = Post.Status.DRAFT
        if (cleaned_data.get("published_at") or now) > now:
            cleaned_data["published_at"] = None  # a draft keeps no date in the future
    elif "_schedule" in form.data:
        moment = cleaned_data.get("schedule_at")
        if moment is None:
            if "schedule_at" not in form.errors:
                form.add_error("schedule_at", "Choose the date and time the post goes public.")
        elif moment <= now:
            form.add_error(
                "schedule_at",
                "Choose a time in the future; to make the post public now, press Publish.",
            )
        else:
            cleaned_data["status"] = Post.Status.PUBLISHED
            cleaned_data["published_at"] = moment.replace(second=0, microsecond=0)
    return cleaned_data


def state(post):
    """ "new", "draft", "scheduled" or "published": which buttons the form shows."""
    if post is None or post.pk is None:
        return "new"
    if post.status == Post.Status.DRAFT:
        return "draft"
    return "scheduled" if post.is_scheduled else "published"


def offset_minutes():
    """The site's time zone's offset from UTC now, for the script that shows the writer's own
    time beside a scheduled one (an hour out across a change of clocks)."""
    offset = timezone.localtime().utcoffset() or datetime.timedelta()
    return int(offset.total_seconds() // 60)
