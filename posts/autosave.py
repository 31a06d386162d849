"""Text being written, kept on the server every few seconds while a post is edited, so that a
crash, a closed tab or an expired session loses nothing. An autosave is not a version and is
never published: it is offered back to the one who wrote it when they open the post again."""

import time

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.validators import MaxLengthValidator
from django.db import models
from django.http import JsonResponse
from django.utils import timezone
from django.utils.formats import date_format

from posts.rendering import MAX_SOURCE_CHARACTERS, as_file_text

# Per writer and post: the latest text of each open tab, and of a handful of tabs at most.
KEPT_PER_POST = 5
# A tab autosaves a few seconds after typing stops; this leaves room for many tabs and bursts.
AUTOSAVES_PER_MINUTE = 60


class Autosave(models.Model):
    """The latest text of one browser tab editing one post (none: a post not saved yet)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(
        "Post", on_delete=models.CASCADE, null=True, blank=True, related_name="autosaves"
    )
    tab = models.CharField(max_length=40)
    # The version the text was written over: restoring it over a newer one is said so.
    based_on_version = models.PositiveIntegerField(null=True, blank=True)
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-saved_at", "-id"]
        indexes = [models.Index(fields=["user", "post", "-saved_at"])]

    def __str__(self):
        return f"Autosave of {self.post or 'a new post'} by {self.user}, tab {self.tab}"

    def offer(self, post=None):
        """What the post form shows to offer this text back."""
        saved_at = timezone.localtime(self.saved_at)
        today = saved_at.date() == timezone.localdate()
        return {
            "id": self.pk,
            "title": self.title,
            "body": self.body,
            "saved_at": saved_at.isoformat(),
            "time": date_format(saved_at, "H:i" if today else "j M Y, H:i"),
            "older_version": bool(
                post and self.based_on_version and self.based_on_version != post.version
            ),
        }


class AutosaveForm(forms.Form):
    """What a tab sends: checked as the post form checks the same text."""

    tab = forms.RegexField(
        r"^[A-Za-z0-9-]{1,40}\Z", error_messages={"invalid": "The autosave names no editor tab."}
    )
    title = forms.CharField(required=False, strip=False)
    body = forms.CharField(
        required=False, strip=False, validators=[MaxLengthValidator(MAX_SOURCE_CHARACTERS)]
    )
    based_on_version = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


def keep(request, post):
    """The autosave view's work, once the admin has checked who may edit `post` (None: a new
    post): the tab's latest text, kept; an answer the editor's script reads."""
    form = AutosaveForm(request.POST)
    if not form.is_valid():
        errors = [error for field in form.errors.values() for error in field]
        return JsonResponse({"error": " ".join(errors)}, status=400)
    if too_often(request.user):
        return JsonResponse(
            {"error": "Autosaves come too fast; the text is kept in this browser for now."},
            status=429,
        )
    text = form.cleaned_data
    autosave, _ = Autosave.objects.update_or_create(
        user=request.user,
        post=post,
        tab=text["tab"],
        defaults={
            "title": text["title"][:1000],
            "body": text["body"],
            "based_on_version": text["based_on_version"],
            "saved_at": timezone.now(),
        },
    )
    stale = Autosave.objects.filter(user=request.user, post=post)[KEPT_PER_POST:]
    Autosave.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return JsonResponse({"saved": autosave.offer(post)["time"]})


def too_often(user):
    """More autosaves from this writer this minute than any editing needs."""
    key = f"autosaves:{user.pk}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) > AUTOSAVES_PER_MINUTE
    except ValueError:  # the cache lost the count (it does not answer): let the text in
        return False


def offers(user, post):
    """The texts this writer left in the post (None: in a new post) that differ from it."""
    return [
        autosave.offer(post)
        for autosave in Autosave.objects.filter(user=user, post=post)
        if not post or as_file_text(autosave.body) != post.body
    ]


def forget_saved(user, post):
    """Once a post is saved, this writer's autosaves of that very text are done with (from
    this post, or from the new post it was before its first save)."""
    written = Autosave.objects.filter(models.Q(post=post) | models.Q(post__isnull=True), user=user)
    Autosave.objects.filter(
        pk__in=[autosave.pk for autosave in written if as_file_text(autosave.body) == post.body]
    ).delete()
