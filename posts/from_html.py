"""HTML from another platform as gutbrain Markdown, with markdownify: ATX headings, fenced
code, figures in gutbrain's own form (a paragraph that is one `![alt](src "caption")`), and
each link and image address passed through the caller's functions, which rewrite them (to
`post:` and `image:`) or drop them. Scripts, styles and event handlers do not survive: only
Markdown comes out, and the sanitiser sees it again when the post is rendered."""

import re

from markdownify import MarkdownConverter

LANGUAGE = re.compile(r"(?:language|lang|brush)-?:?\s*([\w+-]+)")
# Text that Markdown would read as markup, escaped the way Python-Markdown reads escapes
# (markdownify's own `escape_misc` writes `\&` and `\<`, which it shows as they are).
INLINE_MARKUP = re.compile(r"([\\`\[])")  # `[` alone opens links, images and footnotes
LINE_START_MARKUP = re.compile(r"(?m)^(\s*)([#>+-]|\d{1,9}(?=[.)](?:\s|$)))([.)]?)")
ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
# Characters that would end a Markdown link's address early.
ADDRESS_BREAKERS = {" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"}
DROPPED = ("script", "style", "noscript", "template", "iframe", "object", "embed", "form")


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
        return super().escape(LINE_START_MARKUP.sub(line_start_escape, text), parent_tags)

    def convert_a(self, el, text, parent_tags):
        href = self.link_for(el.get("href") or "")
        if href is None or not text.strip():
            return text
        el["href"] = address(href)
        el.attrs.pop("title", None)
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el, text, parent_tags):
        src, alt = self.image_for(el.get("src") or "", el.get("alt") or "")
        if not src:
            return ""
        alt = in_brackets(el.get("alt") or alt)
        if "_inline" in parent_tags:
            return alt
        return f"![{alt}]({address(src)})"

    def convert_figure(self, el, text, parent_tags):
        """A figure of one image as gutbrain's figure; a gallery (a figure of several, each
        perhaps a figure with its own caption) as one figure per image, then its caption."""
        images = el.find_all("img")
        if not images:
            return f"\n\n{text.strip()}\n\n"
        own = [image.find_parent("figure") for image in images]
        figures = [self.figure(image, figure) for image, figure in zip(images, own, strict=True)]
        caption = el.find("figcaption", recursive=False)
        if caption is not None and el not in own and (words := caption.get_text(" ").split()):
            figures.append(f"\n\n*{self.escape(' '.join(words), set())}*\n\n")
        return "".join(figures)

    def figure(self, image, figure):
        src, alt = self.image_for(image.get("src") or "", image.get("alt") or "")
        if not src:
            return ""
        caption = figure.find("figcaption", recursive=False) if figure is not None else None
        caption = in_brackets(caption.get_text(" ")) if caption is not None else ""
        alt = in_brackets(image.get("alt") or alt or caption)
        title = f' "{caption}"' if caption else ""
        return f"\n\n![{alt}]({address(src)}{title})\n\n"


for name in DROPPED:
    setattr(Converter, f"convert_{name}", lambda self, el, text, parent_tags: "")


def as_markdown(html, link_for, image_for):
    markdown = Converter(link_for, image_for).convert(html)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
