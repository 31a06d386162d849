from django.http import HttpResponse
from django.urls import include, path

MAX_BYTES = 1_000_000


def bare(request):
    """The cheapest Django response, as big as the page it is compared with (?bytes=N)."""
    size = request.GET.get("bytes", "")
    size = min(int(size), MAX_BYTES) if size.isdigit() else 2
    return HttpResponse(b"x" * size, content_type="text/html; charset=utf-8")


urlpatterns = [path("bare/", bare), path("", include("gutbrain.urls"))]
