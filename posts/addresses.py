"""Addresses as reverse() gives them, reversed once per script prefix instead of once per
link: a page links to dozens of posts and tags, and every page to the site's own pages, and
reverse() costs more than the rest of writing a link."""

import functools
from urllib.parse import quote

from django.urls import get_script_prefix, reverse

# The site's own pages, which every page links to.
SITE_PAGES = ["home", "series_list", "archive", "search", "feed_rss", "feed_atom"]
# A valid slug that no real address contains, replaced by each slug in turn.
PLACEHOLDER = "0-slug-placeholder-0"
# What reverse() leaves unquoted in a path.
SAFE = "!$&'()*+,;=/~:@"


@functools.cache
def _address_template(view_name, script_prefix):
    return reverse(view_name, kwargs={"slug": PLACEHOLDER})


def slug_address(view_name, slug):
    """reverse(view_name, kwargs={"slug": slug}) for a URL pattern with one slug."""
    template = _address_template(view_name, get_script_prefix())
    return template.replace(PLACEHOLDER, quote(slug, safe=SAFE))


@functools.cache
def _site_links(script_prefix):
    return {name: reverse(f"posts:{name}") for name in SITE_PAGES}


def site_links():
    """The addresses of SITE_PAGES, by name."""
    return _site_links(get_script_prefix())
