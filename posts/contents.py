"""Reading aids for long posts: a link beside every heading, and the list of a post's sections.

Markdown's toc extension gives each heading an id; the sanitiser prefixes it. The table of
contents is read back from the sanitised body, so that its links reach the ids the page really
has, and it needs no field of its own: it is derived from `body_html`, which is rendered at save.
"""

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

from markdown.treeprocessors import Treeprocessor

PERMALINK_CLASS = "permalink"
PERMALINK_LABEL = "Link to this section"
# With fewer headings a post is short enough to find one's way in without a list.
MIN_HEADINGS = 3
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# Read on sanitised HTML only, which quotes every attribute with " and escapes it inside.
SECTION_HEADING = re.compile(r"<h([23])((?:\s[^>]*)?)>(.*?)</h\1>", re.DOTALL)
ATTRIBUTE = re.compile(r'\s([^\s="]+)="([^"]*)"')
PERMALINK = re.compile(rf'<a\s[^>]*\bclass="{PERMALINK_CLASS}"[^>]*>#</a>')
# Footnote references, which are numbers written after the heading's words.
FOOTNOTE_REFERENCE = re.compile(r"<sup\b[^>]*>.*?</sup>", re.DOTALL)
TAG = re.compile(r"<[^>]*>")


class HeadingPermalinks(Treeprocessor):
    """Puts a "#" link to each heading after its words, for readers to copy or share.

    Runs once toc has given the headings their ids; `id_prefix` is the one the sanitiser will
    give them, so the link reaches the heading whatever its id looks like."""

    def __init__(self, md, id_prefix):
        super().__init__(md)
        self.id_prefix = id_prefix

    def run(self, root):
        headings = [e for e in root.iter() if e.tag in HEADING_TAGS and e.get("id")]
        for heading in headings:
            # A space apart, so that the heading's name is read as two phrases, not one word.
            if len(heading):
                heading[-1].tail = (heading[-1].tail or "") + " "
            else:
                heading.text = (heading.text or "") + " "
            link = etree.SubElement(heading, "a")
            link.set("class", PERMALINK_CLASS)
            link.set("href", f"#{self.id_prefix}{heading.get('id')}")
            link.set("aria-label", PERMALINK_LABEL)
            link.text = "#"


def without_permalinks(body_html):
    """The HTML without the headings' "#" links, which are no part of the text."""
    return PERMALINK.sub("", body_html)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    subsections: tuple["Section", ...] = ()


def table_of_contents(body_html):
    """The body's second-level headings (h2), each with the third-level ones (h3) under it,
    as Sections; none when the body has fewer than MIN_HEADINGS of them.

    Read on each view of the page: a pass of one expression over the body, under half a
    millisecond for a post of 40,000 words, costs less than remembering it would."""
    found = []  # (level, id, title)
    for level, attributes, inner in SECTION_HEADING.findall(body_html):
        heading_id = dict(ATTRIBUTE.findall(attributes)).get("id")
        title = _plain(FOOTNOTE_REFERENCE.sub("", without_permalinks(inner)))
        if heading_id and title:
            found.append((level, html.unescape(heading_id), title))
    if len(found) < MIN_HEADINGS:
        return ()
    sections = []  # [id, title, [subsections]]
    for level, heading_id, title in found:
        if level == "3" and sections:
            sections[-1][2].append(Section(heading_id, title))
        else:
            sections.append([heading_id, title, []])
    return tuple(Section(i, title, tuple(subsections)) for i, title, subsections in sections)


def _plain(fragment):
    return " ".join(html.unescape(TAG.sub("", fragment)).split())
