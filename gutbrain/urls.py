from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from gutbrain.views import healthz

handler500 = "gutbrain.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(settings.GUTBRAIN_ADMIN_PATH, admin.site.urls),
    path("", include("posts.urls")),
]


def media(request, path):
    """Uploaded files, where no web server or object storage in front serves them."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.GUTBRAIN_SERVE_MEDIA:
    prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.insert(0, re_path(rf"^{prefix}(?P<path>.*)$", media))
