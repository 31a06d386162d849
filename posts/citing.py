"""Citing a post: its reference in the site's citation style, the same as BibTeX, RIS and
CSL-JSON for reference managers, and the `citation_*` tags Google Scholar and Zotero read."""

import json

import bibtexparser
import rispy
from bibtexparser.model import Entry, Field
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from posts.references import bibliography, parse_name, style
from posts.rendering import sanitize

FORMATS = {
    "bib": ("application/x-bibtex", "BibTeX"),
    "ris": ("application/x-research-info-systems", "RIS"),
    "json": ("application/vnd.citationstyles.csl+json", "CSL-JSON"),
}


def csl_item(post, url):
    """The post as CSL-JSON: a blog post of this site."""
    published = timezone.localtime(post.published_at)  # the day the byline gives
    item = {
        "id": post.slug,
        "type": "post-weblog",
        "title": post.title,
        "author": [parse_name(post.author_name)],
        "container-title": settings.GUTBRAIN_SITE_TITLE,
        "issued": {"date-parts": [[published.year, published.month, published.day]]},
        "URL": url,
    }
    if post.doi:
        item["DOI"] = post.doi
    return item


def formatted(post, url):
    """The post's reference in the site's style, as safe HTML."""
    try:
        entry = bibliography([csl_item(post, url)], style(settings.GUTBRAIN_CITATION_STYLE))
        text = next(iter(entry.values()))
    except Exception:  # the style cannot be used: `manage.py check` says why
        text = escape(f"{post.author_name}. {post.title}. {settings.GUTBRAIN_SITE_TITLE}. {url}")
    return mark_safe(sanitize(text))  # the one sanitiser's output


def _name(name):
    if "literal" in name:
        return name["literal"]
    return ", ".join(filter(None, (name.get("family"), name.get("given"))))


def _bibtex_text(text):
    """Text as a BibTeX value holds it: its own braces escaped, on one line."""
    return " ".join(text.replace("{", "\\{").replace("}", "\\}").split())


def as_bibtex(item):
    year, month, _ = item["issued"]["date-parts"][0]
    fields = {
        # Braced: reference managers keep the title's capitals.
        "title": "{" + _bibtex_text(item["title"]) + "}",
        "author": " and ".join(_bibtex_text(_name(name)) for name in item["author"]),
        "journal": _bibtex_text(item["container-title"]),
        "year": str(year),
        "month": str(month),
        "url": item["URL"],
    }
    if "DOI" in item:
        fields["doi"] = item["DOI"]
    entry = Entry("online", item["id"], [Field(key, value) for key, value in fields.items()])
    library = bibtexparser.Library([entry])
    return bibtexparser.write_string(library)


def as_ris(item):
    year, month, day = item["issued"]["date-parts"][0]
    one_line = " ".join  # a line break would start a tag of its own
    record = {
        "type_of_reference": "BLOG",
        "title": one_line(item["title"].split()),
        "authors": [one_line(_name(name).split()) for name in item["author"]],
        "secondary_title": one_line(item["container-title"].split()),
        "date": f"{year:04d}/{month:02d}/{day:02d}",
        "year": str(year),
        "urls": [item["URL"]],
    }
    if "DOI" in item:
        record["doi"] = item["DOI"]
    return rispy.dumps([record])


def as_csl_json(item):
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


WRITERS = {"bib": as_bibtex, "ris": as_ris, "json": as_csl_json}


def scholar_tags(post, url):
    """(name, value) for the `citation_*` meta tags Google Scholar asks of a page."""
    tags = [
        ("citation_title", post.title),
        ("citation_author", _name(parse_name(post.author_name))),
        ("citation_publication_date", f"{timezone.localtime(post.published_at):%Y/%m/%d}"),
        ("citation_journal_title", settings.GUTBRAIN_SITE_TITLE),
        ("citation_publisher", settings.GUTBRAIN_SITE_TITLE),
        ("citation_fulltext_html_url", url),
    ]
    if post.doi:
        tags.append(("citation_doi", post.doi))
    return tags
