import logging
import sys
import uuid

from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.middleware.csp import get_nonce
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache

logger = logging.getLogger("gutbrain.health")


@never_cache
def healthz(request):
    """200 when the database and the cache both answer, else 503 naming what does not."""
    checks = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.error("Health check: the database does not answer: %s", error)
        checks["database"] = "unavailable"
    # Readers never see the cache's errors (pages are built from the database instead), so
    # ask it to remember something and give it back.
    token = uuid.uuid4().hex
    cache.set("healthz", token, timeout=10)
    if cache.get("healthz") != token:
        logger.error("Health check: the cache does not answer; pages are built afresh.")
        checks["cache"] = "unavailable"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


def server_error(request):
    """The error page, self-contained: no context processors, no database, no static files.
    While the database does not answer it is a 503 the reader may retry (pages still in the
    cache are served meanwhile); anything else is a 500."""
    unavailable = isinstance(sys.exc_info()[1], (OperationalError, InterfaceError))
    template = loader.get_template("503.html" if unavailable else "500.html")
    response = HttpResponse(
        template.render({"csp_nonce": get_nonce(request)}), status=503 if unavailable else 500
    )
    if unavailable:
        response["Retry-After"] = "30"
    add_never_cache_headers(response)
    return response
