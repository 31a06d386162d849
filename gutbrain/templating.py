"""The Jinja2 environment of the pages readers see; the admin keeps Django's templates.

Readers' pages are rendered on every uncached request, and Jinja2 compiles a template to
Python once where Django's template language walks its nodes each time: the same page costs
a fraction of the time. The filters and functions below are Django's own, so pages format
dates, plurals and addresses as the rest of the site does."""

import datetime
import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import get_current_timezone, template_localtime
from jinja2 import Environment, Undefined

from posts.addresses import slug_address
from posts.structured_data import blog_posting


def local_date(value, date_format=None):
    """Django's date filter, in the current time zone, as Django's templates give it."""
    if not isinstance(value, datetime.date):
        return defaultfilters.date(value, date_format) if value else ""
    # A page shows the same few dates on every request; Django's formatting of each is a good
    # part of what rendering it costs. The offset tells apart the two instants of an hour
    # that a clock change repeats, which compare equal.
    offset = value.utcoffset() if isinstance(value, datetime.datetime) else None
    return _formatted(
        value, offset, date_format, translation.get_language(), get_current_timezone()
    )


@functools.lru_cache(maxsize=4096)
def _formatted(value, offset, date_format, language, time_zone):
    local = template_localtime(value)
    if date_format == "c":
        return local.isoformat()  # what "c" gives, without Django's format machinery
    return defaultfilters.date(local, date_format)


@receiver(setting_changed)
def _forget_formatted_dates(**kwargs):
    # USE_TZ, DATE_FORMAT, FORMAT_MODULE_PATH and the like change how a date reads.
    _formatted.cache_clear()


def url(view_name, *args):
    return reverse(view_name, args=args)


def tag_address(tag):
    """The tag's page, as url("posts:tag", tag.slug) gives it."""
    return slug_address("posts:tag", tag.slug)


def environment(**options):
    # A missing value prints nothing, as in Django's templates, also when debugging.
    options["undefined"] = Undefined
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=True)
    # slug_url: reverse() for an address with one slug, at a fraction of its cost.
    env.globals.update(static=static, url=url, slug_url=slug_address, blog_posting=blog_posting)
    env.filters.update(
        date=local_date, pluralize=defaultfilters.pluralize, tag_address=tag_address
    )
    return env
