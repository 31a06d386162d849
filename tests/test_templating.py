"""Readers' pages format dates as Django's own date filter does."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import defaultfilters
from django.utils import timezone, translation
from django.utils.timezone import template_localtime
from jinja2 import Undefined

from gutbrain.templating import local_date

PARIS = ZoneInfo("Europe/Paris")
VALUES = [
    datetime.datetime(2026, 3, 31, 20, 0, 7, 5, tzinfo=datetime.UTC),
    datetime.datetime(2026, 10, 25, 0, 30, tzinfo=datetime.UTC),  # 02:30 in Paris, twice
    datetime.datetime(2026, 10, 25, 1, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=0),
    datetime.datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1),
    datetime.datetime(2024, 5, 6, 7, 8),  # naive
    datetime.date(2024, 1, 2),
]
FORMATS = ["c", "j F Y", "F Y", "Y", "j F Y, H:i", None]


def django_date(value, date_format):
    try:
        return defaultfilters.date(template_localtime(value), date_format)
    except TypeError as error:  # a time format for a date
        return type(error)


def ours(value, date_format):
    try:
        return local_date(value, date_format)
    except TypeError as error:
        return type(error)


@pytest.mark.parametrize("zone", [None, "Europe/Paris", "Asia/Kolkata"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_dates_read_as_django_gives_them(zone, language):
    for _ in range(2):
        with translation.override(language), timezone.override(zone or datetime.UTC):
            for value in VALUES:
                for date_format in FORMATS:
                    assert ours(value, date_format) == django_date(value, date_format), (
                        value,
                        date_format,
                    )


def test_a_settings_change_shows_at_once(settings):
    value = VALUES[0]
    settings.TIME_ZONE = "Asia/Kolkata"
    assert local_date(value, "c") == "2026-04-01T01:30:07.000005+05:30"
    settings.USE_TZ = False
    assert local_date(value, "c") == django_date(value, "c")


def test_nothing_to_show_shows_nothing():
    assert local_date(None, "c") == local_date("", "j F Y") == local_date(Undefined(), "c") == ""
