"""Posts that build on each other: internal links, renames, backlinks, citations, link checks."""

import json
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from posts import models
from posts.models import Post, PreviousSlug, Resource, Series, SeriesPart
from tests.test_admin import inline_management, post_form

pytestmark = pytest.mark.django_db


def links_in(html):
    return re.findall(r'<a href="([^"]*)">', html)


@pytest.fixture
def axis(make_post):
    return make_post(title="The gut-brain axis", slug="the-gut-brain-axis")


@pytest.mark.parametrize(
    "href",
    [
        "post:the-gut-brain-axis",
        "/posts/the-gut-brain-axis/",
        "http://localhost/posts/the-gut-brain-axis/",
        "https://blog.example.org/posts/the-gut-brain-axis/",
    ],
)
def test_links_by_short_form_or_pasted_address_resolve_to_the_post(
    make_post, axis, settings, href
):
    """`post:slug` and this site's own addresses all become a stored link to the post."""
    settings.GUTBRAIN_SITE_URL = "https://blog.example.org"
    post = make_post(body=f"If you recall ([review here]({href})).")
    assert list(post.links.all()) == [axis]
    assert list(axis.linked_from.all()) == [post]
    assert links_in(post.body_html) == ["/posts/the-gut-brain-axis/"]


def test_other_sites_and_other_pages_are_not_internal_links(make_post, axis):
    """A post address on another host, or a tag page, stays an ordinary link."""
    post = make_post(
        body="[a](https://elsewhere.example/posts/the-gut-brain-axis/) [b](/tags/gut-health/)"
    )
    assert not post.links.exists()
    assert "https://elsewhere.example/posts/the-gut-brain-axis/" in post.body_html
    assert 'href="/tags/gut-health/"' in post.body_html


def test_a_fragment_follows_the_link_to_the_heading(make_post, axis):
    """`post:slug#heading` reaches the heading's id in the other post."""
    post = make_post(body="[see](post:the-gut-brain-axis#the-vagus-nerve)")
    assert links_in(post.body_html) == ["/posts/the-gut-brain-axis/#md-the-vagus-nerve"]


def test_links_inside_code_stay_literal(make_post, axis):
    """Code shows the link syntax itself, and links nothing."""
    post = make_post(body="`[a](post:the-gut-brain-axis)`\n\n    [b](post:the-gut-brain-axis)")
    assert not post.links.exists()
    assert "[a](post:the-gut-brain-axis)" in post.body_html
    assert "<a " not in post.body_html


def test_a_link_to_the_post_itself_is_kept_but_is_no_backlink(make_post, client):
    """A post may link to itself (or a heading in it); it never lists itself under Linked from."""
    post = make_post(slug="self-aware", body="[top](post:self-aware) [part](post:self-aware#two)")
    assert links_in(post.body_html) == ["/posts/self-aware/", "#md-two"]
    assert not post.links.exists()
    assertNotContains(client.get(post.get_absolute_url()), "Linked from")


def test_posts_linking_in_a_cycle_both_resolve(make_post, client):
    """A links to B and B to A: both links work and each lists the other."""
    first = make_post(slug="first", body="[second](post:second)")
    second = make_post(slug="second", body="[first](post:first)")
    first.refresh_from_db()
    assert links_in(first.body_html) == ["/posts/second/"]
    assert first.broken_links == []
    assert list(first.linked_from.all()) == [second]
    assertContains(client.get(first.get_absolute_url()), "Linked from")


def test_a_link_written_before_its_target_existed_mends_itself(make_post):
    """A draft links to a post that does not exist yet; creating that post resolves the link."""
    early = make_post(status=Post.Status.DRAFT, body="[soon](post:coming-soon)")
    assert early.broken_links == ["post:coming-soon"]
    target = make_post(slug="coming-soon")
    early.refresh_from_db()
    assert early.broken_links == []
    assert links_in(early.body_html) == [target.get_absolute_url()]


