"""The rules of JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) as a checker, and a JSON
feed read as feedparser reads RSS and Atom."""

import re
from datetime import datetime
from urllib.parse import urlsplit

from feedparser import FeedParserDict

VERSION = "https://jsonfeed.org/version/1.1"

# JSON Feed 1.1: each field with the type it must have. "author" is 1.0's, still valid.
TOP_LEVEL = {
    "version": str,
    "title": str,
    "home_page_url": "url",
    "feed_url": "url",
    "description": str,
    "user_comment": str,
    "next_url": "url",
    "icon": "url",
    "favicon": "url",
    "author": "author",
    "authors": ["author"],
    "language": str,
    "expired": bool,
    "hubs": ["hub"],
    "items": ["item"],
}
ITEM = {
    "id": str,
    "url": "url",
    "external_url": "url",
    "title": str,
    "content_html": str,
    "content_text": str,
    "summary": str,
    "image": "url",
    "banner_image": "url",
    "date_published": "date",
    "date_modified": "date",
    "author": "author",
    "authors": ["author"],
    "tags": [str],
    "language": str,
    "attachments": ["attachment"],
}
AUTHOR = {"name": str, "url": "url", "avatar": "url"}
HUB_FIELDS = {"type": str, "url": "url"}
ATTACHMENT = {
    "url": "url",
    "mime_type": str,
    "title": str,
    "size_in_bytes": "number",
    "duration_in_seconds": "number",
}
RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
EXTENSION = re.compile(r"_[A-Za-z][^.]*")


def json_feed_problems(document):
    """What breaks the JSON Feed 1.1 rules in a decoded feed: an empty list for a valid one."""
    problems = []

    def check_object(value, fields, where, required=()):
        if not isinstance(value, dict):
            problems.append(f"{where}: not an object")
            return
        for name in required:
            if name not in value:
                problems.append(f"{where}: no {name}")
        for name, member in value.items():
            if name in fields:
                check(member, fields[name], f"{where}.{name}")
            elif not EXTENSION.fullmatch(name):  # only extensions may add keys
                problems.append(f"{where}: unknown key {name!r}")

    def check(value, kind, where):
        if isinstance(kind, list):
            if not isinstance(value, list):
                problems.append(f"{where}: not an array")
            else:
                for index, element in enumerate(value):
                    check(element, kind[0], f"{where}[{index}]")
        elif kind is str or kind is bool:
            if not isinstance(value, kind):
                problems.append(f"{where}: not a {kind.__name__}")
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{where}: not a number")
        elif kind == "url":
            parts = urlsplit(value) if isinstance(value, str) else None
            if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append(f"{where}: not an absolute URL: {value!r}")
        elif kind == "date":
            if not isinstance(value, str) or not RFC_3339.fullmatch(value):
                problems.append(f"{where}: not an RFC 3339 date: {value!r}")
        elif kind == "author":
            check_object(value, AUTHOR, where)
            if value == {}:
                problems.append(f"{where}: an author with nothing in it")
        elif kind == "hub":
            check_object(value, HUB_FIELDS, where, required=("type", "url"))
        elif kind == "attachment":
            check_object(value, ATTACHMENT, where, required=("url", "mime_type"))
        elif kind == "item":
            check_object(value, ITEM, where, required=("id",))
            if isinstance(value, dict) and not ({"content_html", "content_text"} & set(value)):
                problems.append(f"{where}: neither content_html nor content_text")

    check_object(document, TOP_LEVEL, "feed", required=("version", "title", "items"))
    if document.get("version") != VERSION:
        problems.append(f"feed.version: {document.get('version')!r}")
    ids = [item.get("id") for item in document.get("items", []) if isinstance(item, dict)]
    if len(ids) != len(set(ids)):
        problems.append("feed.items: an id used twice")
    return problems


def as_parsed(document):
    """A JSON feed as feedparser gives RSS and Atom, for tests written for those."""

    def when(value):
        return datetime.fromisoformat(value).utctimetuple() if value else None

    entries = [
        FeedParserDict(
            id=item["id"],
            link=item.get("url"),
            title=item.get("title"),
            summary=item.get("summary", ""),
            content=[FeedParserDict(value=item["content_html"])],
            published_parsed=when(item.get("date_published")),
            updated_parsed=when(item.get("date_modified")),
            author=item["authors"][0]["name"],
            tags=[FeedParserDict(term=tag) for tag in item.get("tags", [])],
            enclosures=[
                FeedParserDict(href=a["url"], type=a["mime_type"], length=a["size_in_bytes"])
                for a in item.get("attachments", [])
            ],
        )
        for item in document["items"]
    ]
    feed = FeedParserDict(title=document["title"], link=document["home_page_url"])
    return FeedParserDict(feed=feed, entries=entries, bozo=0)
