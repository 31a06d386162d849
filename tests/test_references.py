"""Resources as structured references, formatted by a CSL processor in the site's style."""

import datetime
import html
import json
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from posts.references import names_text, parse_name, parse_names
from posts.resources import Resource
from posts.versions import PostVersion, record_version, restore_version
from tests.test_admin import inline_management
from tests.test_authoring import change_form
from tests.test_migrations import back_to_latest, migrate  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

CRYAN = {
    "kind": "article-journal",
    "title": "The Microbiota-Gut-Brain Axis",
    "authors": parse_names("Cryan JF\nO'Riordan, Kenneth J.\n{et al.}"),
    "container_title": "Physiological Reviews",
    "year": 2019,
    "volume": "99",
    "issue": "4",
    "pages": "1877-2013",
    "doi": "10.1152/physrev.00018.2018",
    "pmid": "31460832",
}


@pytest.mark.parametrize(
    "typed, name",
    [
        ("Smith, J. A.", {"family": "Smith", "given": "J. A."}),
        ("Smith JA", {"family": "Smith", "given": "J A"}),
        ("J. A. Smith", {"family": "Smith", "given": "J. A."}),
        ("John A. Smith", {"family": "Smith", "given": "John A."}),
        ("Valles-Colomer M", {"family": "Valles-Colomer", "given": "M"}),
        ("World Health Organization", {"literal": "World Health Organization"}),
        ("{Cochrane Handbook Editors}", {"literal": "Cochrane Handbook Editors"}),
        ("et al.", {"literal": "et al."}),
    ],
)
def test_names_are_read_in_every_common_order_and_written_back_the_same(typed, name):
    assert parse_name(typed) == name
    assert parse_name(names_text([name])) == name


def test_a_resource_is_shown_in_the_sites_style_with_its_identifiers_as_links(
    client, make_post, settings
):
    settings.GUTBRAIN_CITATION_STYLE = "american-medical-association"
    post = make_post(body="The axis [#1].")
    Resource.objects.create(post=post, number=1, pmcid="PMC123", **CRYAN)
    page = client.get(post.get_absolute_url()).content.decode()
    entry = page.split('id="resource-1"')[1].split("</li>")[0]
    text = html.unescape(re.sub(r"<[^>]+>", "", entry))
    assert "Cryan JF, O'Riordan KJ, et al. The Microbiota-Gut-Brain Axis. " in text
    assert "Physiological Reviews. 2019;99(4):1877-2013." in text
    assert "<i>Physiological Reviews</i>" in entry
    assert 'href="https://doi.org/10.1152/physrev.00018.2018"' in entry
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/31460832/"' in entry
    assert 'href="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC123/"' in entry
    assert 'href="#md-cite-1-1"' in entry  # back to where the text cites it


def test_changing_the_style_and_formatting_again_changes_every_list(client, make_post, settings):
    post = make_post(body="See [#1].")
    Resource.objects.create(post=post, number=1, **CRYAN)
    settings.GUTBRAIN_CITATION_STYLE = "apa"
    out = StringIO()
    call_command("format_references", stdout=out)
    assert "Formatted 1 resources in the style apa." in out.getvalue()
    entry = client.get(post.get_absolute_url()).content.decode().split('id="resource-1"')[1]
    text = html.unescape(re.sub(r"<[^>]+>", "", entry.split("</li>")[0]))
    assert (
        "Cryan, J. F., O'Riordan, K. J., & et al. (2019). The Microbiota-Gut-Brain Axis." in text
    )
    # APA writes page ranges with an en dash.
    assert "Physiological Reviews, 99(4), 1877\u20132013. https://doi.org/10.1152/" in text


def test_what_authors_type_is_escaped_in_the_formatted_reference(make_post):
    post = make_post()
    hostile = {**CRYAN, "title": "<script>alert(1)</script> & <b>bold</b>"}
    hostile["container_title"] = '<img src=x onerror="alert(1)">'
    resource = Resource.objects.create(post=post, number=1, **hostile)
    assert "<script" not in resource.formatted and "<img" not in resource.formatted
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in (
        resource.formatted
    )


def test_a_style_that_cannot_be_used_is_reported_and_titles_are_shown(make_post, settings):
    settings.GUTBRAIN_CITATION_STYLE = "no-such-style"
    out = StringIO()
    with pytest.raises(SystemCheckError, match=r"posts\.E001"):
        call_command("check", stdout=out, stderr=out)
    resource = Resource.objects.create(post=make_post(), number=1, **CRYAN)
    assert resource.formatted.startswith("The Microbiota-Gut-Brain Axis")
    assert 'href="https://doi.org/10.1152/physrev.00018.2018"' in resource.formatted


