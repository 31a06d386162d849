"""Authors' workflow in the admin: states, scheduling, publishing and unpublishing."""

import contextlib
import threading
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

import posts.admin
from posts.models import EditConflict, Post
from posts.versions import record_version
from tests.test_admin import post_form

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:posts_post_changelist"


def titles(response):
    return sorted(post.title for post in response.context["cl"].result_list)


def test_post_list_shows_and_filters_by_state(admin_client, make_post):
    """The list says Draft, Published or "Scheduled for …", and filters by each."""
    make_post(title="A draft", status=Post.Status.DRAFT)
    make_post(title="Live")
    make_post(title="Coming", published_at=timezone.now() + timedelta(days=2))
    response = admin_client.get(reverse(CHANGELIST))
    assertContains(response, "Scheduled for ")
    assertContains(response, '<td class="field-state">Draft</td>', html=True)
    assertContains(response, '<td class="field-state">Published</td>', html=True)
    for state, expected in [
        ("draft", ["A draft"]),
        ("scheduled", ["Coming"]),
        ("published", ["Live"]),
    ]:
        assert titles(admin_client.get(reverse(CHANGELIST), {"state": state})) == expected


def test_publish_now_publishes_drafts_and_scheduled_posts(admin_client, make_post):
    """ "Publish now" makes the selected posts public at once."""
    draft = make_post(status=Post.Status.DRAFT)
    coming = make_post(published_at=timezone.now() + timedelta(days=2))
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "publish_now", "_selected_action": [draft.pk, coming.pk]},
    )
    assert response.status_code == 302
    for post in (draft, coming):
        post.refresh_from_db()
        assert post.is_published


def test_publish_now_refuses_a_post_with_bad_links(admin_client, make_post):
    """A post linking to a draft is not published by the action, and the message says why."""
    make_post(slug="unfinished", title="Unfinished", status=Post.Status.DRAFT)
    post = make_post(title="Linker", status=Post.Status.DRAFT, body="[x](post:unfinished)")
    response = admin_client.post(
        reverse(CHANGELIST), {"action": "publish_now", "_selected_action": [post.pk]}
    )
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == (
        "“Linker” was not published: “post:unfinished” links to “Unfinished”, which is a draft."
    )


