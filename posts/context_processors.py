from django.conf import settings


def origin(request):
    """Scheme and host of the public site: the configured address, else the request's."""
    return settings.GUTBRAIN_SITE_URL or request.build_absolute_uri("/").rstrip("/")


def site(request):
    canonical_url = origin(request) + request.path
    page = request.GET.get("page", "")
    if page.isdigit() and int(page) > 1:
        canonical_url += f"?page={int(page)}"
    return {
        "site_title": settings.GUTBRAIN_SITE_TITLE,
        "site_description": settings.GUTBRAIN_SITE_DESCRIPTION,
        "canonical_url": canonical_url,
    }
