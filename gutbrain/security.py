"""Who is asking at the login: the address failed logins are counted against, and which
failures a success forgets."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
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


class LoginAttempts(AxesDatabaseHandler):
    """django-axes's database handler, except that a successful login forgets only the failures
    of the account that logged in. Axes's own reset forgets every failure from the address too,
    whatever the user name: anyone with an account could then guess another's password without
    end, by logging in as themselves between guesses."""

    def reset_user_attempts(self, request, credentials=None):
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
        return deleted