def test_unpublish_takes_posts_back_to_draft(admin_client, make_post, client):
    """ "Unpublish" hides the post from readers at once."""
    post = make_post()
    admin_client.post(reverse(CHANGELIST), {"action": "unpublish", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert client.get(post.get_absolute_url()).status_code == 404


def test_a_scheduled_post_goes_live_at_its_time_without_a_job(client, make_post, monkeypatch):
    """Nothing runs at the scheduled time: the post is simply public from then on."""
    moment = timezone.now() + timedelta(hours=3)
    post = make_post(published_at=moment)
    assert client.get(post.get_absolute_url()).status_code == 404
    monkeypatch.setattr(timezone, "now", lambda: moment + timedelta(seconds=1))
    assert client.get(post.get_absolute_url()).status_code == 200


def test_a_draft_with_a_future_date_is_a_form_error(admin_client, admin_user):
    """A future date only schedules a published post: on a draft it is refused, with why."""
    later = timezone.localtime(timezone.now() + timedelta(days=3))
    response = admin_client.post(
        reverse("admin:posts_post_add"),
        post_form(
            admin_user,
            status="draft",
            published_at_0=later.strftime("%Y-%m-%d"),
            published_at_1=later.strftime("%H:%M:%S"),
        ),
    )
    [error] = response.context["adminform"].form.errors["published_at"]
    assert error.startswith("A draft is not scheduled.")
    assert not Post.objects.exists()


@pytest.fixture
def author_client(client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("writer", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Author"))
    client.force_login(user)
    return client


def test_authors_write_posts_but_manage_no_users(author_client, make_post):
    """The Author group writes posts, sees series and tags, and cannot reach users or groups."""
    assert author_client.get(reverse("admin:posts_post_add")).status_code == 200
    assert author_client.get(reverse("admin:posts_series_changelist")).status_code == 200
    assert author_client.get(reverse("admin:taggit_tag_changelist")).status_code == 200
    for name in ("admin:auth_user_changelist", "admin:auth_group_changelist",
                 "admin:auth_user_add"):  # fmt: skip
        assert author_client.get(reverse(name)).status_code == 403
    index = author_client.get(reverse("admin:index")).content.decode()
    assert "/admin/auth/" not in index


def test_only_staff_reach_the_admin(client, django_user_model):
    """A logged-in user who is not staff is sent to the login page."""
    user = django_user_model.objects.create_user("reader", password="pw")
    client.force_login(user)
    response = client.get(reverse("admin:posts_post_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_demo_author_is_an_author_not_a_superuser():
    """load_demo puts its author in the Author group, without superuser rights."""
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("load_demo", with_login=True, stdout=StringIO())
    demo = get_user_model().objects.get(username="demo")
    assert demo.is_staff and not demo.is_superuser
    assert list(demo.groups.values_list("name", flat=True)) == ["Author"]
    assert demo.has_perm("posts.change_post") and not demo.has_perm("auth.change_user")


def test_tags_differing_only_in_case_are_one_tag(admin_client, admin_user, make_post):
    """Typed twice in one save, or matching an existing tag, a name makes no second tag."""
    from taggit.models import Tag

    make_post(tags=["Sleep"])
    response = admin_client.post(
        reverse("admin:posts_post_add"),
        post_form(admin_user, tags="Gut Health, gut health, GUT HEALTH, sleep"),
    )
    assert response.status_code == 302
    post = Post.objects.get(slug="sleep-and-the-microbiome")
    assert sorted(tag.name.casefold() for tag in post.tags.all()) == ["gut health", "sleep"]
    assert post.tags.get(name__iexact="sleep").name == "Sleep"  # the existing spelling
    assert Tag.objects.count() == 2


def test_the_database_refuses_a_tag_that_differs_only_in_case(make_post):
    """Even code that bypasses the forms cannot create "sleep" beside "Sleep"."""
    from django.db import IntegrityError, transaction
    from taggit.models import Tag

    Tag.objects.create(name="Sleep", slug="sleep")
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name="sleep", slug="sleep-2")


def test_merging_tags_moves_posts_and_removes_the_merged_tags(admin_client, make_post, client):
    """The merge keeps the most used tag, moves every post to it once, and deletes the rest."""
    from taggit.models import Tag

    both = make_post(title="Both", tags=["Gut Health", "Gut"])
    make_post(title="Main", tags=["Gut Health"])
    make_post(title="Another", tags=["Gut Health"])
    only_old = make_post(title="Old only", tags=["Gut"])
    ids = list(Tag.objects.values_list("pk", flat=True))
    response = admin_client.post(
        reverse("admin:taggit_tag_changelist"),
        {"action": "merge_into_most_used", "_selected_action": ids},
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Merged “Gut” into “Gut Health”."
    ]
    assert list(Tag.objects.values_list("name", flat=True)) == ["Gut Health"]
    for post in (both, only_old):
        assert [tag.name for tag in post.tags.all()] == ["Gut Health"]
    assert client.get("/tags/gut/").status_code == 404
    tag_page = client.get("/tags/gut-health/").content.decode()
    assert "Old only" in tag_page and "4 posts" in tag_page


def change_form(admin_client, post, **overrides):
    """The change form's data as the browser would send it, with overrides."""
    from tests.test_admin import inline_management

    form = (
        admin_client.get(reverse("admin:posts_post_change", args=[post.pk]))
        .context["adminform"]
        .form
    )
    moment = timezone.localtime(post.published_at)
    data = {
        "title": post.title,
        "slug": post.slug,
        "author": str(post.author_id),
        "summary": post.summary,
        "body": post.body,
        "status": post.status,
        "published_at_0": moment.strftime("%Y-%m-%d"),
        "published_at_1": moment.strftime("%H:%M:%S"),
        "tags": ", ".join(tag.name for tag in post.tags.all()),
        "based_on_version": str(form["based_on_version"].value()),
        **inline_management("series_parts"),
        **inline_management("resources"),
    }
    data.update(overrides)
    return data


def test_a_save_over_someone_elses_newer_save_is_refused(
    admin_client, make_post, django_user_model
):
    """Two authors open the same post; the second save is refused, naming who saved and when,
    and keeps the second author's text in the form."""
    post = make_post(body="Original text.")
    first_tab = change_form(admin_client, post, body="First author's text.")
    second_tab = change_form(admin_client, post, body="Second author's text.")
    url = reverse("admin:posts_post_change", args=[post.pk])
    assert admin_client.post(url, first_tab).status_code == 302

    response = admin_client.post(url, second_tab)
    assert response.status_code == 200
    assertContains(response, "admin saved this post at ")
    assertContains(response, "after you opened it. Nothing of yours was saved")
    assertContains(response, "Second author&#x27;s text.")
    post.refresh_from_db()
    assert post.body == "First author's text.\n"


def test_saving_a_post_read_before_someone_elses_save_is_refused(make_post):
    """The save itself is conditional on the version it was read at: an older copy of the
    post changes nothing, whatever code saves it."""
    post = make_post(body="Original text.")
    older_copy = Post.objects.get(pk=post.pk)
    post.body = "Newer text."
    post.save()
    older_copy.body = "Older text."
    with pytest.raises(EditConflict):
        older_copy.save()
    post.refresh_from_db()
    assert (post.body, post.version) == ("Newer text.\n", 2)


@pytest.mark.parametrize("action", ["unpublish", "restore"])
def test_an_action_on_a_post_saved_meanwhile_changes_nothing_and_says_so(
    admin_client, make_post, monkeypatch, action
):
    """Unpublishing or restoring a version just after someone else saved the post leaves
    their save in place, and tells the user."""
    post = make_post(title="First title")
    record_version(post)

    def someone_saves_first(post_id):
        other = Post.objects.get(pk=post_id)
        other.title = "Saved meanwhile"
        other.save()

    monkeypatch.setattr(posts.admin, "keep_stored_version", someone_saves_first)
    if action == "unpublish":
        response = admin_client.post(
            reverse(CHANGELIST), {"action": "unpublish", "_selected_action": [post.pk]}
        )
        failure = "“First title” was not unpublished"
    else:
        response = admin_client.post(reverse("admin:posts_post_version", args=[post.pk, 1]))
        failure = "Version 1 was not restored"
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{failure}: someone else saved it a moment ago."
    ]
    post.refresh_from_db()
    assert (post.title, post.status, post.version) == ("Saved meanwhile", "published", 2)


# Rows written by other threads need real commits; the database is restored afterwards for
# the tests that follow, as the browser tests' is.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_saves_in_the_same_instant_cannot_both_land(make_post, admin_user, monkeypatch):
    """Two authors press Save at once, each form based on the same version: both pass
    validation before either writes, yet only one save lands; the other author is told, with
    their text kept, and the history holds one new version."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time into the database, not two threads")
    post = make_post(body="Original text.")
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:posts_post_change", args=[post.pk])
    forms = [change_form(client, post, body=f"Text from tab {tab}.") for tab in (1, 2)]
    both_validated = threading.Barrier(2, timeout=30)
    keep_stored_version = posts.admin.keep_stored_version

    def after_validation(post_id):
        # Saving starts here, after the form's check of the version: wait for the other save.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_validated.wait()
        keep_stored_version(post_id)

    monkeypatch.setattr(posts.admin, "keep_stored_version", after_validation)
    responses = {}

    def save(tab):
        tab_client = Client()
        tab_client.force_login(admin_user)
        try:
            responses[tab] = tab_client.post(url, forms[tab - 1])
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(tab,)) for tab in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(response.status_code for response in responses.values()) == [200, 302]
    [(loser, refused)] = [(tab, r) for tab, r in responses.items() if r.status_code == 200]
    assertContains(refused, "after you opened it. Nothing of yours was saved")
    assertContains(refused, f"Text from tab {loser}.")
    winner = 3 - loser
    post.refresh_from_db()
    assert (post.body, post.version) == (f"Text from tab {winner}.\n", 2)
    assert list(post.versions.values_list("number", "body")) == [
        (2, f"Text from tab {winner}.\n"),
        (1, "Original text.\n"),
    ]


def test_every_save_is_kept_and_an_old_version_can_be_restored(admin_client, make_post):
    """Versions keep title, text, summary, tags and resources; restoring brings them back."""
    from tests.test_admin import inline_management

    post = make_post(title="First title", body="First text.", tags=["Sleep"])
    url = reverse("admin:posts_post_change", args=[post.pk])
    data = change_form(admin_client, post)
    data.update(inline_management("resources", total=1))
    data.update({"resources-0-number": "1", "resources-0-title": "A study"})
    assert admin_client.post(url, data).status_code == 302  # version 2, with a resource
    post.refresh_from_db()
    edited = change_form(admin_client, post, title="Second title", body="Second text.", tags="Gut")
    edited.update(
        {
            "resources-TOTAL_FORMS": "1",
            "resources-INITIAL_FORMS": "1",
            "resources-0-id": str(post.resources.get().pk),
            "resources-0-post": str(post.pk),
            "resources-0-number": "1",
            "resources-0-title": "A study",
            "resources-0-DELETE": "on",
        }
    )
    assert admin_client.post(url, edited).status_code == 302  # version 3
    post.refresh_from_db()
    assert (post.title, post.version, post.resources.count()) == ("Second title", 3, 0)
    assert [v.number for v in post.versions.all()] == [3, 2, 1]  # 1: as first created

    version_url = reverse("admin:posts_post_version", args=[post.pk, 2])
    page = admin_client.get(version_url)
    assertContains(page, "First&nbsp;text.")  # the diff keeps spaces
    assertContains(page, "Second&nbsp;text.")
    assertContains(page, 'class="diff"')
    assertContains(page, "restoring brings them back too")
    response = admin_client.post(version_url)
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.title, post.body) == ("First title", "First text.\n")
    assert [tag.name for tag in post.tags.all()] == ["Sleep"]
    assert list(post.resources.values_list("title", flat=True)) == ["A study"]
    assert post.versions.first().number == post.version == 4


def test_versions_need_the_right_to_change_the_post(client, make_post, django_user_model):
    """Staff without the right to change posts cannot see or restore versions."""
    post = make_post()
    record_version(post)
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(user)
    url = reverse("admin:posts_post_version", args=[post.pk, post.version])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403


def test_restoring_a_version_with_links_now_broken_is_refused(admin_client, make_post):
    """A published post does not get back text whose links now lead to a draft."""
    target = make_post(slug="target", title="Target")
    post = make_post(body="[see](post:target)")
    record_version(post)
    post.body = "No links now."
    post.save()
    target.status = Post.Status.DRAFT
    target.save()
    response = admin_client.post(reverse("admin:posts_post_version", args=[post.pk, 1]))
    post.refresh_from_db()
    assert post.body == "No links now.\n"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Version 1 was not restored: “post:target” links to “Target”")


def test_preview_renders_the_text_as_readers_will_see_it(admin_client, make_post):
    """The preview uses the site's page and renderer: links resolve, scripts are gone."""
    make_post(slug="earlier", title="Earlier")
    response = admin_client.post(
        reverse("admin:posts_post_preview"),
        {
            "title": "Draft title",
            "summary": "Short.",
            "body": "## Heading\n\nSee [it](post:earlier). <script>alert(1)</script>",
        },
    )
    assert response.status_code == 200
    assertContains(response, "<h1>Draft title</h1>", html=True)
    assertContains(
        response,
        '<h2 id="md-heading">Heading <a aria-label="Link to this section" class="permalink"'
        ' href="#md-heading">#</a></h2>',
        html=True,
    )
    assertContains(response, '<a href="/posts/earlier/">it</a>', html=True)
    assertContains(response, "posts/site.css")
    assert "<script>alert" not in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_preview_is_for_staff_with_a_csrf_token_only(client, django_user_model):
    """Anonymous visitors are sent to log in; a cross-site post is refused."""
    url = reverse("admin:posts_post_preview")
    response = client.post(url, {"body": "x"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    from django.test import Client

    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert strict.post(url, {"body": "x"}).status_code == 403


def test_staff_see_drafts_at_their_address_with_a_banner(client, admin_client, make_post):
    """A draft or scheduled post opens for staff, marked and never cached; for others, 404."""
    draft = make_post(title="Unfinished", status=Post.Status.DRAFT)
    later = make_post(title="Coming", published_at=timezone.now() + timedelta(days=2))
    response = admin_client.get(draft.get_absolute_url())
    assertContains(response, "Draft — not public")
    assertContains(response, '<meta name="robots" content="noindex, follow">')
    assert "no-cache" in response["Cache-Control"]
    assertContains(admin_client.get(later.get_absolute_url()), "Scheduled for ")
    for post in (draft, later):
        assert client.get(post.get_absolute_url()).status_code == 404
    public = make_post(title="Public")
    assert "Draft — not public" not in admin_client.get(public.get_absolute_url()).content.decode()


def test_a_tag_differing_only_in_case_is_a_tag_form_error(admin_client, make_post):
    """The tag form names the existing tag instead of failing."""
    make_post(tags=["Sleep"])
    response = admin_client.post(reverse("admin:taggit_tag_add"), {"name": "sleep", "slug": "x"})
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["name"]
    assert error.startswith("There is a tag “Sleep” already")


def test_preview_ignores_a_bad_post_id_and_guards_others_posts(admin_client, client, make_post,
                                                                django_user_model):  # fmt: skip
    """A post id that is not a number previews the text alone; staff without rights to a post
    cannot preview its resources."""
    assert (
        admin_client.post(reverse("admin:posts_post_preview"), {"post": "abc"}).status_code == 200
    )
    post = make_post(status=Post.Status.DRAFT)
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    response = client.post(reverse("admin:posts_post_preview"), {"post": str(post.pk)})
    assert response.status_code == 403


def test_the_first_admin_save_keeps_the_post_as_it_was(admin_client, make_post):
    """A post written elsewhere keeps its starting text in the history after an admin edit."""
    post = make_post(body="Written in code.")
    assert not post.versions.exists()
    admin_client.post(
        reverse("admin:posts_post_change", args=[post.pk]), change_form(admin_client, post,
                                                                        body="Edited.")
    )  # fmt: skip
    assert [(v.number, v.body) for v in post.versions.all()] == [
        (2, "Edited.\n"),
        (1, "Written in code.\n"),
    ]


def test_actions_record_who_changed_the_post(admin_client, admin_user, make_post):
    """Publishing from the list counts as a save by that user, kept in the history."""
    draft = make_post(status=Post.Status.DRAFT)
    admin_client.post(
        reverse(CHANGELIST), {"action": "publish_now", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.updated_by == admin_user
    assert draft.versions.first().saved_by == admin_user


def test_unpublishing_a_scheduled_post_clears_its_future_date(admin_client, make_post):
    """A scheduled post taken back to draft keeps no date ahead, so it saves again as is."""
    post = make_post(published_at=timezone.now() + timedelta(days=3))
    admin_client.post(reverse(CHANGELIST), {"action": "unpublish", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert (post.status, post.published_at) == (Post.Status.DRAFT, None)


def test_comparing_long_texts_lists_the_changed_lines(admin_client, make_post):
    """A long rewrite is compared as a list of changed lines, quickly."""
    post = make_post(body="\n".join(f"Line {n}" for n in range(400)))
    record_version(post)
    post.body = "\n".join(f"Changed {n}" for n in range(400))
    post.save()
    page = admin_client.get(reverse("admin:posts_post_version", args=[post.pk, 1]))
    assertContains(page, "<pre>--- Version 1")
    assertContains(page, "+++ Now")
    assertContains(page, "-Line 399")
