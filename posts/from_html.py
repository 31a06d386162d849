"""HTML from another platform as gutbrain Markdown, with markdownify: ATX headings, fenced
code, figures in gutbrain's own form (a paragraph that is one `![alt](src "caption")`), and
each link and image address passed through the caller's functions, which rewrite them (to
`post:` and `image:`) or drop them. Scripts, styles and event handlers do not survive: only
Markdown comes out, and the sanitiser sees it again when the post is rendered."""

import re

from markdownify import MarkdownConverter

LANGUAGE = re.compile(r"(?:language|lang|brush)-?:?\s*([\w+-]+)")
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


def in_brackets(text):
    """Text safe inside ![…] and "…" of a figure: one line, no closing bracket or quote."""
    text = " ".join(text.split())
    return text.replace("]", ")").replace("[", "(").replace('"', "”")


class Converter(MarkdownConverter):
    """`link_for(href)` gives the href to write, or None to keep the text alone;
    `image_for(src)` gives (src, alt text from the library or "")."""

    def __init__(self, link_for, image_for, **options):
        super().__init__(
            heading_style="atx",
            bullets="-",
            code_language_callback=code_language,
            escape_misc=False,
            **options,
        )
        self.link_for, self.image_for = link_for, image_for

    def convert_a(self, el, text, parent_tags):
        href = self.link_for(el.get("href") or "")
        if href is None or not text.strip():
            return text
        el["href"] = href
        el.attrs.pop("title", None)
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el, text, parent_tags):
        src, alt = self.image_for(el.get("src") or "")
        if not src:
            return ""
        alt = in_brackets(el.get("alt") or alt)
        if "_inline" in parent_tags:
            return alt
        return f"![{alt}]({src})"

    def convert_figure(self, el, text, parent_tags):
        image = el.find("img")
        if image is None:
            return f"\n\n{text.strip()}\n\n"
        src, alt = self.image_for(image.get("src") or "")
        if not src:
            return ""
        caption = el.find("figcaption")
        caption = in_brackets(caption.get_text(" ")) if caption is not None else ""
        alt = in_brackets(image.get("alt") or alt or caption)
        title = f' "{caption}"' if caption else ""
        return f"\n\n![{alt}]({src}{title})\n\n"


for name in DROPPED:
    setattr(Converter, f"convert_{name}", lambda self, el, text, parent_tags: "")


def as_markdown(html, link_for, image_for):
    markdown = Converter(link_for, image_for).convert(html)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
