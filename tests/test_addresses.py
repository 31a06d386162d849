"""Addresses written without reverse() are the ones reverse() gives."""

import pytest
from django.template import engines
from django.urls import clear_script_prefix, reverse, set_script_prefix
from taggit.models import Tag

from posts.addresses import SITE_PAGES, site_links, slug_address

ASCII_SLUGS = ["gut-brain-axis", "a_b-9", "0-slug-placeholder-0"]
# Tags' slugs may keep letters beyond ASCII, which the address quotes.
CASES = [
    *((view_name, slug) for view_name in ("posts:post", "posts:series") for slug in ASCII_SLUGS),
    *(("posts:tag", slug) for slug in [*ASCII_SLUGS, "déjà-vu", "Ωmega"]),
]


@pytest.fixture
def script_prefix():
    set_script_prefix("/blog/")
    yield "/blog/"
    clear_script_prefix()


@pytest.mark.parametrize(("view_name", "slug"), CASES)
def test_slug_addresses_are_what_reverse_gives(view_name, slug):
    assert slug_address(view_name, slug) == reverse(view_name, kwargs={"slug": slug})


def test_addresses_follow_the_script_prefix(script_prefix):
    assert slug_address("posts:post", "gut-brain-axis") == "/blog/posts/gut-brain-axis/"
    assert site_links()["archive"] == "/blog/archive/"
    clear_script_prefix()
    assert slug_address("posts:post", "gut-brain-axis") == "/posts/gut-brain-axis/"
    assert site_links()["archive"] == "/archive/"


def test_site_links_are_what_reverse_gives():
    assert site_links() == {name: reverse(f"posts:{name}") for name in SITE_PAGES}


def test_tag_address_filter():
    template = engines["jinja2"].from_string("{{ tag|tag_address }}")
    tag = Tag(name="Déjà vu", slug="déjà-vu")
    assert template.render({"tag": tag}) == "/tags/d%C3%A9j%C3%A0-vu/"
