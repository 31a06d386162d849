"""A URLconf with a view that fails, to see the 500 page readers would get."""

from django.urls import include, path


def failing_view(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", failing_view), path("", include("posts.urls"))]