def test_renaming_answers_old_addresses_with_one_redirect(client, axis):
    """After A → B → C, both A and B answer 301 straight to C."""
    for slug in ("gut-brain-b", "gut-brain-c"):
        axis.slug = slug
        axis.save()
    for old in ("the-gut-brain-axis", "gut-brain-b"):
        response = client.get(f"/posts/{old}/")
        assert (response.status_code, response["Location"]) == (301, "/posts/gut-brain-c/")
    assert client.get("/posts/gut-brain-c/").status_code == 200


def test_renaming_rerenders_only_the_posts_that_link_here(make_post, axis):
    """Linking posts get the new address; posts that do not link here are not touched."""
    linker = make_post(body="[review here](post:the-gut-brain-axis)")
    bystander = make_post(body="Nothing to see.")
    bystander_html = bystander.body_html
    with mock.patch.object(models, "render", wraps=models.render) as rendering:
        axis.slug = "how-the-gut-talks"
        axis.save()
    rendered_bodies = [call.args[0] for call in rendering.call_args_list]
    assert rendered_bodies == [axis.body, linker.body]
    linker.refresh_from_db()
    bystander.refresh_from_db()
    assert links_in(linker.body_html) == ["/posts/how-the-gut-talks/"]
    assert bystander.body_html == bystander_html


def test_a_pasted_old_address_still_finds_the_post(make_post, axis):
    """Pasting a post's address from before a rename links to the post as it is now."""
    axis.slug = "renamed"
    axis.save()
    post = make_post(body="[old link](/posts/the-gut-brain-axis/)")
    assert list(post.links.all()) == [axis]
    assert links_in(post.body_html) == ["/posts/renamed/"]


def test_a_new_post_saved_in_code_may_take_an_old_address(client, make_post, axis):
    """Outside the admin, a new post with an old slug gets that address; the redirect ends."""
    axis.slug = "renamed"
    axis.save()
    newcomer = make_post(slug="the-gut-brain-axis", title="A new post")
    assert not PreviousSlug.objects.filter(slug="the-gut-brain-axis").exists()
    assertContains(client.get(newcomer.get_absolute_url()), "A new post")


def test_old_address_of_a_draft_is_not_redirected(client, axis):
    """Old addresses only redirect to a public post."""
    axis.slug = "renamed"
    axis.status = Post.Status.DRAFT
    axis.save()
    assert client.get("/posts/the-gut-brain-axis/").status_code == 404


def test_linked_from_lists_public_linking_posts_newest_first(client, make_post, axis):
    """Linked from shows published linking posts, newest first; drafts and scheduled never."""
    now = timezone.now()
    body = "[see](post:the-gut-brain-axis)"
    older = make_post(title="Older linker", body=body, published_at=now - timedelta(days=400))
    make_post(title="Newer linker", body=body, published_at=now - timedelta(days=1))
    make_post(title="Draft linker", body=body, status=Post.Status.DRAFT)
    make_post(title="Scheduled linker", body=body, published_at=now + timedelta(minutes=1))
    response = client.get(axis.get_absolute_url())
    content = response.content.decode()
    assert content.index("Newer linker") < content.index("Older linker")
    assertNotContains(response, "Draft linker")
    assertNotContains(response, "Scheduled linker")
    section = content[content.index('id="linked-from-heading"') :]
    day = timezone.localtime(older.published_at)
    assert f"{day.day} {day:%B %Y}</time>" in section


def test_unpublishing_or_deleting_a_target_turns_links_into_plain_text(make_post, axis):
    """Links to a post that went back to draft, or was deleted, show as text, never a dead link."""
    linker = make_post(body="If you recall ([review here](post:the-gut-brain-axis)).")
    axis.status = Post.Status.DRAFT
    axis.save()
    linker.refresh_from_db()
    assert "<span>review here</span>" in linker.body_html
    assert "href" not in linker.body_html
    assert linker.broken_links == ["post:the-gut-brain-axis"]

    axis.status = Post.Status.PUBLISHED
    axis.save()
    linker.refresh_from_db()
    assert links_in(linker.body_html) == [axis.get_absolute_url()]
    assert linker.broken_links == []

    axis.delete()
    linker.refresh_from_db()
    assert "<span>review here</span>" in linker.body_html
    assert "None" not in linker.body_html
    assert linker.broken_links == ["post:the-gut-brain-axis"]


