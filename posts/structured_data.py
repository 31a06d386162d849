"""JSON-LD for search engines: a post as a schema.org BlogPosting with its citations."""

import json
from urllib.parse import urljoin

from django.utils.html import format_html
from django.utils.safestring import mark_safe

from posts.links import site_origin


def _script_safe(payload):
    """The same escapes as Django's json_script, so the data can never close its <script>
    element; str.replace, as str.translate with a mapping costs a millisecond a page."""
    return payload.replace("&", "\\u0026").replace("<", "\\u003C").replace(">", "\\u003E")


def _citation(resource):
    citation = {"@type": "ScholarlyArticle", "name": resource.title}
    if resource.authors:
        citation["author"] = resource.authors
    if resource.venue:
        citation["isPartOf"] = {"@type": "Periodical", "name": resource.venue}
    if resource.year:
        citation["datePublished"] = str(resource.year)
    identifiers = []
    if resource.doi:
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": resource.doi})
    if resource.pmid:
        identifiers.append(
            {"@type": "PropertyValue", "propertyID": "PMID", "value": resource.pmid}
        )
    if identifiers:
        citation["identifier"] = identifiers
    url = resource.url or resource.doi_url or resource.pubmed_url
    if url:
        citation["url"] = url
    return citation


def blog_posting(request, post, resources, series_places):
    """A <script type="application/ld+json"> describing the post."""
    origin = site_origin(request)
    url = origin + post.get_absolute_url()
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": post.published_at.isoformat(),
        "dateModified": post.last_changed.isoformat(),
        "author": {
            "@type": "Person",
            "name": post.author_name,
        },
        "keywords": sorted(tag.name for tag in post.tag_list),
        "wordCount": len(post.body.split()),
    }
    if post.summary:
        data["description"] = post.summary
    if post.feature_image:
        image = post.feature_image
        data["image"] = {
            "@type": "ImageObject",
            "url": urljoin(url, image.file.url),
            "width": image.width,
            "height": image.height,
            "caption": image.alt_text,
        }
    if resources:
        data["citation"] = [_citation(resource) for resource in resources]
    if series_places:
        data["isPartOf"] = [
            {
                "@type": "CreativeWorkSeries",
                "name": place.series.title,
                "url": origin + place.series.get_absolute_url(),
            }
            for place in series_places
        ]
    payload = _script_safe(json.dumps(data, ensure_ascii=False))
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))
