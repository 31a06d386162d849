"""WordPress's export (WXR 1.1 and 1.2, as Tools → Export writes it) read as an `Export` for
posts.moving_in.bring_in.

The file is streamed twice, each element let go once read, so that an export of hundreds of
megabytes is never held whole: first what posts refer to (authors, categories, tags,
attachments, every post's slug), then the posts themselves. defusedxml refuses entity
declarations (the "billion laughs") and external entities rather than expanding or fetching
them.
"""

import re
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape  # titles and names are kept with entities: `Food &amp; Drink`
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.utils.html import strip_tags
from django.utils.text import Truncator, slugify

from posts.moving_in import SIZED_COPY, Export, Incoming
from posts.wordpress_content import as_html

WXR_VERSIONS = {"1.0", "1.1", "1.2"}
NAMESPACES = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
}
# wp: and excerpt: carry the WXR version in their URI.
VERSIONED = re.compile(
    r"https?://wordpress\.org/export/(?P<version>[\d.]+)/(?P<excerpt>excerpt/)?"
)
IGNORED_NAMESPACES = {"http://www.w3.org/2005/Atom", "http://purl.org/rss/1.0/modules/slash/"}
STATUSES = {"publish": "published", "future": "scheduled", "draft": "draft", "pending": "draft"}
STATUSES["private"] = "draft"


class UnreadableExport(ValueError):
    """The file cannot be read as a WordPress export: nothing of it is imported."""


@dataclass
class Survey:
    """What posts refer to, from the first pass."""

    version: str = ""
    site_url: str = ""
    authors: dict = field(default_factory=dict)  # login: display name
    categories: dict = field(default_factory=dict)  # nicename: (name, parent nicename)
    attachments: dict = field(default_factory=dict)  # id: (url, alt text, parent id)
    children: dict = field(default_factory=dict)  # post id: {attachment id: url}
    blocks: dict = field(default_factory=dict)  # reusable block id: its content
    described: dict = field(default_factory=dict)  # attachment URL: alt text or title
    pages: list = field(default_factory=list)  # "title (its address)"
    slugs: dict = field(default_factory=dict)  # post id: unique slug
    skipped: Counter = field(default_factory=Counter)
    warnings: list = field(default_factory=list)


def name(tag):
    """`wp:post_name` for `{http://wordpress.org/export/1.2/}post_name`, whatever the version."""
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    if match := VERSIONED.fullmatch(uri):
        return f"{'excerpt' if match['excerpt'] else 'wp'}:{local}"
    for prefix, known in NAMESPACES.items():
        if uri == known:
            return f"{prefix}:{local}"
    return f"{{{uri}}}{local}"


def fields(item):
    """The item's own fields by name; postmeta and comments apart."""
    values, meta, comments = {}, {}, 0
    for child in item:
        key = name(child.tag)
        if key == "wp:postmeta":
            parts = {name(c.tag): c.text or "" for c in child}
            meta[parts.get("wp:meta_key", "")] = parts.get("wp:meta_value", "")
        elif key == "wp:comment":
            comments += 1
        elif key == "category":
            kind, nicename = child.get("domain"), unquote(child.get("nicename") or "")
            values.setdefault(kind, []).append((nicename, unescape(child.text or "").strip()))
        else:
            values[key] = child.text or ""
    return values, meta, comments


def elements(path, warnings):
    """(element, its name) at the end of each, the WXR version's and unknown namespaces
    noted on the way; the file's problems as UnreadableExport."""
    try:
        channel = None
        for event, element in iterparse(path, events=("start", "end", "start-ns")):
            if event == "start-ns":
                prefix, uri = element
                if not (
                    VERSIONED.fullmatch(uri)
                    or uri in NAMESPACES.values()
                    or uri in IGNORED_NAMESPACES
                ):
                    warnings.append(f"unknown namespace {prefix}: {uri}, its elements ignored")
                continue
            if event == "start":
                if element.tag == "channel":
                    channel = element
                continue
            yield element, name(element.tag)
            if channel is not None and element.tag == "item":
                with suppress(ValueError):  # an item outside the channel is let go with it
                    channel.remove(element)  # read: let it go
    except DefusedXmlException as error:
        raise UnreadableExport(
            f"refused: the file declares entities or refers to outside files ({error}); "
            "an export from WordPress does neither"
        ) from error
    except ParseError as error:
        raise UnreadableExport(f"not readable as XML ({error}); is the file whole?") from error
    except (OSError, LookupError) as error:
        raise UnreadableExport(f"cannot be read: {error}") from error


