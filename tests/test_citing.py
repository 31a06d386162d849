"""Citing a post, and a post's review: what readers, reference managers, Google Scholar and
search engines each read."""

import datetime
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO

import bibtexparser
import pytest
import rispy
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from posts.models import Post
from posts.references import parse_names
from posts.resources import Resource

pytestmark = pytest.mark.django_db

# The properties schema.org defines for each type the pages use (with those it inherits from
# Thing, CreativeWork, Article and the rest), and Google Scholar's own citation_* tags.
THING = {"@type", "@id", "@context", "name", "url", "identifier", "image", "description", "sameAs"}
CREATIVE_WORK = THING | {
    *("author", "headline", "datePublished", "dateModified", "keywords", "citation"),
    *("isPartOf", "mainEntityOfPage", "publisher", "about", "inLanguage"),
}
ARTICLE = CREATIVE_WORK | {"wordCount", "pagination", "pageStart", "pageEnd", "articleBody"}
SCHEMA = {
    "BlogPosting": ARTICLE,
    "ScholarlyArticle": ARTICLE,
    "Book": CREATIVE_WORK | {"isbn", "numberOfPages", "bookEdition"},
    "Chapter": CREATIVE_WORK | {"pagination", "pageStart", "pageEnd"},
    "Dataset": CREATIVE_WORK | {"distribution", "includedInDataCatalog"},
    "WebPage": CREATIVE_WORK | {"reviewedBy", "lastReviewed", "breadcrumb"},
    "WebSite": CREATIVE_WORK,
    "Periodical": CREATIVE_WORK | {"issn"},
    "PublicationVolume": CREATIVE_WORK | {"volumeNumber", "pagination"},
    "PublicationIssue": CREATIVE_WORK | {"issueNumber", "pagination"},
    "CreativeWorkSeries": CREATIVE_WORK,
    "ImageObject": CREATIVE_WORK | {"width", "height", "caption", "contentUrl"},
    "Person": THING | {"familyName", "givenName", "honorificSuffix", "jobTitle", "affiliation"},
    "Organization": THING,
    "PropertyValue": THING | {"propertyID", "value"},
}
SCHOLAR = {
    *("citation_title", "citation_author", "citation_publication_date", "citation_online_date"),
    *("citation_journal_title", "citation_publisher", "citation_doi", "citation_pdf_url"),
    *("citation_fulltext_html_url", "citation_abstract_html_url", "citation_volume"),
    *("citation_issue", "citation_firstpage", "citation_lastpage", "citation_keywords"),
}


class Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.named, self.data, self._in_json = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name", "").startswith("citation_"):
            self.named.append((attrs["name"], attrs["content"]))
        self._in_json = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_json:
            self.data.append(json.loads(data))
            self._in_json = False


def read(client, post):
    head = Head()
    head.feed(client.get(post.get_absolute_url()).content.decode())
    return head


def undefined_properties(node, path="$"):
    """Every property used on a type that schema.org does not define for it."""
    if isinstance(node, list):
        return [problem for item in node for problem in undefined_properties(item, path)]
    if not isinstance(node, dict):
        return []
    kind = node.get("@type")
    problems = [f"{path}: no type {kind}"] if kind not in SCHEMA else []
    problems += [
        f"{path}.{key} on {kind}" for key in node if kind in SCHEMA and key not in SCHEMA[kind]
    ]
    for key, value in node.items():
        problems += undefined_properties(value, f"{path}.{key}")
    return problems


@pytest.fixture
def reviewed(make_post):
    post = make_post(
        title="The Link between Mental Health and Gut Health",
        body="The axis [#1].",
        doi="10.5555/gutbrain.1",
        reviewer="Ana Silva",
        reviewer_credentials="MD, PhD",
        reviewer_url="https://example.org/ana",
        reviewed_on=datetime.date(2026, 11, 1),
    )
    Resource.objects.create(
        post=post,
        number=1,
        title="The Microbiota-Gut-Brain Axis",
        authors=parse_names("Cryan JF\nO'Riordan KJ"),
        container_title="Physiological Reviews",
        year=2019,
        volume="99",
        issue="4",
        pages="1877-2013",
        doi="10.1152/physrev.00018.2018",
        pmid="31460832",
    )
    return post


def test_search_engines_and_scholar_read_only_properties_their_vocabularies_define(
    client, reviewed
):
    head = read(client, reviewed)
    (data,) = head.data
    assert undefined_properties(data) == []
    assert {name for name, _ in head.named} <= SCHOLAR
    tags = dict(head.named)
    assert tags["citation_title"] == "The Link between Mental Health and Gut Health"
    assert tags["citation_author"] == "Writer, Ada"
    assert tags["citation_publication_date"] == f"{reviewed.published_at:%Y/%m/%d}"
    assert tags["citation_journal_title"] == "gutbrain"
    assert tags["citation_doi"] == "10.5555/gutbrain.1"
    assert "citation_pdf_url" not in tags
    assert data["mainEntityOfPage"] == {
        "@type": "WebPage",
        "@id": f"http://testserver{reviewed.get_absolute_url()}",
        "reviewedBy": {
            "@type": "Person",
            "name": "Ana Silva",
            "honorificSuffix": "MD, PhD",
            "url": "https://example.org/ana",
        },
        "lastReviewed": "2026-11-01",
    }
    assert data["citation"][0]["identifier"][0]["value"] == "10.1152/physrev.00018.2018"


