"""The author page, its feeds and the tags index run a fixed number of queries, however many
posts and tags there are; once built, the page cache serves them with none."""

import pytest
from django.db import transaction
from django.urls import reverse

from posts.images import Image
from posts.models import AuthorProfile, Resource
from tests.test_images import image_file
from tests.test_queries import TAGS

pytestmark = pytest.mark.django_db

# page -> expected queries. The count of a listing is remembered until content changes; the
# first page to need it after a change also looks up the next scheduled publication ("next").
EXPECTED_QUERIES = {
    "author": 5,  # profile with photo, count, next, posts with authors, their tags
    "author_feed": 5,  # profile, any public post, posts with authors and profiles, tags, resources
    "tag_list": 1,  # tags with their published posts counted
    "post": 7,  # as tests/test_queries.py: the byline's profile comes with the post's author
}
# Once the listing's count is remembered.
EXPECTED_QUERIES_REMEMBERED = {"author": 3}  # profile with photo, posts with authors, tags


@pytest.fixture(params=[1, 50], ids=["1-post", "50-posts"])
def site(request, make_post, author):
    photo = Image.objects.create(file=image_file(), alt_text="A portrait")
    AuthorProfile.objects.create(
        user=author, slug="ada-writer", display_name="Ada Writer", bio="Writes.", photo=photo
    )
    posts = []
    with transaction.atomic():  # written as one save of many posts: what it sets off runs once
        for number in range(request.param):
            post = make_post(tags=[*TAGS, f"Topic {number}"])
            Resource.objects.bulk_create(
                Resource(post=post, number=n, title=f"Study {n}") for n in range(1, 4)
            )
            posts.append(post)
    return posts


def urls_for(posts):
    return {
        "author": reverse("posts:author", args=["ada-writer"]),
        "author_feed": reverse("posts:author_feed_atom", args=["ada-writer"]),
        "tag_list": reverse("posts:tag_list"),
        "post": posts[len(posts) // 2].get_absolute_url(),
    }


@pytest.mark.parametrize("page", EXPECTED_QUERIES)
def test_pages_run_a_constant_number_of_queries(
    client, site, page, settings, django_assert_num_queries
):
    """The same count with 1 post and with 50 posts, each of 6 tags."""
    settings.GUTBRAIN_PAGE_CACHE = False
    with django_assert_num_queries(EXPECTED_QUERIES[page]):
        response = client.get(urls_for(site)[page])
    assert response.status_code == 200
    count = len(site)
    plural = "s" if count > 1 else ""
    shown = {
        "author": f"{count} post{plural} · Subscribe",
        "author_feed": site[-1].title,
        "tag_list": f'<span class="count">{count} post{plural}</span>',
        "post": '<a href="/authors/ada-writer/" rel="author">Ada Writer</a>',
    }
    assert shown[page] in response.content.decode()


@pytest.mark.parametrize("page", EXPECTED_QUERIES_REMEMBERED)
def test_remembered_counts_are_not_queried_again(
    client, site, page, settings, django_assert_num_queries
):
    settings.GUTBRAIN_PAGE_CACHE = False
    url = urls_for(site)[page]
    first = client.get(url).content.decode()
    with django_assert_num_queries(EXPECTED_QUERIES_REMEMBERED[page]):
        again = client.get(url).content.decode()
    assert again == first


@pytest.mark.parametrize("page", EXPECTED_QUERIES)
def test_the_page_cache_keeps_them(client, site, page, django_assert_num_queries):
    """Each is one of the page cache's views: the second reader costs no query."""
    url = urls_for(site)[page]
    first = client.get(url)
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.content == first.content


def test_the_page_cache_keeps_each_page_of_an_author(
    client, site, settings, django_assert_num_queries
):
    """The page number is part of the kept page: a later page is kept as the first is."""
    settings.GUTBRAIN_POSTS_PER_PAGE = 1
    url = reverse("posts:author", args=["ada-writer"]) + f"?page={len(site)}"
    first = client.get(url)
    assert first.context["page"].number == len(site)
    with django_assert_num_queries(0):
        assert client.get(url).content == first.content