def survey(path):
    found = Survey()
    taken = set()
    warnings = []
    for element, key in elements(path, warnings):
        if key == "wp:wxr_version":
            found.version = (element.text or "").strip()
        elif key == "wp:base_blog_url" or (key == "link" and not found.site_url):
            found.site_url = found.site_url if key == "link" else ""
            found.site_url = (element.text or "").strip().rstrip("/") or found.site_url
        elif key == "wp:author":
            parts = {name(c.tag): (c.text or "").strip() for c in element}
            login = parts.get("wp:author_login", "")
            found.authors[login] = unescape(parts.get("wp:author_display_name", "")) or login
        elif key == "wp:category":
            parts = {name(c.tag): (c.text or "").strip() for c in element}
            nicename = unquote(parts.get("wp:category_nicename", ""))
            found.categories[nicename] = (
                unescape(parts.get("wp:cat_name", "")) or nicename,
                unquote(parts.get("wp:category_parent", "")),
            )
        elif key == "item":
            values, meta, comments = fields(element)
            kind, post_id = values.get("wp:post_type"), values.get("wp:post_id", "")
            found.skipped["comments"] += comments
            status = values.get("wp:status")
            if kind == "attachment":
                url = values.get("wp:attachment_url", "")
                alt = meta.get("_wp_attachment_image_alt") or values.get("title", "")
                parent = values.get("wp:post_parent", "0")
                found.attachments[post_id] = (url, alt, parent)
                found.children.setdefault(parent, {})[post_id] = url
            elif kind == "wp_block":
                found.blocks[post_id] = values.get("content:encoded", "")
            elif kind == "page" and status not in ("trash", "auto-draft"):
                found.skipped["pages"] += 1
                where = urlsplit(values.get("link", "")).path or f"?page_id={post_id}"
                found.pages.append(f"{values.get('title', '').strip() or '(untitled)'} ({where})")
            elif kind == "post" and status == "auto-draft":
                found.skipped["empty drafts"] += 1
            elif kind == "post" and status != "trash" and post_id not in found.slugs:
                slug = slug_of(values) or f"post-{post_id}"
                if slug in taken:
                    unique = next(
                        f"{slug}-{n}" for n in range(2, 10**6) if f"{slug}-{n}" not in taken
                    )
                    warnings.append(
                        f"post {post_id}: the slug {slug!r} is another post's, "
                        f"so it is {unique!r} here"
                    )
                    slug = unique
                taken.add(slug)
                found.slugs[post_id] = slug
            elif kind == "post" and status == "trash":
                found.skipped["trash"] += 1
            elif kind == "post":
                pass  # a second item with one id: posts.bringing_in says so and leaves it out
            elif kind not in ("page", "nav_menu_item", "revision", "wp_navigation"):
                found.skipped[f"{kind}s"] += 1
            element.clear()
    found.described = {url: alt for url, alt, _ in found.attachments.values() if url}
    if found.version not in WXR_VERSIONS:
        warnings.insert(
            0,
            f"WXR version {found.version or '(none)'} is not one this reads "
            "(1.1, 1.2): read as 1.2, check the result",
        )
    found.warnings = warnings
    return found


def slug_of(values):
    slug = unquote(values.get("wp:post_name", "")).strip()
    # Addresses here are ASCII (the post URL's slug): a slug in another script becomes
    # post-<id> below, and its old address still redirects.
    return slugify(slug) or slugify(values.get("title", ""))


def moment(text):
    """An aware datetime from WordPress's "2019-05-12 10:30:00", or None for "0000-…"."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def read(path, categories_as="tags"):
    """The export at `path`; UnreadableExport if it cannot be read at all."""
    found = survey(path)
    tag_paths, series_paths = {}, {}
    base = urlsplit(found.site_url).path.rstrip("/")
    for nicename in found.categories:
        paths = tag_paths if categories_as == "tags" else series_paths
        paths[f"{base}/category/{category_path(found, nicename)}/"] = found.categories[nicename][0]
    return Export(
        source="wordpress",
        site_url=found.site_url,
        posts=Posts(path, found, categories_as, base, tag_paths),
        tag_paths=tag_paths,
        series_paths=series_paths,
        skipped=found.skipped,
        pages=found.pages,
        warnings=found.warnings,
    )


def category_path(found, nicename):
    """parent/child/grandchild, as WordPress's category addresses nest them."""
    path, seen = [nicename], {nicename}
    while (parent := found.categories.get(path[0], ("", ""))[1]) and parent not in seen:
        path.insert(0, parent)
        seen.add(parent)
    return "/".join(path)


