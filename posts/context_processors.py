from django.conf import settings
from django.urls import reverse
from django.utils.encoding import escape_uri_path

from posts.links import site_origin

# The site's own pages, which every page links to.
SITE_PAGES = [
    "home",
    "series_list",
    "tag_list",
    "archive",
    "search",
    "feed_rss",
    "feed_atom",
    "feed_json",
]


def site(request):
    return {
        "site_title": settings.GUTBRAIN_SITE_TITLE,
        "site_description": settings.GUTBRAIN_SITE_DESCRIPTION,
        "site_links": {name: reverse(f"posts:{name}") for name in SITE_PAGES},
        # Without the query: templates of paginated pages add the page number they show.
        "canonical_url": site_origin(request) + escape_uri_path(request.path),
    }
