"""HTML from another platform as gutbrain Markdown, with markdownify: ATX headings, fenced
code, figures in gutbrain's own form (a paragraph that is one `![alt](src "caption")`), and
each link and image address passed through the caller's functions, which rewrite them (to
`post:` and `image:`) or drop them. Scripts, styles and event handlers do not survive: only
Markdown comes out, and the sanitiser sees it again when the post is rendered."""

import re
from urllib.parse import urlsplit

from markdownify import MarkdownConverter

LANGUAGE = re.compile(r"(?:language|lang|brush)-?:?\s*([\w+-]+)")
# Text that Markdown would read as markup, escaped the way Python-Markdown reads escapes
# (markdownify's own `escape_misc` writes `\&` and `\<`, which it shows as they are).
INLINE_MARKUP = re.compile(r"([\\`\[\]])")
LINE_START_MARKUP = re.compile(r"(?m)^(\s*)([#>+-]|\d{1,9}(?=[.)](?:\s|$)))([.)]?)")
# Fences and setext underlines have no backslash escape: an entity stands for their character.
LINE_START_ENTITIES = re.compile(r"(?m)^(\s*)([~=])")
ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
# Characters that would end a Markdown link's address early.
ADDRESS_BREAKERS = {" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"}
DROPPED = ("script", "style", "noscript", "template", "form")
# Players readers can still reach by a link: sanitised away if they came over as they are.
EMBEDDED = {"iframe": "Embedded", "embed": "Embedded", "video": "Video", "audio": "Audio"}
# What a figure of images holds besides them; anything else makes it a figure of content
# (a table, a quote, a card) whose text is kept.
IMAGE_FIGURE_PARTS = {"img", "picture", "source", "a", "figure", "figcaption", "ul", "li"}
IMAGE_FIGURE_PARTS |= {"div", "span"}


def code_language(element):
    """The language of a code block, from its class (`language-python`, WordPress's
    `brush: python`) or its <code>'s."""
    for candidate in (element, element.find("code")):
        if candidate is not None:
            classes = " ".join(candidate.get("class") or [])
            if match := LANGUAGE.search(classes):
                return match[1]
    return ""


def line_start_escape(match):
    indent, mark, dot = match.groups()
    return f"{indent}{mark}\\{dot}" if dot else f"{indent}\\{mark}"


def address(url):
    return "".join(ADDRESS_BREAKERS.get(character, character) for character in url)


def in_brackets(text):
    """Text safe inside ![…] and "…" of a figure: one line, no closing bracket or quote."""
    text = " ".join(text.split())
    return text.replace("]", ")").replace("[", "(").replace('"', "”")


def is_figure_of_images(figure):
    """Whether the figure is images (a gallery perhaps) and captions, with no other text."""
    outside_captions = (e for e in figure.find_all(True) if e.find_parent("figcaption") is None)
    if any(element.name not in IMAGE_FIGURE_PARTS for element in outside_captions):
        return False
    loose = (s for s in figure.find_all(string=True) if s.find_parent("figcaption") is None)
    return not "".join(loose).strip()


