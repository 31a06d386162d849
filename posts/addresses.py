"""Addresses of posts, tags and series: what reverse() gives, without matching the URL
patterns for each one. A page links to dozens of them, and reverse() costs more than the rest
of writing a link."""

import functools
from urllib.parse import quote

from django.urls import get_script_prefix, reverse

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
