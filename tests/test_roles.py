"""Roles in the admin: Authors work on their own posts only, bylined by themselves; Editors work
on every post, series and tag; neither manages users."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains
from taggit.models import Tag

from posts.models import Post, Series, SeriesPart
from posts.versions import record_version
from tests.test_admin import inline_management, post_form
from tests.test_authoring import change_form

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:posts_post_changelist"


def member_of(group, username, django_user_model):
    user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def writer(django_user_model):
    return member_of("Author", "writer", django_user_model)


@pytest.fixture
def writer_client(writer):
    return logged_in(writer)


@pytest.fixture
def editor(django_user_model):
    return member_of("Editor", "editor", django_user_model)


@pytest.fixture
def editor_client(editor):
    return logged_in(editor)


@pytest.fixture
def others_post(make_post):
    """A post by someone else (the user "ada")."""
    return make_post(title="Ada's post", body="Ada's text.")


def saved_form(post, **overrides):
    """The post's change form as saved, for posting where the form cannot be opened."""
    saved = {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "status": post.status,
        "based_on_version": str(post.version),
        "tags": "",
    }
    return post_form(post.author, **{**saved, **overrides})


def test_an_author_lists_and_opens_only_their_own_posts(writer, writer_client, make_post,
                                                        others_post):  # fmt: skip
    """The post list shows an author their own posts; another's post does not open."""
    own = make_post(title="My post", author=writer)
    listed = writer_client.get(reverse(CHANGELIST))
    assert [post.title for post in listed.context["cl"].result_list] == ["My post"]
    assertNotContains(listed, "Ada&#x27;s post")
    assertContains(writer_client.get(reverse("admin:posts_post_change", args=[own.pk])), "My post")
    response = writer_client.get(
        reverse("admin:posts_post_change", args=[others_post.pk]), follow=True
    )
    assertNotContains(response, "Ada&#x27;s text.")
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith(f"post with ID “{others_post.pk}” doesn")


def test_an_editor_lists_and_opens_every_post(editor_client, others_post):
    """Editors see everyone's posts in the list and open them."""
    listed = editor_client.get(reverse(CHANGELIST))
    assert [post.title for post in listed.context["cl"].result_list] == ["Ada's post"]
    page = editor_client.get(reverse("admin:posts_post_change", args=[others_post.pk]))
    assertContains(page, "Ada&#x27;s text.")


def test_an_author_edits_their_own_post_but_not_anothers(writer, writer_client, make_post,
                                                         others_post):  # fmt: skip
    """An author's save changes their own post; posting a form for another's post changes
    nothing."""
    own = make_post(author=writer, body="Before.")
    url = reverse("admin:posts_post_change", args=[own.pk])
    response = writer_client.post(url, change_form(writer_client, own, body="After."))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.body == "After.\n"

    url = reverse("admin:posts_post_change", args=[others_post.pk])
    writer_client.post(url, saved_form(others_post, body="Taken over."))
    others_post.refresh_from_db()
    assert (others_post.body, others_post.version) == ("Ada's text.\n", 1)


def test_an_editor_edits_anothers_post_and_sets_its_byline(editor_client, others_post,
                                                            django_user_model):  # fmt: skip
    """An editor changes anyone's text, and chooses the byline among staff."""
    guest = django_user_model.objects.create_user("guest", is_staff=True)
    url = reverse("admin:posts_post_change", args=[others_post.pk])
    data = change_form(editor_client, others_post, body="Edited.", author=str(guest.pk))
    assert editor_client.post(url, data).status_code == 302
    others_post.refresh_from_db()
    assert (others_post.body, others_post.author) == ("Edited.\n", guest)


def test_an_authors_post_is_bylined_by_them_whatever_the_form_says(writer, writer_client,
                                                                   admin_user):  # fmt: skip
    """A forged author in the add or change form is ignored: the byline is the author's."""
    response = writer_client.post(reverse("admin:posts_post_add"), post_form(admin_user))
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.author == writer
    url = reverse("admin:posts_post_change", args=[post.pk])
    writer_client.post(url, change_form(writer_client, post, author=str(admin_user.pk)))
    post.refresh_from_db()
    assert (post.author, post.version) == (writer, 2)  # saved, byline kept


