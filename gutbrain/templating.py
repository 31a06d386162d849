"""The Jinja2 environment of the pages readers see; the admin keeps Django's templates.

Readers' pages are rendered on every uncached request, and Jinja2 compiles a template to
Python once where Django's template language walks its nodes each time: measured side by side,
Django's templates made the post page miss its throughput goal (see README.md). The
filters and functions below are Django's own, so pages format dates, plurals and addresses as
the rest of the site does."""

import datetime

from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import template_localtime
from jinja2 import Environment, Undefined

from posts import cards
from posts.figures import IMAGE_SIZES
from posts.structured_data import blog_posting, profile_page


def local_date(value, date_format=None):
    """Django's date filter, in the current time zone, as Django's templates give it."""
    if isinstance(value, datetime.date):
        value = template_localtime(value)
        if date_format == "c":
            return value.isoformat()  # what "c" gives, without Django's format machinery
    return defaultfilters.date(value, date_format) if value else ""


def url(view_name, *args):
    return reverse(view_name, args=args)


def tag_address(tag):
    """The tag's page, as url("posts:tag", tag.slug) gives it."""
    return reverse("posts:tag", args=[tag.slug])


def environment(**options):
    # A missing value prints nothing, as in Django's templates, also when debugging.
    options["undefined"] = Undefined
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=True)
    env.globals.update(
        static=static,
        url=url,
        blog_posting=blog_posting,
        profile_page=profile_page,
        post_link_card=cards.for_post,
        site_link_card=cards.for_site,
        image_sizes=IMAGE_SIZES,
    )
    env.filters.update(
        date=local_date, pluralize=defaultfilters.pluralize, tag_address=tag_address
    )
    return env
