import functools

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.encoding import escape_uri_path

from posts.links import site_origin

SITE_LINKS = ["home", "series_list", "archive", "search", "feed_rss", "feed_atom"]


@functools.cache
def _site_links(script_prefix):
    # Every page links to these: reversed once per prefix, not a dozen times per page.
    return {name: reverse(f"posts:{name}") for name in SITE_LINKS}


def site(request):
    return {
        "site_title": settings.GUTBRAIN_SITE_TITLE,
        "site_description": settings.GUTBRAIN_SITE_DESCRIPTION,
        "site_links": _site_links(get_script_prefix()),
        # Without the query: templates of paginated pages add the page number they show.
        "canonical_url": site_origin(request) + escape_uri_path(request.path),
    }
