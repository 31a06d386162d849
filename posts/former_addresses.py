"""Addresses a post, tag or series had on the platform it was brought in from (see
posts.moving_in), and the posts an import wrote, so that the next import finds them again.

`FormerAddressFallbackMiddleware` answers an old address with one redirect to where its post,
tag or series is now, and only when gutbrain itself has nothing there: like Django's
RedirectFallbackMiddleware, it looks at 404s alone, so the site's own addresses always win.
"""

from urllib.parse import unquote

from django.db import models
from django.http import HttpResponsePermanentRedirect
from django.urls import reverse
from taggit.models import Tag

from posts.querysets import PostQuerySet
from posts.series import Series

# Where feed readers of the old site ask: sent on to the site's feed.
OLD_FEED_PATHS = {"/feed/", "/rss/", "/feed/rss/", "/feed/rss2/", "/rss.xml", "/feed.xml"}
OWN_FEED = "/feed/rss/"  # how this site's tag, series and author feeds end
# WordPress's own address of every post, which all its other addresses lead to.
POST_ID_PARAMETER = "p"
published_condition = PostQuerySet.published_condition


class FormerAddress(models.Model):
    """An old path (with `?p=ID` where the old site used one) and what it leads to now."""

    path = models.CharField(max_length=500, unique=True)
    post = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.CASCADE, related_name="former_addresses"
    )
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="former_addresses"
    )

    class Meta:
        verbose_name_plural = "former addresses"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(post__isnull=False, tag__isnull=True, series__isnull=True)
                    | models.Q(post__isnull=True, tag__isnull=False, series__isnull=True)
                    | models.Q(post__isnull=True, tag__isnull=True, series__isnull=False)
                ),
                name="former_address_leads_to_one_thing",
            )
        ]

    def __str__(self):
        return self.path

    def get_absolute_url(self):
        """Where the address leads now: the target's current address, never another
        redirect; None when it is not public."""
        if self.post_id is not None:
            return self.post.get_absolute_url() if self.post.is_published else None
        # A tag or series with no public post has no page yet (only drafts may use it).
        if self.tag_id is not None:
            shown = self.tag.posts_taggedpost_items.filter(published_condition("content_object__"))
            return reverse("posts:tag", args=[self.tag.slug]) if shown.exists() else None
        shown = self.series.parts.filter(published_condition("post__"))
        return self.series.get_absolute_url() if shown.exists() else None


class ImportedPost(models.Model):
    """Which post an import wrote for an item of an export, and the post's version then: a
    post edited here since is left alone by the next import unless told otherwise."""

    post = models.OneToOneField("Post", on_delete=models.CASCADE, related_name="imported_from")
    source = models.CharField(max_length=20)  # "wordpress", "ghost"
    source_id = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    # The images brought in for it, {URL in the export: image id}: found again, not copied.
    images = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="one_post_per_item")
        ]

    def __str__(self):
        return f"{self.source} {self.source_id}"


def normal_path(path):
    """An old path as kept: decoded, with a slash at each end, so that `/a/b`, `/a/b/` and
    `/a/%62/` are found alike."""
    path = unquote(path)
    path = path if path.startswith("/") else "/" + path
    return (
        path if path.endswith("/") or "?" in path or "." in path.rsplit("/", 1)[-1] else path + "/"
    )


def old_addresses(request):
    """The kept paths this request could be asking for: with WordPress's `?p=ID` (at the
    site's root, a subfolder or index.php), and without."""
    path = normal_path(request.path_info)
    if "\x00" in path:  # from %00: no kept path holds one, and PostgreSQL refuses to compare
        return []
    post_id = request.GET.get(POST_ID_PARAMETER, "")
    asked = [f"{path}?{POST_ID_PARAMETER}={post_id}"] if post_id.isdigit() else []
    return asked if path == "/" else [*asked, path]


def old_feed(path):
    """Whether the path is where an old site's feed was, at its root or in a subfolder; never
    one of this site's own feeds (…/feed/rss/), whose 404 is an answer."""
    if path in OLD_FEED_PATHS:
        return True
    return not path.endswith(OWN_FEED) and any(path.endswith(feed) for feed in OLD_FEED_PATHS)


class FormerAddressFallbackMiddleware:
    """One 301 from an old address to its target's current one, where gutbrain answers 404
    (and for WordPress's `/?p=ID`, which reaches the home page). An old feed address leads to
    the site's feed, before any post that had the same name. Redirects are not kept by the
    page cache, and pass back through the security middleware like every answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if request.path_info == "/" and POST_ID_PARAMETER in request.GET:
            # The home page reads no `p`: the old site's post is what this reader wants.
            return self.redirect(request) or self.get_response(request)
        response = self.get_response(request)
        if response.status_code != 404:
            return response
        if old_feed(normal_path(request.path_info)):
            return HttpResponsePermanentRedirect(reverse("posts:feed_rss"))
        return self.redirect(request) or response

    @staticmethod
    def redirect(request):
        found = (
            FormerAddress.objects.select_related("post", "tag", "series")
            .filter(path__in=old_addresses(request))
            .order_by("-path")  # the one with `?p=` first
            .first()
        )
        if found is not None and (target := found.get_absolute_url()):
            return HttpResponsePermanentRedirect(target)
        return None
