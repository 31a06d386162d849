"""Readers' pages link to the addresses reverse() gives, under any script prefix."""

import pytest
from django.template import engines
from django.urls import clear_script_prefix, reverse, set_script_prefix
from taggit.models import Tag

from posts.context_processors import SITE_PAGES


@pytest.fixture
def script_prefix():
    set_script_prefix("/blog/")
    yield "/blog/"
    clear_script_prefix()


@pytest.mark.parametrize("slug", ["gut-brain-axis", "déjà-vu", "Ωmega"])
def test_tag_address_filter_quotes_what_the_slug_holds(slug):
    template = engines["jinja2"].from_string("{{ tag|tag_address }}")
    assert template.render({"tag": Tag(name=slug, slug=slug)}) == reverse("posts:tag", args=[slug])


def test_addresses_follow_the_script_prefix(script_prefix):
    template = engines["jinja2"].from_string("{{ url('posts:post', 'gut-brain-axis') }}")
    assert template.render({}) == "/blog/posts/gut-brain-axis/"
    clear_script_prefix()
    assert template.render({}) == "/posts/gut-brain-axis/"


@pytest.mark.django_db
def test_every_page_links_the_sites_own_pages(client, make_post):
    make_post(title="The gut-brain axis", slug="gut-brain-axis", tags=["Déjà vu"])
    page = client.get("/posts/gut-brain-axis/").content.decode()
    for name in SITE_PAGES:
        assert f'href="{reverse(f"posts:{name}")}"' in page
    assert f'href="{reverse("posts:tag", args=["déjà-vu"])}"' in page
