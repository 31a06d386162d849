"""Images in posts as readers get them: a paragraph that is one image becomes a figure with
its caption and credit, and an image with renditions a <picture> whose `srcset` lets the
browser fetch the copy of the width it shows. Used by posts.rendering, before sanitising."""

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

from markdown.blockprocessors import BlockProcessor
from markdown.treeprocessors import Treeprocessor

# How wide an image in a post is shown: the text column, or the screen less its margins.
IMAGE_SIZES = "(min-width: 42rem) 36rem, calc(100vw - 2.5rem)"
# Renditions are offered in these types; the sanitiser keeps no other.
RENDITION_TYPES = frozenset({"image/avif", "image/webp", "image/jpeg"})


@dataclass(frozen=True)
class ShownImage:
    """An image of the library as a page shows it."""

    src: str
    width: int
    height: int
    alt: str
    credit: str = ""
    credit_url: str = ""
    srcsets: dict = field(default_factory=dict)  # {MIME type: srcset} of its renditions

    @property
    def sources(self):
        """(type, srcset) for each <source> of its <picture>: the renditions in new formats;
        the JPEG ones are the <img>'s own (fallback_srcset)."""
        return [(kind, srcset) for kind, srcset in self.srcsets.items() if kind != "image/jpeg"]

    @property
    def fallback_srcset(self):
        """Smaller copies in the original's format, for the <img> itself: JPEGs only (a PNG's
        transparency would not survive)."""
        return self.srcsets.get("image/jpeg", "") if self.src.lower().endswith(".jpg") else ""


# A paragraph that is one image, `![description](src "caption")`, is a figure.
FIGURE = re.compile(
    r'!\[(?P<alt>[^\]\n]*)\]\((?P<src>[^\s()"]+)(?:[ \t]+"(?P<caption>[^"\n]*)")?\)'
)


class FigureProcessor(BlockProcessor):
    """`![description](image:12 "A *caption*")` on its own is a <figure>; its caption is
    Markdown, formatted and sanitised like the text around it."""

    def test(self, parent, block):
        return FIGURE.fullmatch(block.strip()) is not None

    def run(self, parent, blocks):
        match = FIGURE.fullmatch(blocks.pop(0).strip())
        figure = etree.SubElement(parent, "figure")
        etree.SubElement(figure, "img", {"src": match["src"], "alt": match["alt"]})
        if match["caption"]:
            etree.SubElement(figure, "figcaption").text = match["caption"]


def picture(image, element, parent):
    """Puts the image's renditions around `element` (its <img>) as a <picture>."""
    index = list(parent).index(element)
    wrapper = etree.Element("picture")
    wrapper.tail, element.tail = element.tail, None
    parent.remove(element)
    parent.insert(index, wrapper)
    for kind, srcset in image.sources:
        etree.SubElement(wrapper, "source", {"type": kind, "srcset": srcset})
    if image.fallback_srcset:
        element.set("srcset", image.fallback_srcset)
    for child in (*wrapper, element):
        if child.get("srcset"):
            child.set("sizes", IMAGE_SIZES)
    wrapper.append(element)


def credit(image, figure):
    """The image's credit, at the end of its figure's caption."""
    caption = figure.find("figcaption")
    if caption is None:
        caption = etree.SubElement(figure, "figcaption")
    line = etree.SubElement(caption, "span", {"class": "credit"})
    if image.credit_url:
        etree.SubElement(line, "a", {"href": image.credit_url}).text = image.credit
    else:
        line.text = image.credit


class ImageResolution(Treeprocessor):
    """Asks the resolver once about every image; known ones get their address, size,
    renditions and credit. With `eager_first`, the first image loads at once."""

    def __init__(self, md, resolve_images, eager_first):
        super().__init__(md)
        self.resolve_images = resolve_images
        self.eager_first = eager_first

    def run(self, root):
        parents = {child: parent for parent in root.iter() for child in parent}
        images = [element for element in root.iter("img") if element.get("src")]
        if self.eager_first and images:
            images[0].set("fetchpriority", "high")
        if not images:
            return
        resolved = self.resolve_images({element.get("src") for element in images})
        for element in images:
            src = element.get("src")
            if src not in resolved:
                continue
            image = resolved[src]
            if image is None:  # an image that does not exist: keep its description
                alt = element.get("alt", "")
                element.tag = "span"
                element.attrib.clear()
                element.text = alt
                if parents[element].tag == "figure" and len(parents[element]) == 1:
                    parents[element].tag = "p"  # a figure of nothing: the description
                continue
            element.set("src", image.src)
            if not element.get("alt"):
                element.set("alt", image.alt)
            element.set("width", str(image.width))
            element.set("height", str(image.height))
            parent = parents[element]
            if image.credit and parent.tag == "figure":
                credit(image, parent)
            if image.srcsets:
                picture(image, element, parent)