def test_rerendering_is_no_edit_of_the_linking_post(make_post, axis):
    """A linked post's rename changes the linking post's page, but is not an edit of it."""
    linker = make_post(body="[see](post:the-gut-brain-axis)")
    linker.refresh_from_db()
    before = (linker.updated_at, linker.content_changed_at)
    axis.slug = "renamed"
    axis.save()
    linker.refresh_from_db()
    assert linker.content_changed_at == before[1]
    assert linker.updated_at > before[0]


def test_publishing_with_bad_links_is_refused_naming_each(admin_client, admin_user, make_post):
    """A draft target, a missing post and a later-scheduled post each get named in the error."""
    make_post(slug="a-draft", title="A draft", status=Post.Status.DRAFT)
    make_post(slug="later", title="Later", published_at=timezone.now() + timedelta(days=2))
    body = "[one](post:a-draft) [two](post:no-such-post) [three](/posts/later/)"
    response = admin_client.post(reverse("admin:posts_post_add"), post_form(admin_user, body=body))
    later, draft, missing = response.context["adminform"].form.errors["body"]
    assert later.startswith("“/posts/later/” links to “Later”, scheduled for ")
    assert later.endswith(", after this post goes public.")
    assert draft == "“post:a-draft” links to “A draft”, which is a draft."
    assert missing == "“post:no-such-post” links to no post: no post has that address."
    assert not Post.objects.filter(slug="sleep-and-the-microbiome").exists()


def test_scheduling_after_the_target_is_allowed(admin_client, admin_user, make_post):
    """A post scheduled for after its target goes public may link to it."""
    target = make_post(slug="later", published_at=timezone.now() + timedelta(days=2))
    publish_at = timezone.localtime(target.published_at + timedelta(days=1))
    response = admin_client.post(
        reverse("admin:posts_post_add"),
        post_form(
            admin_user,
            body="[see](post:later)",
            published_at_0=publish_at.strftime("%Y-%m-%d"),
            published_at_1=publish_at.strftime("%H:%M:%S"),
        ),
    )
    assert response.status_code == 302
    assert list(Post.objects.get(slug="sleep-and-the-microbiome").links.all()) == [target]


def test_saving_a_draft_with_bad_links_warns(admin_client, admin_user):
    """A draft with a broken link is saved, with a warning naming the link."""
    response = admin_client.post(
        reverse("admin:posts_post_add"),
        post_form(admin_user, status="draft", body="[x](post:not-yet)"),
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.broken_links == ["post:not-yet"]
    warnings = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Before publishing: “post:not-yet” links to no post: no post has that address." in (
        warnings
    )


def test_admin_lists_posts_with_broken_links(admin_client, make_post, axis):
    """The post list can be filtered to the posts whose links are broken."""
    make_post(title="Linker", body="[see](post:the-gut-brain-axis)")
    make_post(title="Dangling", status=Post.Status.DRAFT, body="[see](post:nowhere)")
    url = reverse("admin:posts_post_changelist")
    broken = admin_client.get(url, {"links": "broken"})
    assert [p.title for p in broken.context["cl"].result_list] == ["Dangling"]
    working = admin_client.get(url, {"links": "working"})
    assert "Dangling" not in [p.title for p in working.context["cl"].result_list]


def test_admin_post_form_shows_which_posts_link_here(admin_client, make_post, axis):
    """Authors see the posts that link to the one they are editing."""
    make_post(title="Linker", body="[see](post:the-gut-brain-axis)")
    response = admin_client.get(reverse("admin:posts_post_change", args=[axis.pk]))
    assertContains(response, "Linker</a> (Published)")
    assertContains(response, "(post:how-the-gut-talks-to-the-brain)")  # the Markdown help


