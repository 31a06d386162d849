"""Comparing any two saved versions of a post, not only a version with the post as it is."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from posts.models import Post
from posts.versions import record_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_versions(make_post):
    post = make_post(title="Sleep", body="Alpha", tags=["Sleep"])
    record_version(post)
    for number, text in ((2, "Beta"), (3, "Gamma")):
        Post.objects.filter(pk=post.pk).update(body=text, version=number)
        post.refresh_from_db()
        record_version(post)
    Post.objects.filter(pk=post.pk).update(body="Present", version=4)
    return Post.objects.get(pk=post.pk)


def version_page(client, post, number, **query):
    return client.get(reverse("admin:posts_post_version", args=[post.pk, number]), query)


def test_a_version_is_compared_with_the_post_as_it_is_by_default(admin_client, three_versions):
    page = version_page(admin_client, three_versions, 1)
    assertContains(page, "Alpha")
    assertContains(page, "Present")
    assertContains(page, '<option value="" selected>the post as it is now</option>', html=True)


def test_any_two_versions_can_be_compared(admin_client, three_versions):
    page = version_page(admin_client, three_versions, 1, **{"with": "3"})
    assertContains(page, "Alpha")
    assertContains(page, "Gamma")
    assertNotContains(page, "Present")
    assertNotContains(page, "Beta")
    assertContains(page, "Version 3")
    assertContains(page, '<option value="3" selected>version 3</option>', html=True)
    # Restoring still restores the version the page is about.
    admin_client.post(reverse("admin:posts_post_version", args=[three_versions.pk, 1]))
    assert Post.objects.get(pk=three_versions.pk).body == "Alpha\n"


def test_two_versions_alike_say_so(admin_client, three_versions):
    Post.objects.filter(pk=three_versions.pk).update(body="Alpha\n", version=5)
    record_version(Post.objects.get(pk=three_versions.pk))
    page = version_page(admin_client, three_versions, 1, **{"with": "5"})
    assertContains(page, "the same in version 1 and version 5")


@pytest.mark.parametrize("other", ["1", "99", "abc", "-1"])
def test_comparing_with_no_other_version_is_a_404(admin_client, three_versions, other):
    assert version_page(admin_client, three_versions, 1, **{"with": other}).status_code == 404


def test_version_pages_use_the_admins_breadcrumbs_and_name_versions_apart_from_history(
    admin_client, three_versions
):
    page = version_page(admin_client, three_versions, 2)
    assertContains(page, '<li aria-current="page">Version 2</li>', html=True)
    assertContains(page, '<ol class="breadcrumbs">')
    form = admin_client.get(reverse("admin:posts_post_change", args=[three_versions.pk]))
    content = form.content.decode()
    assert "Saved versions" in content
    # The admin's own History (who changed what) keeps that name; the versions have theirs.
    assert content.count(">History<") == 1