def test_the_post_form_takes_names_one_to_a_line(admin_client, make_post):
    post = make_post(body="As shown [#1].")
    url = f"/admin/posts/post/{post.pk}/change/"
    data = change_form(admin_client, post)
    data.update(inline_management("resources", total=1))
    data.update(
        {
            "resources-0-number": "1",
            "resources-0-kind": "webpage",
            "resources-0-title": "Gut feelings",
            "resources-0-authors": "Smith, J. A.\nWorld Health Organization",
            "resources-0-container_title": "NIH News",
            "resources-0-url": "https://example.org/gut",
            "resources-0-accessed": "2026-01-02",
            "resources-0-pmcid": "pmc42",
        }
    )
    assert admin_client.post(url, data).status_code == 302
    resource = post.resources.get()
    assert resource.authors == [
        {"family": "Smith", "given": "J. A."},
        {"literal": "World Health Organization"},
    ]
    assert (resource.accessed, resource.pmcid) == (datetime.date(2026, 1, 2), "PMC42")
    assert "Accessed January 2, 2026" in resource.formatted
    change = admin_client.get(url).content.decode()
    assert "Smith, J. A.\n{World Health Organization}</textarea>" in change


def test_a_restored_version_brings_back_the_references_formatted(make_post):
    post = make_post(body="See [#1].")
    Resource.objects.create(post=post, number=1, accessed=datetime.date(2026, 1, 2), **CRYAN)
    record_version(post)
    version = post.versions.get()
    post.resources.all().delete()
    restore_version(post, version)
    restored = post.resources.get()
    assert restored.authors == CRYAN["authors"]
    assert restored.accessed == datetime.date(2026, 1, 2)
    assert "Physiological Reviews" in restored.formatted


def test_json_ld_describes_each_resource_by_its_kind(client, make_post):
    post = make_post(body="See [#1] and [#2].")
    Resource.objects.create(post=post, number=1, **CRYAN)
    Resource.objects.create(
        post=post,
        number=2,
        kind="book",
        title="The Psychobiotic Revolution",
        authors=parse_names("Anderson SC\nCryan JF\nDinan T"),
        publisher="National Geographic",
        year=2017,
    )
    page = client.get(post.get_absolute_url()).content.decode()
    data = json.loads(page.split('application/ld+json">')[1].split("</script>")[0])
    article, book = data["citation"]
    assert article["@type"] == "ScholarlyArticle"
    assert article["author"][0] == {
        "@type": "Person",
        "familyName": "Cryan",
        "givenName": "J F",
        "name": "J F Cryan",
    }
    assert article["author"][-1] == {"@type": "Organization", "name": "et al."}
    assert article["isPartOf"] == {
        "@type": "PublicationIssue",
        "issueNumber": "4",
        "isPartOf": {
            "@type": "PublicationVolume",
            "volumeNumber": "99",
            "isPartOf": {"@type": "Periodical", "name": "Physiological Reviews"},
        },
    }
    assert article["pagination"] == "1877-2013"
    assert book["@type"] == "Book"
    assert book["publisher"] == {"@type": "Organization", "name": "National Geographic"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_existing_resources_become_references_without_loss():
    apps = migrate([("posts", "0018_author_profiles")])
    User = apps.get_model("auth", "User")
    Post = apps.get_model("posts", "Post")
    post = Post.objects.create(
        title="Old", slug="old", body="Text [#1] [#2].", author=User.objects.create(username="a")
    )
    OldResource = apps.get_model("posts", "Resource")
    OldResource.objects.create(
        post=post, number=1, title="A", authors="Cryan JF, O'Riordan KJ, et al.", venue="Cell"
    )
    OldResource.objects.create(post=post, number=2, title="B", authors="Smith, J. A.; Doe, B.")
    OldResource.objects.create(post=post, number=3, title="C", authors="Smith, John, Doe, Jane")
    apps.get_model("posts", "PostVersion").objects.create(
        post=post,
        number=1,
        title="Old",
        body="Text",
        resources=[{"number": 1, "title": "A", "authors": "Cryan JF, Doe B", "venue": "Cell"}],
    )
    migrate([("posts", "0019_references")])
    first, second, unclear = Resource.objects.order_by("number")
    assert unclear.authors == [{"literal": "Smith, John, Doe, Jane"}]  # kept whole
    assert first.authors == [
        {"family": "Cryan", "given": "J F"},
        {"family": "O'Riordan", "given": "K J"},
        {"literal": "et al."},
    ]
    assert first.container_title == "Cell" and "Cryan JF, O" in first.formatted
    assert second.authors == [
        {"family": "Smith", "given": "J. A."},
        {"family": "Doe", "given": "B."},
    ]
    (copy,) = PostVersion.objects.get().resources
    assert (copy["authors"], copy["container_title"]) == (["Cryan, J F", "Doe, B"], "Cell")

    apps = migrate([("posts", "0018_author_profiles")])  # and back: one string again
    again = apps.get_model("posts", "Resource").objects.order_by("number")
    assert [r.authors for r in again][:2] == [
        "Cryan J F, O'Riordan K J, et al.",
        "Smith J. A., Doe B.",
    ]


@pytest.mark.parametrize(
    "dates, field",
    [({"day": 3}, "day"), ({"year": None, "month": 4}, "month"), ({"month": 2, "day": 31}, "day")],
)
def test_a_date_is_given_as_far_as_it_is_known(make_post, dates, field):
    resource = Resource(post=make_post(), number=1, **{**CRYAN, **dates})
    with pytest.raises(ValidationError) as caught:
        resource.full_clean()
    assert field in caught.value.message_dict
