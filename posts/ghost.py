"""Reading a Ghost export (Settings → Import/Export → Export content) as an `Export`.

Ghost writes `{"db": [{"meta": {...}, "data": {...}}]}`; some versions drop the "db" wrapper.
`data` holds database tables: posts, tags, posts_tags, users, posts_authors. Each post's HTML is
its `html` field, or, where an export left that out, its Lexical or Mobiledoc document converted
here. The old site's `__GHOST_URL__` placeholder becomes the site URL given, or nothing, so
links stay relative to the old site and `bring_in` can still match them to imported posts.
"""

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

from posts.ghost_content import lexical_to_html, markdown_to_html, mobiledoc_to_html
from posts.moving_in import Export, Incoming

PLACEHOLDER = "__GHOST_URL__"
# Ghost 1 introduced today's table layout; 6 is the newest major this reader has been tried on.
KNOWN_MAJORS = range(1, 7)
_STATUSES = {"published": "published", "scheduled": "scheduled", "draft": "draft"}


class GhostExportError(ValueError):
    """The file is not a Ghost export this reader can use; the message says why."""


def _load(path):
    # The standard library reads JSON whole; Ghost exports are text only (images are not in
    # them), so even a large site's fits in memory.
    try:
        with open(path, encoding="utf-8-sig") as file:
            return json.load(file)
    except OSError as error:
        raise GhostExportError(f"{path} could not be read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise GhostExportError(f"{path} is not a Ghost export: it is not UTF-8 text") from error
    except json.JSONDecodeError as error:
        # A file cut off mid-download stops inside a string or right after a value.
        cut_short = error.msg.startswith("Unterminated string") or error.pos >= len(
            error.doc.rstrip()
        )
        why = "it ends before the JSON does (cut short?)" if cut_short else "it is not valid JSON"
        raise GhostExportError(
            f"{path} is not a Ghost export: {why} (line {error.lineno}, column {error.colno})"
        ) from error


def _database(document, path):
    """The export's meta and data, refusing shapes that are not a Ghost export."""
    if isinstance(document, dict) and "db" in document:
        databases = document["db"]
        if not isinstance(databases, list) or not databases:
            raise GhostExportError(f'{path} is not a Ghost export: its "db" list is empty')
        document = databases[0]
    if not isinstance(document, dict):
        raise GhostExportError(f"{path} is not a Ghost export: it holds no JSON object")
    data = document.get("data")
    if not isinstance(data, dict):
        raise GhostExportError(
            f'{path} is not a Ghost export: it has no "data" section (expected '
            '{"db": [{"meta": ..., "data": {"posts": [...]}}]})'
        )
    if not isinstance(data.get("posts"), list):
        raise GhostExportError(f'{path} is not a Ghost export: its "data" has no "posts" list')
    meta = document.get("meta") if isinstance(document.get("meta"), dict) else {}
    return meta, data


def _version_warning(meta):
    version = str(meta.get("version") or "")
    if not version:
        return "the export does not say which Ghost version wrote it; it was read as Ghost 5"
    major = version.split(".")[0]
    # Ghost 0.x wrote a bare schema number such as "003".
    if "." in version and major.isdigit() and int(major) in KNOWN_MAJORS:
        return None
    return (
        f"the export was written by Ghost {version}, which this importer does not know; "
        "it was read as Ghost 5, check the imported posts"
    )


def _rows(data, table):
    rows = data.get(table)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _when(value):
    """An aware UTC datetime from Ghost's ISO text or (older exports) epoch milliseconds."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value / 1000, UTC)
        moment = datetime.fromisoformat(str(value).replace(" ", "T"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _resolve(text, site_url):
    return text.replace(PLACEHOLDER, site_url) if isinstance(text, str) else ""


class _ImageAlts(HTMLParser):
    """Collects each <img>'s address and alt text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("src"):
            self.images.setdefault(attrs["src"], attrs.get("alt") or attrs.get("title") or "")


def _images(html):
    parser = _ImageAlts()
    parser.feed(html)
    parser.close()
    return parser.images


def _is_page(post):
    return post.get("type") == "page" or post.get("page") in (True, 1, "1", "true")


def _is_internal(tag):
    return str(tag.get("name") or "").startswith("#") or tag.get("visibility") == "internal"


class _Posts:
    """The export's posts, built afresh on each pass so a caller may read them twice."""

    def __init__(self, reader):
        self.reader = reader

    def __iter__(self):
        for post in self.reader.posts:
            yield self.reader.incoming(post)


class _Reader:
    def __init__(self, meta, data, site_url):
        self.site_url = site_url
        self.prefix = urlsplit(site_url).path.rstrip("/")
        self.posts = [p for p in _rows(data, "posts") if not _is_page(p)]
        self.pages = [
            f"{p.get('title') or '(untitled)'} ({self.prefix}/{p.get('slug') or ''}/)"
            for p in _rows(data, "posts")
            if _is_page(p)
        ]
        self.users = {str(u.get("id")): u for u in _rows(data, "users")}
        self.tags = {str(t.get("id")): t for t in _rows(data, "tags")}
        self.authors_of = self._links(data, "posts_authors", "author_id")
        self.tags_of = self._links(data, "posts_tags", "tag_id")

    @staticmethod
    def _links(data, table, column):
        """post id: the linked ids, in the post's own order."""
        links = defaultdict(list)
        rows = sorted(_rows(data, table), key=lambda row: row.get("sort_order") or 0)
        for row in rows:
            links[str(row.get("post_id"))].append(str(row.get(column)))
        return links

    def tag_paths(self):
        return {
            f"{self.prefix}/tag/{tag['slug']}/": tag["name"]
            for tag in self.tags.values()
            if tag.get("slug") and tag.get("name") and not _is_internal(tag)
        }

    def _authors(self, post, warnings):
        ids = self.authors_of.get(str(post.get("id"))) or [str(post.get("author_id"))]
        names = [self.users[i].get("name") or "" for i in ids if i in self.users]
        names = [name for name in names if name]
        if not names:
            warnings.append("its author is not among the export's users")
            return ""
        if len(names) > 1:
            warnings.append(f"only its first author is credited, not {', '.join(names[1:])}")
        return names[0]

    def _tags(self, post):
        tags = (self.tags.get(i) for i in self.tags_of.get(str(post.get("id")), []))
        return [t["name"] for t in tags if t and t.get("name") and not _is_internal(t)]

    def _html(self, post, warnings):
        if isinstance(post.get("html"), str) and post["html"].strip():
            return post["html"]
        for field, convert in (("lexical", lexical_to_html), ("mobiledoc", mobiledoc_to_html)):
            if post.get(field):
                html, problems = convert(post[field])
                warnings.extend(problems)
                return html
        if isinstance(post.get("markdown"), str) and post["markdown"].strip():  # Ghost 0.x
            return markdown_to_html(post["markdown"])
        warnings.append("it has no content")
        return ""

    def _status(self, post, warnings):
        status = post.get("status")
        visibility = post.get("visibility") or "public"
        if status in _STATUSES and visibility != "public" and _STATUSES[status] != "draft":
            # Members' and paying readers' posts would be everyone's here.
            audience = {"paid": "paying members", "members": "members"}.get(
                visibility, f"{visibility} readers"
            )
            warnings.append(f"it was for {audience} only, so it comes in as a draft")
            return "draft"
        if status in _STATUSES:
            return _STATUSES[status]
        if status == "sent":
            warnings.append("it was only sent as an email, so it comes in as a draft")
        else:
            warnings.append(f"its status '{status}' is unknown, so it comes in as a draft")
        return "draft"

    @staticmethod
    def _published_at(post, warnings):
        moment = _when(post.get("published_at"))
        if moment is None and post.get("published_at") not in (None, ""):
            warnings.append(f"its date {post['published_at']!r} cannot be read")
        if moment is None and post.get("status") in ("published", "scheduled"):
            warnings.append("it has no date it went public: it goes public when imported")
        return moment

    def incoming(self, post):
        warnings = []
        slug = str(post.get("slug") or "")
        try:
            html = _resolve(self._html(post, warnings), self.site_url)
        except (TypeError, ValueError, AttributeError, KeyError) as error:  # a card malformed
            warnings.append(f"its content could not be read ({type(error).__name__}): it is empty")
            html = ""
        return Incoming(
            source="ghost",
            source_id=str(post.get("id") or ""),
            title=str(post.get("title") or ""),
            slug=slug,
            author=self._authors(post, warnings),
            status=self._status(post, warnings),
            published_at=self._published_at(post, warnings),
            modified_at=_when(post.get("updated_at")),
            summary=str(post.get("custom_excerpt") or ""),
            html=html,
            tags=self._tags(post),
            old_paths=[f"{self.prefix}/{slug}/"] if slug else [],
            feature_image=_resolve(post.get("feature_image") or post.get("image"), self.site_url),
            images=_images(html),
            warnings=warnings,
        )


def read_ghost(path, *, site_url=""):
    """The Ghost export at `path` as an `Export`; a `GhostExportError` if it is not one.

    `site_url` is the old site's address, put where Ghost wrote `__GHOST_URL__`; the default,
    "", leaves those links relative."""
    meta, data = _database(_load(path), path)
    site_url = (site_url or str(meta.get("url") or "")).rstrip("/")
    reader = _Reader(meta, data, site_url)
    warning = _version_warning(meta)
    return Export(
        source="ghost",
        site_url=site_url,
        posts=_Posts(reader),
        tag_paths=reader.tag_paths(),
        skipped=Counter({"pages": len(reader.pages)} if reader.pages else {}),
        pages=reader.pages,
        warnings=[warning] if warning else [],
    )
