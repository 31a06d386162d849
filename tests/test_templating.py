"""Readers' pages show dates in the current time zone, an instant in an hour that a clock
change repeats included, and print nothing for a missing value."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")
# Clocks in Paris went back at 03:00 on 27 October 2024: 02:30 came twice.
FIRST_0230 = datetime.datetime(2024, 10, 27, 0, 30, tzinfo=datetime.UTC)
SECOND_0230 = datetime.datetime(2024, 10, 27, 1, 30, tzinfo=datetime.UTC)


def render(source, **context):
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize(
    ("instant", "iso"),
    [(FIRST_0230, "2024-10-27T02:30:00+02:00"), (SECOND_0230, "2024-10-27T02:30:00+01:00")],
)
def test_dates_read_in_the_current_time_zone(instant, iso):
    source = "{{ when|date:'c' }} {{ when|date:'j F Y, H:i' }}"
    with timezone.override(PARIS):
        assert render(source, when=instant) == f"{iso} 27 October 2024, 02:30"
    with timezone.override(ZoneInfo("Asia/Kolkata")):
        assert render("{{ when|date:'c' }}", when=instant).endswith("+05:30")


def test_pages_tell_apart_the_two_instants_of_a_repeated_hour(client, make_post, settings):
    settings.TIME_ZONE = "Europe/Paris"
    make_post(title="Before the change", published_at=FIRST_0230)
    make_post(title="After the change", published_at=SECOND_0230)
    page = client.get("/").content.decode()
    assert page.count("27 October 2024</time>") == 2
    assert 'datetime="2024-10-27T02:30:00+02:00"' in page
    assert 'datetime="2024-10-27T02:30:00+01:00"' in page
    assert page.index("After the change") < page.index("Before the change")


def test_a_settings_change_shows_at_once(settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    assert render("{{ when|date:'c' }}", when=FIRST_0230) == "2024-10-27T06:00:00+05:30"
    settings.USE_TZ = False
    assert render("{{ when|date:'c' }}", when=FIRST_0230) == "2024-10-27T00:30:00+00:00"


def test_nothing_to_show_shows_nothing():
    source = "[{{ missing }}{{ post.missing }}{{ missing|date:'c' }}{{ none|date:'j F Y' }}]"
    assert render(source, post=object(), none=None) == "[]"
