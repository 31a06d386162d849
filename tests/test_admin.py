from unittest import mock

import markdown
import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains
from taggit.models import Tag

from posts.models import Post, Series, SeriesPart

pytestmark = pytest.mark.django_db


def inline_management(prefix, total=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def post_form(author, **overrides):
    data = {
        "title": "Sleep and the Microbiome",
        "slug": "sleep-and-the-microbiome",
        "author": str(author.pk),
        "summary": "How a short night shifts the gut's bacteria.",
        "body": "## Why sleep\n\nIt matters.",
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
        "tags": "Sleep, Gut Health",
        **inline_management("series_parts"),
        **inline_management("resources"),
    }
    data.update(overrides)
    return data


def test_writing_and_publishing_a_post_shows_it_to_readers(admin_client, admin_user, client):
    """A post written in the admin with two tags is on the home page and its tag pages."""
    response = admin_client.post(reverse("admin:posts_post_add"), post_form(admin_user))
    assert response.status_code == 302, response.context["adminform"].form.errors
    post = Post.objects.get(slug="sleep-and-the-microbiome")
    assert post.is_published
    assert sorted(t.name for t in post.tags.all()) == ["Gut Health", "Sleep"]
    assert post.body_html == (
        '<h2 id="md-why-sleep">Why sleep <a aria-label="Link to this section" class="permalink"'
        ' href="#md-why-sleep">#</a></h2>\n<p>It matters.</p>'
    )
    assertContains(client.get(reverse("posts:home")), "Sleep and the Microbiome")
    for tag in ("sleep", "gut-health"):
        assertContains(client.get(reverse("posts:tag", args=[tag])), "Sleep and the Microbiome")


def test_a_tag_without_letters_is_a_form_error(admin_client, admin_user):
    """A tag such as "!!!" would have no address, so the form names it and saves nothing."""
    response = admin_client.post(
        reverse("admin:posts_post_add"), post_form(admin_user, tags="Sleep, !!!")
    )
    assert response.context["adminform"].form.errors["tags"] == [
        "Tags need a letter or digit: !!!"
    ]
    assert not Post.objects.exists()


def test_a_tag_longer_than_a_tag_can_be_is_a_form_error(admin_client, admin_user):
    """Over 100 characters a tag is refused by name, on SQLite as on PostgreSQL."""
    long_tag = "Microbiome " * 10 + "and more"
    response = admin_client.post(
        reverse("admin:posts_post_add"), post_form(admin_user, tags=f"Sleep, {long_tag}")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["tags"] == [
        f"A tag can be at most 100 characters long: “{long_tag[:40]}…”"
    ]
    assert not Post.objects.exists() and not Tag.objects.exists()


def test_more_tags_than_any_writer_gives_a_post_is_a_form_error(admin_client, admin_user):
    """Thousands of tags in one save are refused at once, with the limit named."""
    many = ", ".join(f"tag {number}" for number in range(2000))
    response = admin_client.post(reverse("admin:posts_post_add"), post_form(admin_user, tags=many))
    assert response.context["adminform"].form.errors["tags"] == [
        "A post can have at most 50 tags; this one has 2,000."
    ]
    assert not Post.objects.exists() and not Tag.objects.exists()
    fifty = ", ".join(f"tag {number}" for number in range(50))
    response = admin_client.post(
        reverse("admin:posts_post_add"), post_form(admin_user, tags=fifty)
    )
    assert response.status_code == 302
    assert Post.objects.get().tags.count() == 50


@pytest.mark.parametrize("status", ["draft", "published"])
@pytest.mark.parametrize("number", ["99999999999999999999", "12345"])
def test_an_image_that_does_not_exist_is_a_form_error(admin_client, admin_user, status, number):
    """An image number that names no image, even one too big for the database, is named in a
    form error, the same on SQLite and PostgreSQL, and nothing is saved."""
    body = f"## A chart\n\n![The chart](image:{number})"
    response = admin_client.post(
        reverse("admin:posts_post_add"), post_form(admin_user, body=body, status=status)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["body"] == [
        f"“image:{number}” names no image: upload it under Images, or correct its number."
    ]
    assert not Post.objects.exists()


def test_an_image_number_beyond_any_row_is_a_missing_image_in_the_preview(
    admin_client, admin_user
):
    """A number too big for the database names no image: the preview shows its description."""
    response = admin_client.post(
        reverse("admin:posts_post_preview"),
        {"body": "![A chart](image:99999999999999999999)", "title": "T"},
    )
    assert response.status_code == 200
    assertContains(response, "<span>A chart</span>", html=True)


def test_a_taken_slug_is_a_form_error_on_the_slug(admin_client, admin_user, make_post):
    """Saving with a slug another post has names the slug field and saves nothing."""
    make_post(slug="sleep-and-the-microbiome")
    response = admin_client.post(reverse("admin:posts_post_add"), post_form(admin_user))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "slug" in form.errors
    assertContains(response, "Post with this Slug already exists.")
    assert Post.objects.count() == 1


def test_an_empty_slug_is_filled_from_the_title(admin_client, admin_user):
    """Leaving the slug empty takes it from the title."""
    admin_client.post(reverse("admin:posts_post_add"), post_form(admin_user, slug=""))
    assert Post.objects.get().slug == "sleep-and-the-microbiome"


def test_a_missing_title_is_a_form_error_and_saves_nothing(admin_client, admin_user):
    """A form with a missing field gets a message, and nothing is half-saved."""
    response = admin_client.post(
        reverse("admin:posts_post_add"), post_form(admin_user, title="", slug="")
    )
    assert "title" in response.context["adminform"].form.errors
    assert not Post.objects.exists()


def test_a_bad_resource_rolls_back_the_whole_post(admin_client, admin_user):
    """An invalid resource in the inline keeps the post from being saved at all."""
    data = post_form(admin_user, **inline_management("resources", total=1))
    data.update({"resources-0-number": "1", "resources-0-title": "Study", "resources-0-doi": "x"})
    response = admin_client.post(reverse("admin:posts_post_add"), data)
    assert response.status_code == 200
    assertContains(response, "Enter a DOI such as")
    assert not Post.objects.exists()


def test_post_list_shows_status_series_and_tags_and_filters(admin_client, make_post):
    """The list shows what an editor scans for, and filters by status, tag and series."""
    series = Series.objects.create(title="Gut and Mind")
    post = make_post(title="Listed post", tags=["Gut Health"])
    make_post(title="A draft", status=Post.Status.DRAFT)
    SeriesPart.objects.create(series=series, post=post, position=1)
    url = reverse("admin:posts_post_changelist")
    response = admin_client.get(url)
    assertContains(response, "Listed post")
    assertContains(response, '<td class="field-series_titles">Gut and Mind</td>', html=True)
    assertContains(response, '<td class="field-tag_names">Gut Health</td>', html=True)
    drafts = admin_client.get(url, {"status__exact": "draft"})
    assertContains(drafts, "A draft")
    assert "Listed post" not in drafts.content.decode()
    tag = Tag.objects.get(name="Gut Health")
    by_tag = admin_client.get(url, {"tags__id__exact": tag.pk})
    assert [p.title for p in by_tag.context["cl"].result_list] == ["Listed post"]
    by_series = admin_client.get(url, {"series__id__exact": series.pk})
    assert [p.title for p in by_series.context["cl"].result_list] == ["Listed post"]
    found = admin_client.get(url, {"q": "Listed"})
    assert [p.title for p in found.context["cl"].result_list] == ["Listed post"]


def test_add_form_has_a_roomy_markdown_field_and_prefilled_slug(admin_client):
    """The title comes first, large; the text is a Markdown field with a short help panel that
    shows post links, citations, images and footnotes; the slug follows the title."""
    response = admin_client.get(reverse("admin:posts_post_add"))
    content = response.content.decode()
    assert (
        content.index('id="id_title"')
        < content.index('id="id_body"')
        < content.index('id="id_summary"')
    )
    assertContains(response, 'class="post-title-input"')
    assertContains(response, 'class="markdown-source"')
    assertContains(response, "posts/admin/post-form.css")
    assertContains(response, "data-prepopulated-fields")
    assertContains(response, "<summary>Markdown help</summary>", html=True)
    for example in ("(post:", "[#2]", "(image:12)", "[^1]: The note."):
        assertContains(response, example)


def test_series_admin_orders_parts_by_position(admin_client, make_post):
    """The series form shows its posts in position order."""
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=make_post(title="Second part"), position=2)
    SeriesPart.objects.create(series=series, post=make_post(title="First part"), position=1)
    response = admin_client.get(reverse("admin:posts_series_change", args=[series.pk]))
    content = response.content.decode()
    assert content.index("First part") < content.index("Second part")


def test_tags_field_suggests_existing_tags(admin_client, make_post):
    """The tags field is wired to the admin's autocomplete, which answers with matching tags."""
    make_post(tags=["Gut Health", "Sleep"])
    form = admin_client.get(reverse("admin:posts_post_add"))
    assertContains(form, 'data-autocomplete-url="/admin/autocomplete/"')
    assertContains(form, "posts/admin/tag-autocomplete.js")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "gut", "app_label": "posts", "model_name": "post", "field_name": "tags"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Gut Health"]


def test_tag_admin_searches_by_name(admin_client, make_post):
    """Editors find tags by name in the tag list."""
    make_post(tags=["Gut Health", "Sleep"])
    tags = admin_client.get(reverse("admin:taggit_tag_changelist"), {"q": "gut"})
    assert [t.name for t in tags.context["cl"].result_list] == ["Gut Health"]


def test_a_null_character_is_a_form_error(admin_client, admin_user):
    """A NUL byte (which PostgreSQL refuses) is named in the form, and nothing is saved."""
    response = admin_client.post(
        reverse("admin:posts_post_add"), post_form(admin_user, body="Pasted\x00text")
    )
    assertContains(response, "Null characters are not allowed.")
    assert not Post.objects.exists()


def test_other_control_characters_are_dropped_on_save(admin_client, admin_user):
    """Invisible control characters pasted from a PDF are removed from the saved post."""
    admin_client.post(
        reverse("admin:posts_post_add"),
        post_form(admin_user, title="Sleep\x0b and\x1f the gut", body="Text\x01 here"),
    )
    post = Post.objects.get()
    assert (post.title, post.body) == ("Sleep and the gut", "Text here\n")


@pytest.fixture
def markdown_calls():
    """Every call to Python-Markdown, counted."""
    with mock.patch("markdown.markdown", wraps=markdown.markdown) as spy:
        yield spy


@pytest.mark.parametrize("status", ["published", "draft"])
def test_a_new_post_is_rendered_once_per_save(admin_client, admin_user, markdown_calls, status):
    """Validation, the resources' check, the save and a draft's link warnings share one
    render of the text."""
    data = post_form(
        admin_user, status=status, body="See [#1] and [a draft](post:unwritten).", **{
            **inline_management("resources", total=1),
            "resources-0-number": "1",
            "resources-0-title": "Study",
        }
    )  # fmt: skip
    if status == "published":
        data["body"] = "See [#1]."
    response = admin_client.post(reverse("admin:posts_post_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert markdown_calls.call_count == 1
    post = Post.objects.get()
    assert post.citations == [1]
    assert 'href="#resource-1"' in post.body_html


def test_an_edit_is_rendered_once_per_save(admin_client, admin_user, make_post, markdown_calls):
    """Changing a post renders its new text once, and that render is what is stored."""
    post = make_post(slug="sleep-and-the-microbiome", status=Post.Status.DRAFT)
    markdown_calls.reset_mock()
    data = post_form(
        admin_user, status="draft", body="New *text*.", based_on_version=str(post.version)
    )
    response = admin_client.post(reverse("admin:posts_post_change", args=[post.pk]), data)
    assert response.status_code == 302
    assert markdown_calls.call_count == 1
    post.refresh_from_db()
    assert post.body_html == "<p>New <em>text</em>.</p>"


def test_a_kept_render_serves_one_save_only(make_post):
    """A post saved again later renders again: links to other posts may have changed since."""
    post = make_post(body="[x](post:later)", status=Post.Status.DRAFT)
    post.link_problems()
    post.save()
    assert post.broken_links == ["post:later"]
    make_post(slug="later")
    post.save()
    assert post.broken_links == []
    assert '<a href="/posts/later/">x</a>' in post.body_html


TOO_COSTLY = "[" * 20_000


def test_a_body_too_costly_to_render_is_a_form_error_and_saves_nothing(
    admin_client, admin_user, make_post
):
    """Text that would take Markdown minutes is refused on the body field, at once; the post
    being edited keeps what it had."""
    post = make_post(slug="sleep-and-the-microbiome", body="Kept.")
    before = Post.objects.count()
    for url, extra in [
        (reverse("admin:posts_post_add"), {"slug": "another"}),
        (
            reverse("admin:posts_post_change", args=[post.pk]),
            {"based_on_version": str(post.version)},
        ),
    ]:
        response = admin_client.post(url, post_form(admin_user, body=TOO_COSTLY, **extra))
        assert response.status_code == 200
        [error] = response.context["adminform"].form.errors["body"]
        assert error.startswith("Paragraph 1 (“[[[[[[")
        assert "has 20,000 “[” without a matching “]”" in error
    assert Post.objects.count() == before
    post.refresh_from_db()
    assert (post.body, post.version) == ("Kept.\n", 1)


def test_a_body_longer_than_can_be_shown_is_a_form_error(admin_client, admin_user):
    """The body field says how long a text may be, and the page does not cut a paste short."""
    form = admin_client.get(reverse("admin:posts_post_add"))
    assert "maxlength" not in str(form.context["adminform"].form["body"])
    response = admin_client.post(
        reverse("admin:posts_post_add"), post_form(admin_user, body="word " * 60_001)
    )
    assert response.context["adminform"].form.errors["body"] == [
        "Ensure this value has at most 300000 characters (it has 300004)."
    ]
    assert not Post.objects.exists()


def test_the_preview_shows_why_a_text_is_refused(admin_client):
    """The live preview answers with the reason instead of failing or hanging."""
    response = admin_client.post(
        reverse("admin:posts_post_preview"), {"title": "Odd", "body": TOO_COSTLY}
    )
    assert response.status_code == 200
    assertContains(response, "has 20,000 “[” without a matching “]”")


def test_a_series_description_too_costly_to_render_is_a_form_error(admin_client):
    """A series description is rendered by the same gate, and refused the same way."""
    response = admin_client.post(
        reverse("admin:posts_series_add"),
        {
            "title": "Odd",
            "slug": "odd",
            "description": TOO_COSTLY,
            **inline_management("parts"),
        },
    )
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["description"]
    assert "has 20,000 “[” without a matching “]”" in error
    assert not Series.objects.exists()
