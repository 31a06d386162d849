from django.conf import settings
from django.utils.encoding import escape_uri_path

from posts.addresses import site_links
from posts.links import site_origin


def site(request):
    return {
        "site_title": settings.GUTBRAIN_SITE_TITLE,
        "site_description": settings.GUTBRAIN_SITE_DESCRIPTION,
        "site_links": site_links(),
        # Without the query: templates of paginated pages add the page number they show.
        "canonical_url": site_origin(request) + escape_uri_path(request.path),
    }
