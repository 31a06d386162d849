"""Ghost's editor formats as HTML, for posts whose export carries no `html`.

Ghost 5 and later store a post as Lexical JSON, Ghost 1-4 as Mobiledoc JSON. Both are turned
into the plain HTML Ghost itself would publish, card by card; a card this module does not know
is left out with a warning naming it, so nothing disappears silently.
"""

import json
from html import escape

import markdown

# Lexical keeps a text node's inline formatting as bit flags.
_TEXT_FORMATS = (
    (16, "code"),
    (1, "strong"),
    (2, "em"),
    (4, "s"),
    (8, "u"),
    (32, "sub"),
    (64, "sup"),
    (128, "mark"),
)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Marker cards with nothing to show on the web: the members-only divider, email-only blocks.
_SILENT_CARDS = {"paywall", "email", "email-cta", "signup"}


def markdown_to_html(text):
    return markdown.markdown(text or "", extensions=["extra"])


def _figure(inner, caption):
    caption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure>{inner}{caption}</figure>"


def _image(src, alt="", title="", href="", caption=""):
    if not src:
        return ""
    img = f'<img src="{escape(src)}" alt="{escape(alt or "")}"'
    if title:
        img += f' title="{escape(title)}"'
    img += ">"
    if href:
        img = f'<a href="{escape(href)}">{img}</a>'
    return _figure(img, caption)


def _code(code, language="", caption=""):
    language = f' class="language-{escape(language)}"' if language else ""
    block = f"<pre><code{language}>{escape(code or '')}</code></pre>"
    return _figure(block, caption) if caption else block


def _link_paragraph(url, title=""):
    if not url:
        return ""
    return f'<p><a href="{escape(url)}">{escape(title or url)}</a></p>'


def _card(name, payload, warnings):
    """A card's HTML: the same payload fields in both formats, bar a few Lexical spellings."""
    if name == "image":
        return _image(
            payload.get("src"),
            payload.get("alt") or payload.get("altText") or "",
            payload.get("title") or "",
            payload.get("href") or "",
            payload.get("caption") or "",
        )
    if name in ("markdown", "card-markdown"):
        return markdown_to_html(payload.get("markdown"))
    if name == "html":
        return payload.get("html") or ""
    if name in ("code", "codeblock"):
        return _code(payload.get("code"), payload.get("language"), payload.get("caption"))
    if name in ("hr", "horizontalrule"):
        return "<hr>"
    if name == "gallery":
        images = "".join(
            _image(image.get("src"), image.get("alt") or "", image.get("title") or "")
            for image in payload.get("images") or []
        )
        caption = payload.get("caption") or ""
        return images + (f"<p>{caption}</p>" if caption else "")
    if name in ("embed", "bookmark"):
        # An embedded player or preview does not survive the move; a link to it does.
        metadata = payload.get("metadata") or {}
        warnings.append(f"the {name} of {payload.get('url')} was kept as a link")
        html = _link_paragraph(payload.get("url"), metadata.get("title"))
        caption = payload.get("caption")
        return html + (f"<p>{caption}</p>" if caption else "")
    if name in _SILENT_CARDS:
        return ""
    warnings.append(f"the '{name}' card was left out: it has no equivalent here")
    return ""


# Lexical


def _lexical_text(node):
    text = escape(node.get("text") or "", quote=False)
    flags = node.get("format") or 0
    if not isinstance(flags, int):
        return text
    for flag, tag in _TEXT_FORMATS:
        if flags & flag:
            text = f"<{tag}>{text}</{tag}>"
    return text


def _lexical_children(node, warnings):
    return "".join(_lexical_node(child, warnings) for child in node.get("children") or [])


def _lexical_node(node, warnings):
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind in ("text", "extended-text"):
        return _lexical_text(node)
    if kind == "linebreak":
        return "<br>"
    if kind == "tab":
        return "\t"
    inner = _lexical_children(node, warnings)
    if kind in ("paragraph", "extended-paragraph"):
        return f"<p>{inner}</p>" if inner.strip() else ""
    if kind in ("heading", "extended-heading"):
        tag = node.get("tag") if node.get("tag") in _HEADINGS else "h2"
        return f"<{tag}>{inner}</{tag}>"
    if kind in ("quote", "extended-quote", "aside"):
        return f"<blockquote>{inner}</blockquote>"
    if kind == "list":
        tag = "ol" if node.get("listType") == "number" or node.get("tag") == "ol" else "ul"
        return f"<{tag}>{inner}</{tag}>"
    if kind == "listitem":
        return f"<li>{inner}</li>"
    if kind in ("link", "autolink"):
        return f'<a href="{escape(node.get("url") or "")}">{inner}</a>'
    if kind == "root":
        return inner
    return _card(kind, node, warnings)


def lexical_to_html(source):
    """(html, warnings) for a post's `lexical` field, a JSON string."""
    warnings = []
    try:
        document = json.loads(source) if isinstance(source, str) else source
        root = document["root"]
    except (ValueError, TypeError, KeyError):
        return "", ["its Lexical content could not be read"]
    return _lexical_node(root, warnings), warnings


# Mobiledoc: sections are [1, tag, markers] text, [2, src] image, [3, tag, items] list and
# [10, card index] card; a marker is [0 text / 1 atom, markups opened, markups closed, value].


def _mobiledoc_markers(markers, document, warnings):
    markups, atoms = document.get("markups") or [], document.get("atoms") or []
    out, open_tags = [], []
    for marker in markers:
        kind, opened, closed, value = marker
        for index in opened:
            tag, *rest = markups[index]
            attributes = rest[0] if rest else []
            pairs = zip(attributes[::2], attributes[1::2], strict=False)
            attrs = "".join(f' {escape(k)}="{escape(str(v))}"' for k, v in pairs)
            out.append(f"<{tag.lower()}{attrs}>")
            open_tags.append(tag.lower())
        if kind == 1:
            name, text, _payload = atoms[value]
            if name == "soft-return":
                out.append("<br>")
            else:
                warnings.append(f"the '{name}' atom was kept as its text")
                out.append(escape(text or ""))
        else:
            out.append(escape(value, quote=False))
        for _ in range(closed):
            if open_tags:
                out.append(f"</{open_tags.pop()}>")
    out.extend(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(out)


def _mobiledoc_section(section, document, warnings):
    kind = section[0]
    if kind == 1:
        tag = section[1].lower()
        inner = _mobiledoc_markers(section[2], document, warnings)
        if tag in ("aside", "pull-quote"):
            tag = "blockquote"
        elif tag not in _HEADINGS | {"p", "blockquote"}:
            tag = "p"
        return f"<{tag}>{inner}</{tag}>" if inner.strip() else ""
    if kind == 2:
        return _image(section[1])
    if kind == 3:
        tag = "ol" if section[1].lower() == "ol" else "ul"
        items = "".join(
            f"<li>{_mobiledoc_markers(item, document, warnings)}</li>" for item in section[2]
        )
        return f"<{tag}>{items}</{tag}>"
    if kind == 10:
        name, payload = document["cards"][section[1]]
        return _card(name, payload or {}, warnings)
    warnings.append(f"a Mobiledoc section of kind {kind} was left out")
    return ""


def mobiledoc_to_html(source):
    """(html, warnings) for a post's `mobiledoc` field, a JSON string."""
    warnings = []
    try:
        document = json.loads(source) if isinstance(source, str) else source
        html = "".join(
            _mobiledoc_section(section, document, warnings) for section in document["sections"]
        )
    except (ValueError, TypeError, KeyError, IndexError):
        return "", ["its Mobiledoc content could not be read"]
    return html, warnings
