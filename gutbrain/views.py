import logging
import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
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
    # The cache swallows its own errors, so ask it to remember something and give it back.
    token = uuid.uuid4().hex
    cache.set("healthz", token, timeout=10)
    if cache.get("healthz") != token:
        checks["cache"] = "unavailable"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
