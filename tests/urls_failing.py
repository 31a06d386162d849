"""A URLconf with a view that fails, to see the 500 page readers would get."""

from django.db import OperationalError
from django.urls import include, path


def failing_view(request):
    raise RuntimeError("a bug")


def database_gone(request):
    raise OperationalError("connection refused")


handler500 = "gutbrain.views.server_error"

urlpatterns = [
    path("boom/", failing_view),
    path("no-database/", database_gone),
    path("", include("posts.urls")),
]