def test_citations_link_to_resources_and_back(client, make_post):
    """[#4] and [Resource #4] link to resource 4, which links back to each citation."""
    post = make_post(body="Shown in [Resource #4] and again [#4]; see [#2].")
    Resource.objects.create(post=post, number=2, title="Two")
    Resource.objects.create(post=post, number=4, title="Four")
    assert post.citations == [4, 4, 2]
    response = client.get(post.get_absolute_url())
    assertContains(
        response,
        '<a class="citation" href="#resource-4" id="md-cite-4-1">Resource #4</a>',
        html=True,
    )
    assertContains(
        response, '<a class="citation" href="#resource-4" id="md-cite-4-2">[4]</a>', html=True
    )
    assertContains(response, 'href="#md-cite-4-1"')
    assertContains(response, 'href="#md-cite-4-2"')
    assertContains(response, 'href="#md-cite-2-1"')


@pytest.mark.parametrize("text", ["[#]", "[#x]", "[Resource #]", "`[#4]`"])
def test_markers_without_a_number_or_in_code_stay_text(make_post, text):
    """Something that is not a citation marker is left as the author wrote it."""
    post = make_post(body=text)
    assert post.citations == []
    assert "citation" not in post.body_html


def test_citing_a_missing_resource_is_a_form_error_naming_it(admin_client, admin_user):
    """Citing resource #7 (or #0) without listing it is refused, naming the number."""
    data = post_form(admin_user, body="As [#7] and [#0] and [#1] show.")
    data.update(inline_management("resources", total=1))
    data.update({"resources-0-number": "1", "resources-0-title": "Study one"})
    response = admin_client.post(reverse("admin:posts_post_add"), data)
    assert response.status_code == 200
    assertContains(response, "The text cites resource #0, #7, which is not in this list.")
    assert not Post.objects.exists()


def test_series_parts_can_be_reordered_by_swapping_positions(admin_client, make_post):
    """Swapping two positions in the series form saves, in one go."""
    series = Series.objects.create(title="Gut and Mind")
    first = SeriesPart.objects.create(series=series, post=make_post(title="A"), position=1)
    second = SeriesPart.objects.create(series=series, post=make_post(title="B"), position=2)
    data = {
        "title": series.title,
        "slug": series.slug,
        "description": "",
        "parts-TOTAL_FORMS": "2",
        "parts-INITIAL_FORMS": "2",
        "parts-MIN_NUM_FORMS": "0",
        "parts-MAX_NUM_FORMS": "1000",
    }
    for index, (part, position) in enumerate([(first, 2), (second, 1)]):
        data.update(
            {
                f"parts-{index}-id": str(part.pk),
                f"parts-{index}-series": str(series.pk),
                f"parts-{index}-post": str(part.post_id),
                f"parts-{index}-position": str(position),
            }
        )
    response = admin_client.post(reverse("admin:posts_series_change", args=[series.pk]), data)
    assert response.status_code == 302
    assert [p.post.title for p in series.parts.order_by("position")] == ["B", "A"]


def test_two_parts_cannot_share_a_position(admin_client, make_post):
    """The series form refuses two parts at one position, with a message, not a crash."""
    series = Series.objects.create(title="Gut and Mind")
    posts = [make_post(), make_post()]
    data = {"title": series.title, "slug": series.slug, "description": ""}
    data.update(
        {
            "parts-TOTAL_FORMS": "2",
            "parts-INITIAL_FORMS": "0",
            "parts-MIN_NUM_FORMS": "0",
            "parts-MAX_NUM_FORMS": "1000",
        }
    )
    for index, post in enumerate(posts):
        data.update({f"parts-{index}-post": str(post.pk), f"parts-{index}-position": "1"})
    response = admin_client.post(reverse("admin:posts_series_change", args=[series.pk]), data)
    assert response.status_code == 200
    assertContains(response, "Please correct the duplicate data for position.")
    assert not series.parts.exists()


