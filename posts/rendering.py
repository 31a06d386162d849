"""The one gate between author text and HTML.

Markdown is rendered first and its *output* sanitised, so links and attributes that Markdown
creates (``[x](javascript:…)``, ``{: onclick=…}``) pass the allowlist like any raw HTML.
"""

import re

import bleach
import markdown
from bleach.html5lib_shim import Filter
from markdown.extensions.toc import slugify_unicode

# Classes the Markdown extensions emit; authors cannot borrow the site's own classes.
ALLOWED_CLASSES = frozenset({"footnote", "footnote-ref", "footnote-backref"})
# Ids that come from author text get this prefix so they cannot clobber the page's own ids.
CONTENT_ID_PREFIX = "md-"
# In-page links the author may make to the page's own anchors, such as a post's resources.
PAGE_ANCHOR = re.compile(r"#resource-[0-9]+")

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
        "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
        "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": ["id", "title"],
    "a": ["href", "title", "id", "class", "rel"],
    "abbr": ["title"],
    "div": ["class", "id"],
    "img": ["src", "alt", "title", "width", "height"],
    "li": ["id"],
    "ol": ["start"],
    "sup": ["id"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan", "scope"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

MARKDOWN_EXTENSIONS = ["footnotes", "tables", "fenced_code", "toc", "sane_lists", "smarty"]
MARKDOWN_CONFIG = {
    "toc": {"slugify": slugify_unicode, "permalink": False},
    "tables": {"use_align_attribute": True},
    "footnotes": {"BACKLINK_TITLE": "Back to the text of footnote %d"},
}

WORDS_PER_MINUTE = 230
_WORD = re.compile(r"\w+")


class ContentFilter(Filter):
    """Prefixes ids and in-page anchors, keeps known classes, marks external links, lazy images."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag"):
                attrs = token["data"]
                for key in list(attrs):
                    name, value = key[1], attrs[key]
                    if name == "id":
                        attrs[key] = CONTENT_ID_PREFIX + value
                    elif name == "class":
                        kept = " ".join(c for c in value.split() if c in ALLOWED_CLASSES)
                        if kept:
                            attrs[key] = kept
                        else:
                            del attrs[key]
                    elif (
                        name == "href"
                        and value.startswith("#")
                        and len(value) > 1
                        and not PAGE_ANCHOR.fullmatch(value)
                    ):
                        attrs[key] = "#" + CONTENT_ID_PREFIX + value[1:]
                if token["name"] == "a" and _is_external(attrs.get((None, "href"), "")):
                    attrs[(None, "rel")] = "noopener noreferrer"
                if token["name"] == "img":
                    attrs[(None, "loading")] = "lazy"
                    attrs[(None, "decoding")] = "async"
            yield token


def _is_external(href):
    return href.strip().lower().startswith(("http://", "https://", "//"))


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[ContentFilter],
)


def sanitize(html):
    """Reduce HTML to the allowlist; the only place author HTML is cleaned."""
    return _cleaner.clean(html)


def render_markdown(source):
    """Turn an author's Markdown into HTML that is safe to show as is."""
    html = markdown.markdown(
        source or "",
        extensions=MARKDOWN_EXTENSIONS,
        extension_configs=MARKDOWN_CONFIG,
        output_format="html",
    )
    return sanitize(html)


def reading_minutes(source):
    """Minutes a reader needs for the text, at least one."""
    return max(1, round(len(_WORD.findall(source or "")) / WORDS_PER_MINUTE))
