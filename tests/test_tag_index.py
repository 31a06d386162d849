"""The tags index: every tag with published posts, A to Z, with how many each has."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from posts.models import Post

pytestmark = pytest.mark.django_db


def index_rows(client):
    content = client.get(reverse("posts:tag_list")).content.decode()
    listing = content.split('<ul class="tag-index">')[1].split("</ul>")[0]
    return [line.strip() for line in listing.splitlines() if line.strip()]


def test_the_index_lists_public_tags_alphabetically_with_their_counts(client, make_post):
    """Tags sort as readers read them, whatever their case, and count published posts only;
    each links to its page."""
    make_post(tags=["Sleep", "microbiome"])
    make_post(tags=["Sleep", "Über den Darm"])
    make_post(tags=["Sleep"], status=Post.Status.DRAFT)
    make_post(tags=["Anxiety"], published_at=timezone.now() + timedelta(hours=1))
    assert index_rows(client) == [
        '<li><a href="/tags/microbiome/">microbiome</a> <span class="count">1 post</span></li>',
        '<li><a href="/tags/sleep/">Sleep</a> <span class="count">2 posts</span></li>',
        f'<li><a href="{reverse("posts:tag", args=["über-den-darm"])}">Über den Darm</a> '
        '<span class="count">1 post</span></li>',
    ]


def test_tags_of_drafts_and_scheduled_posts_are_not_listed(client, make_post):
    """A tag whose posts are not public yet stays unknown, as its page does."""
    make_post(tags=["Embargoed"], status=Post.Status.DRAFT)
    make_post(tags=["Tomorrow"], published_at=timezone.now() + timedelta(hours=1))
    response = client.get(reverse("posts:tag_list"))
    assertContains(response, "No tags yet.")
    assertNotContains(response, "Embargoed")
    assertNotContains(response, "Tomorrow")


def test_every_page_links_the_index_from_the_site_navigation(client, make_post):
    post = make_post(tags=["Sleep"])
    for url in ("/", post.get_absolute_url(), reverse("posts:tag_list")):
        navigation = client.get(url).content.decode().split('<nav aria-label="Site">')[1]
        assert '<li><a href="/tags/">Tags</a></li>' in navigation.split("</nav>")[0]
