"""The post form's helper views, for the editor's scripts: the live preview, autosaves, and
the posts to link to."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from posts import autosave, publishing
from posts.models import Post
from posts.reference_import import parse_references
from posts.rendering import RenderError, reading_minutes
from posts.resources import resources_in_form


def marked(post):
    """How the link picker marks a post: by its state, unless it is public."""
    state = publishing.state(post)
    return "" if state == "published" else state


class WritingViews:
    """For PostAdmin, which gives the permission checks."""

    @method_decorator(require_POST)
    # Shown in a frame beside the editor: framing by the admin itself is allowed here only.
    @method_decorator(xframe_options_sameorigin)
    @method_decorator(csp_override({**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]}))
    def preview_view(self, request):
        """The post being written, as readers will see it: same rendering, same stylesheet."""
        # (Out of range, a number names no post: Django's lookups say so, not the database.)
        post_id = request.POST.get("post", "")
        saved = Post.objects.filter(pk=post_id).first() if post_id.isdigit() else None
        if saved is not None and not self.has_view_permission(request, saved):
            raise PermissionDenied
        post = Post(
            pk=saved.pk if saved else None,
            slug=request.POST.get("slug", ""),
            title=request.POST.get("title", ""),
            summary=request.POST.get("summary", ""),
            body=request.POST.get("body", ""),
            author=saved.author if saved else request.user,
            published_at=saved.published_at if saved else None,
            reading_minutes=reading_minutes(request.POST.get("body", "")),
        )
        try:
            post.render_body()
        except RenderError as error:
            post.body_html = format_html("<p><strong>{}</strong></p>", error)
        # The resources as the form holds them, saved or not, linking back to the text.
        resources = resources_in_form(request.POST)
        if resources is None:
            resources = saved.resources.all() if saved else []
        context = {"post": post, "resources": post.cited_resources(resources)}
        response = TemplateResponse(request, "posts/preview.html", context)
        add_never_cache_headers(response)
        return response

    @method_decorator(require_POST)
    def autosave_view(self, request):
        """Keeps the text a tab is writing: in a post this user may edit, or in a new one."""
        post_id = request.POST.get("post", "")
        if post_id:
            post = get_object_or_404(Post, pk=post_id) if post_id.isdigit() else None
            allowed = post is not None and self.has_change_permission(request, post)
        else:
            post, allowed = None, self.has_add_permission(request)
        if not allowed:
            raise PermissionDenied
        return autosave.keep(request, post)

    @method_decorator(require_POST)
    def references_view(self, request):
        """Pasted BibTeX, RIS, CSL-JSON or identifiers, read into resources' fields for the
        form to fill its rows with; the entries that cannot be read, named."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        try:
            resources = parse_references(request.POST.get("text", ""))
        except ValidationError as error:
            return JsonResponse({"errors": error.messages}, status=400)
        return JsonResponse({"resources": resources})

    def link_targets_view(self, request):
        """Posts to link to, by title, newest first: every public post, and the drafts and
        scheduled posts this user may edit, marked as such."""
        posts = Post.objects.filter(
            Post.objects.published_condition()
            | Q(pk__in=Post.objects.editable_by(request.user).values("pk"))
        )
        if query := request.GET.get("q", "").strip()[:200]:
            posts = posts.filter(title__icontains=query)
        if (exclude := request.GET.get("exclude", "")).isdigit():
            posts = posts.exclude(pk=exclude)
        newest = posts.order_by(Coalesce("published_at", "updated_at").desc(), "-id")[:20]
        return JsonResponse(
            {
                "posts": [
                    {"title": post.title, "slug": post.slug, "state": marked(post)}
                    for post in newest.only("title", "slug", "status", "published_at")
                ]
            }
        )
