"""Addresses from a site brought in from elsewhere answer with one redirect to where their post,
tag or series is now, and never stand in the way of gutbrain's own addresses."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from posts.former_addresses import FormerAddress
from posts.models import Post, Series

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(make_post):
    post = make_post(title="The vagus nerve", slug="vagus-nerve", tags=["Nerves"])
    for path in ("/2019/05/12/vagus-nerve/", "/?p=42", "/vagus-nerve/"):
        FormerAddress.objects.create(path=path, post=post)
    return post


def followed_once(client, path):
    """The redirect, checked to lead to a page in one hop."""
    response = client.get(path)
    assert response.status_code == 301, path
    target = client.get(response["Location"])
    assert target.status_code == 200, (path, response["Location"])
    return response["Location"]


def test_an_old_address_leads_to_the_post_in_one_redirect(client, post):
    """With or without its last slash, encoded or not."""
    for path in ("/2019/05/12/vagus-nerve/", "/2019/05/12/vagus-nerve", "/vagus-nerve/"):
        assert followed_once(client, path) == post.get_absolute_url()


def test_wordpress_post_ids_on_the_home_page_lead_to_the_post(client, post):
    assert followed_once(client, "/?p=42") == post.get_absolute_url()
    assert client.get("/?p=43").status_code == 200  # the home page, as without it
    assert client.get("/").status_code == 200


def test_a_renamed_post_is_still_one_redirect_away(client, post):
    post.slug = "the-vagus-nerve"
    post.save()
    assert followed_once(client, "/2019/05/12/vagus-nerve/") == "/posts/the-vagus-nerve/"


def test_a_post_that_is_not_public_is_not_given_away(client, post):
    Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)
    assert client.get("/2019/05/12/vagus-nerve/").status_code == 404
    assert client.get("/?p=42").status_code == 200


def test_gutbrain_s_own_addresses_win(client, post, make_post):
    other = make_post(title="Archive")
    FormerAddress.objects.create(path="/archive/", post=other)
    FormerAddress.objects.create(path=post.get_absolute_url(), post=other)
    assert client.get("/archive/").status_code == 200
    assert client.get(post.get_absolute_url()).context["post"] == post


def test_old_tag_and_category_addresses_lead_to_tag_and_series_pages(client, post):
    series = Series.objects.create(title="Nerves of the gut")
    series.parts.create(post=post, position=1)
    FormerAddress.objects.create(path="/tag/nerves/", tag=post.tags.get())
    FormerAddress.objects.create(path="/category/science/nerves/", series=series)
    assert followed_once(client, "/tag/nerves/") == reverse("posts:tag", args=["nerves"])
    assert followed_once(client, "/category/science/nerves/") == series.get_absolute_url()


def test_the_old_feed_address_leads_to_the_feed(client, post):
    assert followed_once(client, "/feed/") == reverse("posts:feed_rss")
    assert client.get("/nothing-here/").status_code == 404


def test_redirects_carry_the_security_headers_and_are_not_kept(client, post, settings):
    settings.GUTBRAIN_PAGE_CACHE = True
    first = client.get("/vagus-nerve/")
    assert first.status_code == 301
    assert first["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in first
    post.slug = "renamed"
    post.save()
    assert client.get("/vagus-nerve/")["Location"] == "/posts/renamed/"


def test_only_reading_requests_are_redirected(client, post):
    assert client.post("/vagus-nerve/").status_code in (403, 404, 405)


def test_the_post_admin_lists_its_old_addresses(admin_client, post):
    response = admin_client.get(reverse("admin:posts_post_change", args=[post.pk]))
    assert response.status_code == 200
    assert "/2019/05/12/vagus-nerve/" in response.content.decode()


def staff_client(client, django_user_model, group):
    user = django_user_model.objects.create_user(group.lower(), password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def test_editors_see_every_old_address_and_correct_where_one_leads(
    client, django_user_model, post, make_post
):
    FormerAddress.objects.create(path="/tag/nerves/", tag=post.tags.get())
    editor = staff_client(client, django_user_model, "Editor")
    listing = editor.get(reverse("admin:posts_formeraddress_changelist")).content.decode()
    assert "/tag/nerves/" in listing and "tag: Nerves" in listing
    assert "/?p=42" in listing and "post: The vagus nerve" in listing
    tags_only = reverse("admin:posts_formeraddress_changelist") + "?leads_to=tag"
    listing = editor.get(tags_only).content.decode()
    assert "/tag/nerves/" in listing and "/?p=42" not in listing
    other = make_post(title="Elsewhere", slug="elsewhere")
    address = FormerAddress.objects.get(path="/?p=42")
    change = reverse("admin:posts_formeraddress_change", args=[address.pk])
    both = editor.post(change, {"path": "/?p=42", "post": other.pk, "tag": post.tags.get().pk})
    assert both.status_code == 200 and "errornote" in both.content.decode()
    assert FormerAddress.objects.get(pk=address.pk).post == post  # nothing half-changed
    editor.post(change, {"path": "/?p=42", "post": other.pk})
    assert client.get("/?p=42")["Location"] == "/posts/elsewhere/"


def test_authors_do_not_see_old_addresses(client, django_user_model, post):
    author = staff_client(client, django_user_model, "Author")
    assert author.get(reverse("admin:posts_formeraddress_changelist")).status_code == 403
    assert "Former addresses" not in author.get(reverse("admin:index")).content.decode()