@dataclass
class Posts:
    """The export's posts, read from the file afresh on each pass."""

    path: str
    found: Survey
    categories_as: str
    base: str
    tag_paths: dict

    def __iter__(self):
        for element, key in elements(self.path, []):
            if key == "item":
                values, meta, _ = fields(element)
                element.clear()
                if (
                    values.get("wp:post_type") == "post"
                    and values.get("wp:status") not in ("trash", "auto-draft")
                    and values.get("wp:post_id") in self.found.slugs
                ):
                    yield incoming(
                        values, meta, self.found, self.categories_as, self.base, self.tag_paths
                    )


def incoming(values, meta, found, categories_as, base, tag_paths):
    post_id = values.get("wp:post_id", "")
    slug, warnings = found.slugs[post_id], []
    status = STATUSES.get(values.get("wp:status", ""), "draft")
    if values.get("wp:status", "") not in STATUSES:
        warnings.append(
            f"its status {values.get('wp:status', '')!r} is unknown: brought in as a draft"
        )
    if values.get("wp:post_password"):
        status = "draft"
        warnings.append("protected by a password there: brought in as a draft")
    published_at = moment(values.get("wp:post_date_gmt", ""))
    local = moment(values.get("wp:post_date", ""))
    if published_at is None and status != "draft":
        published_at = local
        warnings.append(
            "no valid GMT date: its local date is taken as UTC"
            if local
            else "no valid date: it goes public when imported"
        )
    categories = [n for n, _ in values.get("category", []) if n]
    # Nested categories flattened: each by its own name.
    category_names = [
        found.categories.get(n, (text, ""))[0] for n, text in values.get("category", []) if n
    ]
    tags = []
    for nicename, text in values.get("post_tag", []):
        tags.append(text or nicename)
        tag_paths[f"{base}/tag/{nicename}/"] = text or nicename
    content = as_html(values.get("content:encoded", ""), post_id, found)
    warnings += content.warnings
    if content.shortcodes:
        left = ", ".join(f"[{s}]" for s in content.shortcodes)
        warnings.append(f"shortcodes left as text: {left}")
    excerpt = " ".join(unescape(strip_tags(values.get("excerpt:encoded", ""))).split())
    thumbnail = found.attachments.get(meta.get("_thumbnail_id", ""), ("", "", ""))[0]
    return Incoming(
        source="wordpress",
        source_id=post_id,
        title=unescape(values.get("title", "")).strip(),
        slug=slug,
        author=found.authors.get(values.get("dc:creator", ""), values.get("dc:creator", "")),
        status=status,
        published_at=published_at if status != "draft" else None,
        modified_at=moment(values.get("wp:post_modified_gmt", "")),
        summary=Truncator(excerpt).chars(300),
        html=content.html,
        tags=tags + (category_names if categories_as == "tags" else []),
        series=category_names if categories_as == "series" else [],
        old_paths=old_paths(values, found, base, slug, local or published_at, categories),
        feature_image=thumbnail,
        images=image_descriptions(found, content.html, thumbnail),
        shortcodes=content.shortcodes,
        warnings=warnings,
    )


def old_paths(values, found, base, slug, date, categories):
    """Every address WordPress answered for the post: its own `?p=`, the address in the
    export, and those of the common permalink structures, whichever the site used."""
    post_id = values.get("wp:post_id", "")
    # A name in another script is in its old addresses, though not in its new one.
    if not (named := unquote(values.get("wp:post_name", "")).strip()).isascii():
        slug = named
    paths = [f"{base}/?p={post_id}", f"{base}/index.php?p={post_id}", f"{base}/{slug}/"]
    paths.append(f"{base}/archives/{post_id}/")
    if link := values.get("link", ""):
        parts = urlsplit(link)
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    if date:
        y, m, d = f"{date:%Y}", f"{date:%m}", f"{date:%d}"
        paths += [f"{base}/{y}/{m}/{d}/{slug}/", f"{base}/{y}/{m}/{slug}/", f"{base}/{y}/{slug}/"]
    paths += [f"{base}/category/{category_path(found, n)}/{slug}/" for n in categories]
    return list(dict.fromkeys(unquote(path) for path in paths if path))


def image_descriptions(found, html, thumbnail):
    """Alt text (else title) of the attachments the text shows, by each URL it uses for them,
    sized copies (image-300x200.jpg) included."""
    described = found.described
    images = {}
    for url in [*re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', html), thumbnail]:
        original = SIZED_COPY.sub("", url)
        if url and (url in described or original in described):
            images[url] = described.get(url) or described.get(original, "")
    return images
