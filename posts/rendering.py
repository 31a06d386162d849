"""The one gate between author text and HTML.

Markdown is rendered first and its *output* sanitised, so links and attributes that Markdown
creates (``[x](javascript:…)``, ``{: onclick=…}``) pass the allowlist like any raw HTML.

Two additions to Markdown serve posts that build on each other:
- links are handed to a resolver, which may point them somewhere else (a post's current
  address for ``post:slug``) or turn them into plain text (a link to a missing post);
- ``[#4]`` and ``[Resource #4]`` cite resource 4 of the post, as a link to ``#resource-4``.
"""

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from urllib.parse import urlsplit

import bleach
import markdown
from bleach.html5lib_shim import Filter
from django.conf import settings
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from posts import markdown_guard
from posts.contents import PERMALINK_CLASS, HeadingPermalinks, without_permalinks
from posts.figures import RENDITION_TYPES, FigureProcessor, ImageResolution
from posts.highlighting import CSS_CLASS as CODE_CLASS
from posts.highlighting import TOKEN_CLASSES, CodeExtension

# Classes the Markdown extensions emit; authors cannot borrow the site's own classes.
ALLOWED_CLASSES = frozenset(
    {"footnote", "footnote-ref", "footnote-backref", "citation", "credit", "identifier"}
    | {PERMALINK_CLASS, CODE_CLASS}
)
# Inside <pre>, spans keep the classes of highlighted code too.
CODE_SPAN_CLASSES = ALLOWED_CLASSES | TOKEN_CLASSES
# Ids that come from author text get this prefix so they cannot clobber the page's own ids.
CONTENT_ID_PREFIX = "md-"
# In-page links the author may make to the page's own anchors, such as a post's resources.
PAGE_ANCHOR = re.compile(r"resource-[0-9]+")

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
        "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "picture", "pre", "q", "s", "samp",
        "small", "source", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": ["id", "title"],
    "a": ["href", "title", "id", "class", "rel", "aria-label"],
    "abbr": ["title"],
    "div": ["class", "id"],
    "img": ["src", "alt", "title", "width", "height", "srcset", "sizes", "fetchpriority"],
    "li": ["id"],
    "span": ["class"],
    "ol": ["start"],
    "source": ["type", "srcset", "sizes"],
    "sup": ["id"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan", "scope"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# The attribute of each allowed tag that holds an address.
URL_ATTRIBUTES = {"a": (None, "href"), "img": (None, "src")}

MARKDOWN_EXTENSIONS = ["footnotes", "tables", "fenced_code", "toc", "sane_lists", "smarty"]
MARKDOWN_CONFIG = {
    "toc": {"slugify": slugify_unicode, "permalink": False},
    "tables": {"use_align_attribute": True},
    "footnotes": {"BACKLINK_TITLE": "Back to the text of footnote %d"},
}


WORDS_PER_MINUTE = 230
_WORD = re.compile(r"\w+")


class ContentFilter(Filter):
    """Prefixes ids and in-page anchors, keeps known classes, marks external links, lazy images,
    lets keyboards scroll code."""

    def __iter__(self):
        in_pre = 0
        for token in super().__iter__():
            if token["type"] == "EndTag" and token["name"] == "pre":
                in_pre -= 1
            if token["type"] in ("StartTag", "EmptyTag"):
                in_pre += token["name"] == "pre"
                code_span = in_pre > 0 and token["name"] == "span"
                classes = CODE_SPAN_CLASSES if code_span else ALLOWED_CLASSES
                attrs = token["data"]
                url = URL_ATTRIBUTES.get(token["name"])
                # Attribute values keep their entities here; read them as the page will.
                readable = url in attrs and parses(html.unescape(attrs[url]))
                if not self.renditions_only(token["name"], attrs):
                    continue  # a <source> of somewhere else: the <img> in it remains
                if token["name"] == "img" and not readable:
                    # No image to show (or none the sanitiser kept): its description instead.
                    yield {
                        "type": "Characters",
                        "data": html.unescape(attrs.get((None, "alt"), "")),
                    }
                    continue
                if url in attrs and not readable:
                    del attrs[url]  # the link's text stays, as text
                for key in list(attrs):
                    name, value = key[1], attrs[key]
                    if name == "id":
                        attrs[key] = CONTENT_ID_PREFIX + value
                    elif name == "class":
                        kept = " ".join(c for c in value.split() if c in classes)
                        if kept:
                            attrs[key] = kept
                        else:
                            del attrs[key]
                    elif name == "href" and value.startswith("#") and len(value) > 1:
                        attrs[key] = "#" + content_fragment(value[1:])
                if token["name"] == "pre":
                    # Code wider than the screen scrolls sideways: keyboards must reach it.
                    attrs[(None, "tabindex")] = "0"
                if token["name"] == "a" and _is_external(attrs.get((None, "href"), "")):
                    attrs[(None, "rel")] = "noopener noreferrer"
                if token["name"] == "img":
                    if attrs.get((None, "fetchpriority")) == "high":
                        attrs[(None, "loading")] = "eager"  # the first thing readers see
                    else:
                        attrs.pop((None, "fetchpriority"), None)
                        attrs[(None, "loading")] = "lazy"
                    attrs[(None, "decoding")] = "async"
            yield token

    @staticmethod
    def renditions_only(name, attrs):
        """Keeps `srcset` only where it lists this site's own renditions, so author HTML
        cannot send readers' browsers elsewhere by it; False for a <source> to drop."""
        srcset = attrs.get((None, "srcset"))
        if srcset is not None:
            addresses = [c.split()[0] for c in html.unescape(srcset).split(",") if c.split()]
            if not addresses or not all(
                a.startswith(settings.MEDIA_URL) and parses(a) for a in addresses
            ):
                del attrs[(None, "srcset")]
        if name != "source":
            return True
        return (None, "srcset") in attrs and attrs.get((None, "type")) in RENDITION_TYPES


def content_fragment(fragment):
    """The fragment as it must read to reach an id in rendered author content."""
    if PAGE_ANCHOR.fullmatch(fragment) or fragment.startswith(CONTENT_ID_PREFIX):
        # The page's own anchors, or an id as it appears on the page (from a pasted address).
        return fragment
    return CONTENT_ID_PREFIX + fragment


def parses(url):
    """Whether urllib can take the address apart, as feeds and link checks do: not so for a
    host such as `[oops]` or a port such as `:99999`."""
    try:
        urlsplit(url).port  # noqa: B018 (reading the port checks it)
    except ValueError:
        return False
    return True


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


# Control characters (pasted from a PDF, say) have no place in text, and XML cannot carry them.
def as_file_text(text):
    """Text as a Markdown file holds it, so that export and import change nothing: browsers
    send CRLF from a textarea; keep one kind of line ending, and end with one."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"


CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# `[#4]` or `[Resource #4]`, but not a link text such as `[#4](https://…)` or `[#4][ref]`.
CITATION_PATTERN = r"\[(Resource\s+)?#([0-9]{1,4})\](?![(\[:])"


class RenderError(ValueError):
    """The text cannot be rendered: Markdown nested beyond Python's recursion limit, or text
    that would take too long (see posts.markdown_guard)."""


# Longer text is refused; the admin's form says so before rendering.
MAX_SOURCE_CHARACTERS = markdown_guard.MAX_CHARACTERS


@dataclass(frozen=True)
class Rendered:
    html: str
    citations: tuple[int, ...]  # resource numbers, in the order they are cited


def citation_id(number, occurrence):
    """The id of the `occurrence`-th citation of resource `number`, as it appears on the page."""
    return f"{CONTENT_ID_PREFIX}cite-{number}-{occurrence}"


class CitationProcessor(InlineProcessor):
    def __init__(self, md, citations):
        super().__init__(CITATION_PATTERN, md)
        self.citations = citations

    def handleMatch(self, match, data):
        labelled, number = match.group(1), int(match.group(2))
        self.citations.append(number)
        link = etree.Element("a")
        link.set("href", f"#resource-{number}")
        link.set("class", "citation")
        # Unprefixed here: every id gets the content prefix when the HTML is sanitised.
        link.set("id", citation_id(number, self.citations.count(number))[len(CONTENT_ID_PREFIX) :])
        link.text = f"Resource #{number}" if labelled else f"[{number}]"
        return link, match.start(0), match.end(0)


class LinkResolution(Treeprocessor):
    """Asks the resolver once about every link, then rewrites or unlinks them."""

    def __init__(self, md, resolve_links):
        super().__init__(md)
        self.resolve_links = resolve_links

    def run(self, root):
        links = [element for element in root.iter("a") if element.get("href")]
        if not links:
            return
        resolved = self.resolve_links({element.get("href") for element in links})
        for element in links:
            href = element.get("href")
            if href not in resolved:
                continue
            if resolved[href] is None:
                element.tag = "span"
                element.attrib.clear()
            else:
                element.set("href", resolved[href])


class PostExtension(Extension):
    def __init__(self, citations, resolve_links=None, resolve_images=None, eager_first=False):
        super().__init__()
        self.citations = citations
        self.resolve_links = resolve_links
        self.resolve_images = resolve_images
        self.eager_first = eager_first

    def extendMarkdown(self, md):
        # After fenced code is set aside (25), before raw HTML is read (20).
        md.preprocessors.register(markdown_guard.Guard(md), "guard", 24)
        # Before paragraphs (10), after everything else a block can be.
        md.parser.blockprocessors.register(FigureProcessor(md.parser), "figure", 12)
        # Once toc (5) has given the headings their ids.
        md.treeprocessors.register(HeadingPermalinks(md, CONTENT_ID_PREFIX), "permalinks", 4)
        # Before links (160) and reference links (170), so `[#4]` is never taken for one.
        md.inlinePatterns.register(CitationProcessor(md, self.citations), "citation", 175)
        # After the inline patterns (20) and footnotes, so every link and image exists by then.
        if self.resolve_links is not None:
            md.treeprocessors.register(LinkResolution(md, self.resolve_links), "links", 1)
        if self.resolve_images is not None:
            images = ImageResolution(md, self.resolve_images, self.eager_first)
            md.treeprocessors.register(images, "images", 1)


def render(source, resolve_links=None, resolve_images=None, eager_first_image=False):
    """Turn an author's Markdown into HTML that is safe to show as is.

    `resolve_links(hrefs)` gets the set of link targets in the text and returns a mapping from
    some of them to a new href, or to None to show that link as plain text.
    `resolve_images(srcs)` does the same for images, mapping to a ShownImage
    or None. With `eager_first_image`, the first image is fetched first, not lazily.
    RenderError says why a text cannot be rendered, or would take too long to
    (posts.markdown_guard).
    """
    citations = []
    source = CONTROL_CHARACTERS.sub("", source or "")
    try:
        markdown_guard.check_source(source)
        html = markdown.markdown(
            source,
            extensions=[
                *MARKDOWN_EXTENSIONS,
                CodeExtension(),
                PostExtension(citations, resolve_links, resolve_images, eager_first_image),
            ],
            extension_configs=MARKDOWN_CONFIG,
            output_format="html",
        )
    except RecursionError as error:
        raise RenderError(
            "This text nests lists, quotes or brackets too deeply to be shown. "
            "Flatten the deepest part."
        ) from error
    except markdown_guard.TooCostly as error:
        raise RenderError(str(error)) from error
    return Rendered(html=sanitize(html), citations=tuple(citations))


def render_markdown(source):
    """Safe HTML for Markdown that has no links to resolve, such as a series description."""
    return render(source).html


def reading_minutes(source):
    """Minutes a reader needs for the text, at least one."""
    return max(1, round(len(_WORD.findall(source or "")) / WORDS_PER_MINUTE))


# Block elements separate words; inline ones (links, emphasis) must not split "post," apart.
BLOCK_TAGS = re.compile(
    r"</?(?:p|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|table|tr|td|th|div|section|figure"
    r"|figcaption|hr|br|img|sup)\b[^>]*>",
    re.IGNORECASE,
)
ANY_TAG = re.compile(r"<[^>]*>")


def plain_text(body_html):
    """What a reader reads of the body, as plain text for the index and snippets."""
    text = ANY_TAG.sub("", BLOCK_TAGS.sub(" ", without_permalinks(body_html)))
    return " ".join(html.unescape(text).split())