def test_an_author_sees_no_staff_names(writer, writer_client, make_post, django_user_model):
    """The post form has no author field for an author, so no list of staff user names, and
    the admin's autocomplete does not look users up for them."""
    django_user_model.objects.create_superuser("root", password="pw")
    member_of("Author", "colleague", django_user_model)
    own = make_post(author=writer)
    for url in (
        reverse("admin:posts_post_add"),
        reverse("admin:posts_post_change", args=[own.pk]),
    ):
        page = writer_client.get(url)
        assertContains(page, 'name="title"')
        assertNotContains(page, 'name="author"')
        assertNotContains(page, "root")
        assertNotContains(page, "colleague")
    response = writer_client.get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "posts", "model_name": "post", "field_name": "author"},
    )
    assert response.status_code == 403
    assertNotContains(response, "root", status_code=403)


def test_an_editor_chooses_among_staff_names(editor_client, django_user_model):
    """The editor's post form offers staff as authors, not other users."""
    django_user_model.objects.create_user("colleague", is_staff=True)
    django_user_model.objects.create_user("reader")
    page = editor_client.get(reverse("admin:posts_post_add"))
    assertContains(page, 'name="author"')
    assertContains(page, ">colleague</option>")
    assertNotContains(page, ">reader</option>")


def test_an_author_deletes_their_own_draft_and_published_post(writer, writer_client,
                                                              make_post):  # fmt: skip
    """An author deletes their own posts, from the post's page or from the list."""
    draft = make_post(author=writer, status=Post.Status.DRAFT)
    published = make_post(author=writer)
    url = reverse("admin:posts_post_delete", args=[draft.pk])
    assertContains(writer_client.get(url), "Are you sure")
    assert writer_client.post(url, {"post": "yes"}).status_code == 302
    writer_client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", "_selected_action": [published.pk], "post": "yes"},
    )
    assert not Post.objects.exists()


def test_an_author_cannot_delete_anothers_post(writer_client, others_post):
    """Neither the delete page nor the list's delete action removes another's post."""
    writer_client.post(reverse("admin:posts_post_delete", args=[others_post.pk]), {"post": "yes"})
    writer_client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", "_selected_action": [others_post.pk], "post": "yes"},
    )
    assert list(Post.objects.all()) == [others_post]


def test_an_editor_deletes_anothers_post(editor_client, others_post):
    """Editors delete anyone's posts."""
    url = reverse("admin:posts_post_delete", args=[others_post.pk])
    assert editor_client.post(url, {"post": "yes"}).status_code == 302
    assert not Post.objects.exists()


def test_an_author_publishes_and_unpublishes_only_their_own_posts(writer, writer_client,
                                                                  make_post):  # fmt: skip
    """The list's actions, given another's post among the selected, leave it as it is."""
    own, others = make_post(author=writer), make_post(title="Ada's")
    writer_client.post(
        reverse(CHANGELIST), {"action": "unpublish", "_selected_action": [own.pk, others.pk]}
    )
    own.refresh_from_db(), others.refresh_from_db()
    assert (own.status, others.status) == (Post.Status.DRAFT, Post.Status.PUBLISHED)

    others.status = Post.Status.DRAFT
    others.save()
    writer_client.post(
        reverse(CHANGELIST), {"action": "publish_now", "_selected_action": [own.pk, others.pk]}
    )
    own.refresh_from_db(), others.refresh_from_db()
    assert (own.status, others.status) == (Post.Status.PUBLISHED, Post.Status.DRAFT)