class Converter(MarkdownConverter):
    """`link_for(href)` gives the href to write, or None to keep the text alone;
    `image_for(src, alt)` gives (src, alt text from the library or "")."""

    def __init__(self, link_for, image_for, **options):
        super().__init__(
            heading_style="atx",
            bullets="-",
            code_language_callback=code_language,
            escape_misc=False,
            **options,
        )
        self.link_for, self.image_for = link_for, image_for

    def escape(self, text, parent_tags):
        """Literal text stays literal: `&lt;em&gt;`, `[a](b)`, a paragraph opening with "1." or
        "#" are shown as written, not as markup."""
        text = INLINE_MARKUP.sub(r"\\\1", text)
        text = ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;")
        text = LINE_START_ENTITIES.sub(lambda m: f"{m[1]}&#{ord(m[2])};", text)
        return super().escape(LINE_START_MARKUP.sub(line_start_escape, text), parent_tags)

    def convert_a(self, el, text, parent_tags):
        if not el.get("href"):  # an anchor to link to, not a link
            return text
        href = self.link_for(el["href"])
        if href is None or not text.strip():
            return text
        el["href"] = address(href)
        el.attrs.pop("title", None)
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el, text, parent_tags):
        if "_inline" in parent_tags:  # in a heading or table cell: its words
            return in_brackets(el.get("alt") or "")
        src, alt = self.image_for(el.get("src") or "", el.get("alt") or "")
        if not src:
            return ""
        return f"![{in_brackets(el.get('alt') or alt)}]({address(src)})"

    def convert_hN(self, n, el, text, parent_tags):
        # A closing `#` would be read as the end of an ATX heading: "Learn C#" keeps it.
        text = re.sub(r"#\s*$", r"\\#", text.rstrip())
        return super().convert_hN(n, el, text, parent_tags)

    def convert_li(self, el, text, parent_tags):
        """A list item, what it holds indented by four spaces, as Python-Markdown nests lists
        (markdownify indents by the bullet's width)."""
        item = super().convert_li(el, text, parent_tags)
        bullet = re.match(r"\s*(\S+ )", item)
        if bullet is None or len(bullet[1]) >= 4:
            return item
        padding = " " * (4 - len(bullet[1]))
        first, *rest = item.split("\n")
        item = "\n".join([first, *(padding + line if line.strip() else line for line in rest)])
        # An item of paragraphs is set apart from the next, or the next joins its last one.
        return item.rstrip("\n") + "\n\n" if "\n\n" in item.strip("\n") else item

    def convert_pre(self, el, text, parent_tags):
        """A fenced block, its fence longer than any run of backticks in the code."""
        fenced = super().convert_pre(el, text, parent_tags)
        longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
        if longest < 3:
            return fenced
        fence = "`" * (longest + 1)
        return f"\n\n{fence}{fenced.strip()[3:-3]}{fence}\n\n"

    def convert_figure(self, el, text, parent_tags):
        """A figure of one image as gutbrain's figure; a gallery (a figure of several, each
        perhaps a figure with its own caption) as one figure per image, then its caption; any
        other figure (a table, a quote, a card) as its content."""
        if "bookmark" in " ".join(el.get("class") or []):
            return self.bookmark(el)
        images = el.find_all("img")
        if not images or not is_figure_of_images(el):
            return f"\n\n{text.strip()}\n\n"
        own = [image.find_parent("figure") for image in images]
        # The outer figure's caption is the gallery's: said once, after its images.
        own = [None if figure is el and len(images) > 1 else figure for figure in own]
        figures = [self.figure(image, figure) for image, figure in zip(images, own, strict=True)]
        caption = el.find("figcaption", recursive=False)
        if caption is not None and el not in own and (words := caption.get_text(" ").split()):
            figures.append(f"\n\n_{self.escape(' '.join(words), set())}_\n\n")
        return "".join(figures)

    def convert_figcaption(self, el, text, parent_tags):
        """The caption of a figure of content (a table's, a quote's): set apart in italics."""
        words = " ".join(text.split())
        return f"\n\n_{words}_\n\n" if words else ""

    def figure(self, image, figure):
        src, alt = self.image_for(image.get("src") or "", image.get("alt") or "")
        if not src:
            return ""
        caption = figure.find("figcaption", recursive=False) if figure is not None else None
        caption = in_brackets(caption.get_text(" ")) if caption is not None else ""
        alt = in_brackets(image.get("alt") or alt or caption)
        title = f' "{self.escape(caption, set())}"' if caption else ""
        return f"\n\n![{alt}]({address(src)}{title})\n\n"

    def bookmark(self, el):
        """A link card (Ghost's bookmark): its title as a link, and its description."""
        link = el.find("a", href=True)
        title = el.find(class_=re.compile("bookmark-title"))
        description = el.find(class_=re.compile("bookmark-description"))
        href = self.link_for(link["href"]) if link is not None else None
        words = " ".join((title or link or el).get_text(" ").split()) if href else ""
        if not words:
            return ""
        about = " ".join(description.get_text(" ").split()) if description is not None else ""
        about = f" — {self.escape(about, set())}" if about else ""
        caption = el.find("figcaption")
        caption = " ".join(caption.get_text(" ").split()) if caption is not None else ""
        caption = f"\n\n_{self.escape(caption, set())}_" if caption else ""
        return f"\n\n[{self.escape(words, set())}]({address(href)}){about}{caption}\n\n"

    def embedded(self, el, text, parent_tags):
        """A player or frame as a link to what it shows."""
        source = el.find("source", src=True) if el.name in ("video", "audio") else None
        src = el.get("src") or (source["src"] if source is not None else "")
        src = f"https:{src}" if src.startswith("//") else src
        href = self.link_for(src) if src else None
        if not href or urlsplit(href).scheme not in ("http", "https"):
            return ""
        host = urlsplit(href).hostname or ""
        return f"\n\n[{EMBEDDED[el.name]}: {host}]({address(href)})\n\n"


for name in DROPPED:
    setattr(Converter, f"convert_{name}", lambda self, el, text, parent_tags: "")
for name in EMBEDDED:
    setattr(Converter, f"convert_{name}", Converter.embedded)
# An <object> is a plugin's: nothing a reader could follow.
Converter.convert_object = lambda self, el, text, parent_tags: ""


def as_markdown(html, link_for, image_for):
    markdown = Converter(link_for, image_for).convert(html)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
