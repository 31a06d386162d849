"""Who is asking: the address failed logins are counted against."""

from django.conf import settings


def client_address(request):
    """The reader's address. Behind the proxy (DJANGO_SECURE_PROXY_SSL_HEADER=true) that is
    the last address in X-Forwarded-For, the one the proxy added: any before it came from the
    client and may be forged. Elsewhere it is the connection's own address."""
    if settings.GUTBRAIN_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if last := forwarded.rsplit(",", 1)[-1].strip():
            return last
    return request.META.get("REMOTE_ADDR")