def test_post_page_carries_blog_posting_json_ld(client, make_post, author):
    """JSON-LD describes the post, its series and its citations with DOI and PMID."""
    series = Series.objects.create(title="Gut and Mind")
    post = make_post(title="Gut & Mind </script>", summary="Why it matters.", tags=["Gut Health"])
    SeriesPart.objects.create(series=series, post=post, position=1)
    Resource.objects.create(
        post=post,
        number=1,
        title="Neuroactive potential",
        authors=[{"family": "Valles-Colomer", "given": "M"}],
        container_title="Nature Microbiology",
        year=2019,
        doi="10.1038/s41564-018-0337-x",
        pmid="30718848",
    )
    content = client.get(post.get_absolute_url()).content.decode()
    [payload] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', content, re.S)
    data = json.loads(payload)
    post.refresh_from_db()  # the new resource is news for the post
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "Gut & Mind </script>"
    assert data["url"] == f"http://testserver{post.get_absolute_url()}"
    assert data["datePublished"] == post.published_at.isoformat()
    assert data["dateModified"] == post.content_changed_at.isoformat()
    assert data["isPartOf"][0]["name"] == "Gut and Mind"
    [citation] = data["citation"]
    assert citation["name"] == "Neuroactive potential"
    assert {
        "@type": "PropertyValue",
        "propertyID": "DOI",
        "value": "10.1038/s41564-018-0337-x",
    } in (citation["identifier"])
    assert {"@type": "PropertyValue", "propertyID": "PMID", "value": "30718848"} in (
        citation["identifier"]
    )


def test_renaming_back_to_an_old_slug_keeps_every_address_working(client, axis):
    """A → B → A: the post is at A again and B redirects to it; nothing loops."""
    axis.slug = "gut-brain-b"
    axis.save()
    axis.slug = "the-gut-brain-axis"
    axis.save()
    assert client.get("/posts/the-gut-brain-axis/").status_code == 200
    response = client.get("/posts/gut-brain-b/")
    assert (response.status_code, response["Location"]) == (301, "/posts/the-gut-brain-axis/")
    assert list(PreviousSlug.objects.values_list("slug", flat=True)) == ["gut-brain-b"]


@pytest.mark.parametrize(
    "href", ["post:", "post:../../etc", "/posts/%ZZ/", "http://[broken", "post:a b", "//posts/x/"]
)
def test_odd_link_targets_are_handled_without_error(client, make_post, href):
    """Malformed internal links never break saving or the page."""
    post = make_post(status=Post.Status.DRAFT, body=f"[odd]({href})")
    assert "odd" in post.body_html
    post.status = Post.Status.PUBLISHED
    post.save()
    assert client.get(post.get_absolute_url()).status_code == 200