def test_readers_see_the_review_and_when_the_text_last_changed(client, make_post, reviewed):
    page = client.get(reviewed.get_absolute_url()).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert "Reviewed by Ana Silva, MD, PhD on 1 November 2026" in text
    fresh = make_post(published_at=timezone.now())
    assert "Last updated" not in client.get(fresh.get_absolute_url()).content.decode()
    fresh.body = "A correction."
    fresh.published_at -= timedelta(days=3)
    fresh.save()
    assert "Last updated" in client.get(fresh.get_absolute_url()).content.decode()


def test_a_review_needs_a_name_and_a_date_and_a_doi_link_is_kept_as_its_doi(make_post):
    post = make_post(reviewer="Ana Silva", doi="https://doi.org/10.5555/gutbrain.1")
    with pytest.raises(ValidationError) as caught:
        post.full_clean()
    assert caught.value.message_dict["reviewed_on"] == [
        "Give the date of the review: readers see it."
    ]
    assert post.doi == "10.5555/gutbrain.1"


def test_the_citation_downloads_parse_back_with_the_same_libraries(client, reviewed):
    page = client.get(reviewed.get_absolute_url()).content.decode()
    cite = re.sub(r"<[^>]+>", "", page.split('class="citation-text">')[1].split("</p>")[0])
    assert "Writer A. The Link between Mental Health and Gut Health. gutbrain." in cite
    base = f"/posts/{reviewed.slug}/cite"

    bib = client.get(base + ".bib")
    assert bib["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert f'filename="{reviewed.slug}.bib"' in bib["Content-Disposition"]
    (entry,) = bibtexparser.parse_string(bib.content.decode()).entries
    assert entry.fields_dict["author"].value == "Writer, Ada"
    assert entry.fields_dict["doi"].value == "10.5555/gutbrain.1"
    assert entry.fields_dict["title"].value == "{The Link between Mental Health and Gut Health}"

    (record,) = rispy.loads(client.get(base + ".ris").content.decode())
    assert (record["type_of_reference"], record["title"]) == (
        "BLOG",
        "The Link between Mental Health and Gut Health",
    )
    assert record["authors"] == ["Writer, Ada"] and record["doi"] == "10.5555/gutbrain.1"

    (item,) = json.loads(client.get(base + ".json").content)
    assert item["type"] == "post-weblog" and item["author"] == [
        {"family": "Writer", "given": "Ada"}
    ]
    assert item["URL"] == f"http://testserver{reviewed.get_absolute_url()}"
    assert client.get(base + ".pdf").status_code == 404
    assert client.get("/posts/no-such-post/cite.bib").status_code == 404


def test_the_downloads_are_the_same_after_export_and_import(client, reviewed, tmp_path):
    """A post exported to Markdown files and imported back cites the same, byte for byte."""
    kinds = ("bib", "ris", "json")

    def downloads():
        return {kind: client.get(f"/posts/{reviewed.slug}/cite.{kind}").content for kind in kinds}

    before = downloads()
    call_command("export_markdown", tmp_path, stdout=StringIO())
    Post.objects.all().delete()
    call_command("import_markdown", tmp_path, stdout=StringIO())
    assert downloads() == before
    assert Post.objects.get(slug=reviewed.slug).reviewed_on == datetime.date(2026, 11, 1)


def test_the_admin_lists_the_posts_whose_review_is_due(admin_client, make_post, settings):
    settings.GUTBRAIN_REVIEW_DUE_DAYS = 730
    today = timezone.localdate()
    make_post(title="Reviewed long ago", reviewer="A", reviewed_on=today - timedelta(days=731))
    make_post(title="Reviewed lately", reviewer="B", reviewed_on=today - timedelta(days=30))
    make_post(title="Never reviewed")
    listing = admin_client.get("/admin/posts/post/").content.decode()
    assert "Review due" in listing
    due = admin_client.get("/admin/posts/post/?review=due").content.decode()
    assert "Reviewed long ago" in due
    assert "Reviewed lately" not in due and "Never reviewed" not in due


def test_a_name_with_nothing_to_take_apart_still_cites(client, make_post, author):
    author.first_name, author.last_name = ",", ""
    author.save()
    post = make_post(title="Commas")
    assert client.get(post.get_absolute_url()).status_code == 200
    assert client.get(f"/posts/{post.slug}/cite.bib").status_code == 200


def test_a_login_name_is_never_cited_or_shown(client, make_post, django_user_model):
    login = django_user_model.objects.create_user("secretlogin")
    post = make_post(author=login, title="Anonymous")
    shown = [
        client.get(post.get_absolute_url()).content,
        *(client.get(f"/posts/{post.slug}/cite.{kind}").content for kind in ("bib", "ris")),
        client.get("/feed/atom/").content,
    ]
    assert not [page for page in shown if b"secretlogin" in page]
    assert b"By gutbrain" in shown[0]


def test_a_reviewer_link_set_behind_the_forms_back_is_not_shown(client, reviewed):
    Post.objects.filter(pk=reviewed.pk).update(reviewer_url="javascript:alert(1)")
    assert b"javascript:" not in client.get(reviewed.get_absolute_url()).content


def test_braces_and_line_breaks_in_a_title_keep_the_downloads_whole(client, make_post):
    post = make_post(title="Gut {feelings and } why\nER  - TY  - JOUR")
    (entry,) = bibtexparser.parse_string(
        client.get(f"/posts/{post.slug}/cite.bib").content.decode()
    ).entries
    assert entry.fields_dict["title"].value == "{Gut \\{feelings and \\} why ER - TY - JOUR}"
    records = rispy.loads(client.get(f"/posts/{post.slug}/cite.ris").content.decode())
    assert [record["title"] for record in records] == ["Gut {feelings and } why ER - TY - JOUR"]