def test_an_editor_publishes_and_unpublishes_anyones_posts(editor, editor_client, make_post):
    """Editors' actions work on every post, and the history names the editor."""
    post = make_post()
    editor_client.post(reverse(CHANGELIST), {"action": "unpublish", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert (post.status, post.updated_by) == (Post.Status.DRAFT, editor)
    editor_client.post(
        reverse(CHANGELIST), {"action": "publish_now", "_selected_action": [post.pk]}
    )
    post.refresh_from_db()
    assert post.is_published


def test_only_the_posts_own_author_or_an_editor_previews_it(writer, writer_client, editor_client,
                                                            make_post, others_post):  # fmt: skip
    """The preview with another's post id is refused to an author, and shown to an editor."""
    url = reverse("admin:posts_post_preview")
    own = make_post(author=writer)
    assertContains(writer_client.post(url, {"post": str(own.pk), "title": "Mine"}), "Mine")
    response = writer_client.post(url, {"post": str(others_post.pk), "title": "Ada's title"})
    assert response.status_code == 403
    assertContains(editor_client.post(url, {"post": str(others_post.pk), "title": "Hers"}), "Hers")


def test_only_the_posts_own_author_or_an_editor_restores_its_versions(
    writer, writer_client, editor_client, make_post, others_post
):
    """An author compares and restores versions of their own post only; an editor of any."""
    own = make_post(author=writer, body="Old.")
    for post in (own, others_post):
        record_version(post)
        post.body = "New."
        post.save()
    url = reverse("admin:posts_post_version", args=[own.pk, 1])
    assertContains(writer_client.get(url), "Old.")
    assert writer_client.post(url).status_code == 302
    url = reverse("admin:posts_post_version", args=[others_post.pk, 1])
    assert writer_client.get(url).status_code == 403
    assert writer_client.post(url).status_code == 403
    others_post.refresh_from_db()
    assert others_post.body == "New.\n"
    assert editor_client.post(url).status_code == 302
    own.refresh_from_db(), others_post.refresh_from_db()
    assert (own.body, others_post.body) == ("Old.\n", "Ada's text.\n")


def test_an_author_reads_their_own_drafts_at_their_address_only(writer, writer_client,
                                                                make_post):  # fmt: skip
    """Drafts are readable at their address by their author and editors, not other authors."""
    own = make_post(author=writer, title="My draft", status=Post.Status.DRAFT)
    others = make_post(title="Ada's draft", status=Post.Status.DRAFT)
    assertContains(writer_client.get(own.get_absolute_url()), "Draft — not public")
    assert writer_client.get(others.get_absolute_url()).status_code == 404


def test_an_authors_post_search_finds_only_their_posts(writer, writer_client, make_post):
    """Choosing a post elsewhere in the admin (a series' parts) offers an author their own."""
    make_post(title="Gut mine", author=writer)
    make_post(title="Gut hers")
    response = writer_client.get(
        reverse("admin:autocomplete"),
        {"term": "gut", "app_label": "posts", "model_name": "seriespart", "field_name": "post"},
    )
    assert [result["text"] for result in response.json()["results"]] == ["Gut mine"]


def test_an_author_creates_tags_through_the_post_form(writer, writer_client, make_post):
    """New tag names in an author's post become tags; existing ones are reused."""
    make_post(tags=["Sleep"])
    response = writer_client.post(
        reverse("admin:posts_post_add"), post_form(writer, tags="sleep, Brand New")
    )
    assert response.status_code == 302
    assert sorted(tag.name for tag in Post.objects.get(author=writer).tags.all()) == [
        "Brand New",
        "Sleep",
    ]
    assert Tag.objects.count() == 2


def test_an_author_cannot_rename_merge_or_delete_tags(writer_client, make_post):
    """Tags stay as they are whatever an author posts to the tag admin."""
    make_post(tags=["Sleep", "Gut"])
    sleep, gut = Tag.objects.get(name="Sleep"), Tag.objects.get(name="Gut")
    change = reverse("admin:taggit_tag_change", args=[sleep.pk])
    assert writer_client.post(change, {"name": "Renamed", "slug": "renamed"}).status_code == 403
    delete = reverse("admin:taggit_tag_delete", args=[gut.pk])
    assert writer_client.post(delete, {"post": "yes"}).status_code == 403
    writer_client.post(
        reverse("admin:taggit_tag_changelist"),
        {"action": "merge_into_most_used", "_selected_action": [sleep.pk, gut.pk]},
    )
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Gut", "Sleep"]


def test_taggits_own_merge_page_is_not_there(writer_client, make_post):
    """taggit's merge page asked for no permission and failed without tags chosen in the
    session: it is gone, and posting to its address merges and creates nothing."""
    make_post(tags=["Sleep"])
    response = writer_client.post("/admin/taggit/tag/merge-tags/", {"new_tag_name": "Merged"})
    assert response.status_code == 302  # the admin's answer to an unknown tag
    assert list(Tag.objects.values_list("name", flat=True)) == ["Sleep"]


def test_an_editor_renames_merges_and_deletes_tags(editor_client, make_post):
    """Editors rename, merge and delete tags."""
    make_post(tags=["Sleep", "Gut"])
    make_post(tags=["Gut", "Mind"])
    gut, sleep, mind = (Tag.objects.get(name=name) for name in ("Gut", "Sleep", "Mind"))
    editor_client.post(
        reverse("admin:taggit_tag_change", args=[mind.pk]), {"name": "Brain", "slug": "brain"}
    )
    editor_client.post(
        reverse("admin:taggit_tag_changelist"),
        {"action": "merge_into_most_used", "_selected_action": [gut.pk, sleep.pk]},
    )
    editor_client.post(reverse("admin:taggit_tag_delete", args=[mind.pk]), {"post": "yes"})
    assert list(Tag.objects.values_list("name", flat=True)) == ["Gut"]


def test_an_author_places_a_post_in_a_series_but_does_not_edit_series(writer, writer_client):
    """An author puts their post in an existing series from the post form, and cannot add,
    change or delete a series."""
    series = Series.objects.create(title="Gut and Mind")
    data = post_form(writer, **inline_management("series_parts", total=1))
    data.update({"series_parts-0-series": str(series.pk), "series_parts-0-position": "1"})
    assert writer_client.post(reverse("admin:posts_post_add"), data).status_code == 302
    assert SeriesPart.objects.get().post.author == writer

    no_parts = inline_management("parts")
    add = writer_client.post(reverse("admin:posts_series_add"), {"title": "Mine", **no_parts})
    change = writer_client.post(
        reverse("admin:posts_series_change", args=[series.pk]),
        {"title": "Renamed", "slug": "renamed", **no_parts},
    )
    delete = writer_client.post(
        reverse("admin:posts_series_delete", args=[series.pk]), {"post": "yes"}
    )
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert list(Series.objects.values_list("title", flat=True)) == ["Gut and Mind"]


def test_an_editor_adds_renames_and_deletes_series(editor_client):
    """Editors manage series."""
    no_parts = inline_management("parts")
    editor_client.post(
        reverse("admin:posts_series_add"), {"title": "Gut", "slug": "gut", **no_parts}
    )
    series = Series.objects.get()
    editor_client.post(
        reverse("admin:posts_series_change", args=[series.pk]),
        {"title": "Renamed", "slug": "gut", **no_parts},
    )
    assert Series.objects.get().title == "Renamed"
    editor_client.post(reverse("admin:posts_series_delete", args=[series.pk]), {"post": "yes"})
    assert not Series.objects.exists()


@pytest.mark.parametrize("group", ["Author", "Editor"])
def test_neither_role_manages_users_groups_or_permissions(group, django_user_model):
    """Only the administrator (a superuser) reaches users and groups."""
    user = member_of(group, "staffer", django_user_model)
    client = logged_in(user)
    assert "/admin/auth/" not in client.get(reverse("admin:index")).content.decode()
    for name in ("admin:auth_user_changelist", "admin:auth_user_add", "admin:auth_group_add"):
        assert client.get(reverse(name)).status_code == 403
    response = client.post(
        reverse("admin:auth_user_change", args=[user.pk]), {"is_superuser": "on"}
    )
    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_superuser