def test_bulk_deleting_a_post_with_a_post_that_links_to_it(admin_client, make_post, axis):
    """Deleting a post and a post linking to it in one admin action works."""
    other = make_post(slug="other")
    linker = make_post(body="[a](post:the-gut-brain-axis) [b](post:other)")
    response = admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "delete_selected", "_selected_action": [axis.pk, linker.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(Post.objects.all()) == [other]
    assert not other.linked_from.exists()


def test_an_old_address_cannot_be_given_to_another_post(admin_client, admin_user, axis):
    """A renamed post's old slug stays its redirect: the form says whose it was."""
    axis.slug = "renamed"
    axis.save()
    response = admin_client.post(
        reverse("admin:posts_post_add"), post_form(admin_user, slug="the-gut-brain-axis")
    )
    assert response.context["adminform"].form.errors["slug"] == [
        "This was the address of “The gut-brain axis”, and links and readers still follow "
        "it there. Choose another slug."
    ]


def test_taking_an_old_address_in_code_moves_the_links_with_it(make_post, axis):
    """Outside the admin, a post that takes an old slug also takes the links that use it."""
    axis.slug = "renamed"
    axis.save()
    linker = make_post(body="[a](post:the-gut-brain-axis)")
    newcomer = make_post(slug="the-gut-brain-axis", title="Newcomer")
    linker.refresh_from_db()
    assert list(linker.links.all()) == [newcomer]
    assert links_in(linker.body_html) == ["/posts/the-gut-brain-axis/"]


def test_a_linked_post_cannot_move_after_the_posts_that_link_to_it(
    admin_client, admin_user, make_post, axis
):
    """Rescheduling a post into the future is refused while a public post links to it."""
    make_post(title="Linker", body="[a](post:the-gut-brain-axis)")
    later = timezone.localtime(timezone.now() + timedelta(days=5))
    data = post_form(
        admin_user,
        title=axis.title,
        slug=axis.slug,
        body=axis.body,
        published_at_0=later.strftime("%Y-%m-%d"),
        published_at_1=later.strftime("%H:%M:%S"),
        based_on_version=str(axis.version),
    )
    response = admin_client.post(reverse("admin:posts_post_change", args=[axis.pk]), data)
    assert list(response.context["adminform"].form.errors) == ["published_at"]
    [error] = response.context["adminform"].form.errors["published_at"]
    assert error.startswith("“Linker” links here and goes public ")
    axis.refresh_from_db()
    assert axis.published_at < timezone.now()


def test_saving_an_unchanged_post_rerenders_no_linking_post(admin_client, admin_user, axis):
    """The admin's whole-second times round-trip, so an unchanged save is no visible change."""
    page = admin_client.get(reverse("admin:posts_post_change", args=[axis.pk]))
    form = page.context["adminform"].form
    with mock.patch.object(Post, "rerender") as rerender:
        data = post_form(
            admin_user,
            title=axis.title,
            slug=axis.slug,
            body=axis.body,
            summary=axis.summary,
            tags="",
            published_at_0=form["published_at"].value().strftime("%Y-%m-%d"),
            published_at_1=form["published_at"].value().strftime("%H:%M:%S"),
            based_on_version=str(axis.version),
        )
        response = admin_client.post(reverse("admin:posts_post_change", args=[axis.pk]), data)
    assert response.status_code == 302
    rerender.assert_not_called()


def test_deeply_nested_markdown_is_a_form_error(admin_client, admin_user):
    """Markdown nested beyond what can be rendered is refused with a message, not a crash."""
    response = admin_client.post(
        reverse("admin:posts_post_add"), post_form(admin_user, body="- " * 500 + "x")
    )
    assert response.status_code == 200
    assertContains(response, "nests lists, quotes or brackets too deeply")
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    "href",
    [
        "/posts/the-gut-brain-axis",
        "http://[::1]/posts/the-gut-brain-axis/",
        "/posts/the-gut-brain-axis/#md-the-vagus-nerve",
    ],
)
def test_more_pasted_forms_of_an_address_resolve(make_post, axis, href):
    """No trailing slash, an IPv6 host, and an id copied from the page all work."""
    post = make_post(body=f"[a]({href})")
    assert list(post.links.all()) == [axis]
    assert links_in(post.body_html)[0].startswith("/posts/the-gut-brain-axis/")
    assert "md-md-" not in post.body_html


def test_a_linking_post_beyond_the_rendering_limits_keeps_its_html(make_post, axis):
    """A post stored before the limits on costly Markdown keeps its HTML when a post it links
    to changes, and that change saves."""
    old = make_post(title="Old", body="See [the axis](post:the-gut-brain-axis).")
    Post.objects.filter(pk=old.pk).update(
        body="[" * 5_000 + " [the axis](post:the-gut-brain-axis)"
    )
    axis.slug = "the-axis"
    axis.save()
    assert Post.objects.get(slug="the-axis").title == axis.title
    assert Post.objects.get(pk=old.pk).body_html == old.body_html
