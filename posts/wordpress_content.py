"""A WordPress post's content as plain HTML: what WordPress itself does to `post_content`
before showing it (block comments dropped, shortcodes expanded, wpautop's paragraphs), so that
posts.moving_in gets HTML alone."""

import html
import re
from dataclasses import dataclass, field

# A reusable block, kept apart in the export and shown where a post refers to it.
REUSABLE_BLOCK = re.compile(r"<!--\s*wp:block\s*\{[^}]*\"ref\"\s*:\s*(\d+)[^}]*\}\s*/-->")
BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->\n?", re.DOTALL)
CAPTION = re.compile(r"\[(caption|wp_caption)([^\]]*)\](.*?)\[/\1\]", re.DOTALL | re.IGNORECASE)
CODE = re.compile(
    r"\[(?P<name>code|sourcecode)(?P<options>[^\]]*)\](?P<code>.*?)\[/(?P=name)\]",
    re.DOTALL | re.IGNORECASE,
)
GALLERY = re.compile(r"\[gallery([^\]]*)\]", re.IGNORECASE)
EMBED = re.compile(r"\[embed[^\]]*\](.*?)\[/embed\]", re.DOTALL | re.IGNORECASE)
# A shortcode: a name of letters (and - or _) right after the bracket, as WordPress registers
# them; `[1]` or `[see here]` in prose are not.
SHORTCODE = re.compile(r"\[([a-zA-Z][\w-]*)(?=[\s\]/])[^\]\n]*\]")
ATTRIBUTE = re.compile(r'([\w-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|(\S+))')
IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL | re.IGNORECASE)
INLINE_CODE = re.compile(r"<code\b.*?</code>", re.DOTALL | re.IGNORECASE)
# Block tags, as WordPress's wpautop knows them: it sets each apart from the text around it,
# and a chunk that starts with one is a block already, not a paragraph.
BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre"
    r"|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section"
    r"|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary|iframe"
    r"|script|video|audio|object)"
)
BLOCK_OPENING = re.compile(rf"(<{BLOCKS}[\s/>])", re.IGNORECASE)
BLOCK_CLOSING = re.compile(rf"(</{BLOCKS}>)", re.IGNORECASE)
BLOCK_START = re.compile(rf"\s*(?:\x00|</?{BLOCKS}\b|<!--)", re.IGNORECASE)
# Code, set aside while shortcodes are expanded (a tutorial shows `[gallery]` as it is): HTML's
# and the [code] shortcode's, whichever comes first.
ANY_CODE = re.compile(
    rf"{PRE.pattern}|{INLINE_CODE.pattern}|(?P<shortcode>{CODE.pattern})",
    re.DOTALL | re.IGNORECASE,
)
SET_ASIDE = re.compile(r"\x01(\d+)\x01")
BLOCK_IN_PARAGRAPH = re.compile(
    rf"<p>\s*(</?{BLOCKS}[^>]*>)|(</?{BLOCKS}[^>]*>)\s*</p>", re.IGNORECASE
)


@dataclass
class Content:
    html: str
    shortcodes: list = field(default_factory=list)  # names of those left as text
    warnings: list = field(default_factory=list)


def attributes(text):
    return {m[1].lower(): m[2] or m[3] or m[4] or "" for m in ATTRIBUTE.finditer(text)}


def as_html(content, post_id, found):
    """The content of the post `post_id`; `found` (a posts.wordpress.Survey) has the
    attachments `[gallery]` shows (the post's own, when it names no ids) and reusable blocks."""
    result = Content(html="")
    text = reusable_blocks(content, found.blocks, result)
    text = BLOCK_COMMENT.sub("", text)
    code = []

    def set_aside(match):
        code.append(code_block(match) if match["shortcode"] else match[0])
        return f"\x01{len(code) - 1}\x01"

    text = ANY_CODE.sub(set_aside, text)
    text = CAPTION.sub(figure, text)
    text = GALLERY.sub(lambda match: gallery(match, post_id, found, result), text)
    text = EMBED.sub(embed, text)
    result.shortcodes = sorted({m[1].lower() for m in SHORTCODE.finditer(TAG.sub("", text))})
    text = SET_ASIDE.sub(lambda match: code[int(match[1])], text)
    result.html = wpautop(text)
    return result


def reusable_blocks(text, blocks, result, depth=0):
    def block(match):
        if match[1] not in blocks:
            result.warnings.append(
                f"a reusable block (id {match[1]}) not in the export was left out"
            )
            return ""
        # A block may hold blocks of its own; a loop of them ends here.
        return reusable_blocks(blocks[match[1]], blocks, result, depth + 1) if depth < 5 else ""

    return REUSABLE_BLOCK.sub(block, text)


def embed(match):
    url = html.escape(match[1].strip())
    return f'\n\n<p><a href="{url}">{url}</a></p>\n\n'


def code_block(match):
    """A [code] shortcode's text as a code block; `match` is CODE's, or ANY_CODE's."""
    match = CODE.fullmatch(match[0])
    options = attributes(match["options"])
    language = options.get("lang") or options.get("language") or ""
    language = re.sub(r"[^\w+-]", "", language)
    code = html.escape(html.unescape(match["code"].strip("\n")), quote=False)
    css = f' class="language-{language}"' if language else ""
    return f"\n\n<pre><code{css}>{code}</code></pre>\n\n"


def figure(match):
    """`[caption]<a><img></a> The caption[/caption]` as a figure with its caption."""
    inside = match[3]
    image = IMG.search(inside)
    if image is None:
        return inside
    caption = attributes(match[2]).get("caption") or TAG.sub("", inside[image.end() :]).strip()
    caption = caption or TAG.sub("", IMG.sub("", inside)).strip()
    return f"\n\n<figure>{image[0]}<figcaption>{caption}</figcaption></figure>\n\n"


def gallery(match, post_id, found, result):
    ids = [i.strip() for i in attributes(match[1]).get("ids", "").split(",") if i.strip()]
    if ids:
        urls = [found.attachments[i][0] for i in ids if i in found.attachments]
    else:
        urls = list(found.children.get(post_id, {}).values())
    if not urls:
        result.warnings.append("a [gallery] whose images are not in the export was left out")
        return ""
    return "".join(f'\n\n<figure><img src="{html.escape(url)}" alt=""></figure>' for url in urls)


def wpautop(text):
    """Paragraphs from blank lines, and line breaks from single newlines, as WordPress makes
    them when it shows a post: text written in its classic editor has no <p> of its own."""
    kept = []

    def keep(match):
        kept.append(match[0])
        return f"\x00{len(kept) - 1}\x00"

    # Blank lines inside <pre> are the code's own.
    text = PRE.sub(keep, text.replace("\r\n", "\n"))
    text = BLOCK_CLOSING.sub("\\1\n\n", BLOCK_OPENING.sub("\n\n\\1", text))
    chunks = []
    for chunk in re.split(r"\n\s*\n", text):
        if not chunk.strip():
            continue
        if BLOCK_START.match(chunk):
            chunks.append(chunk.strip())
        else:
            lines = re.sub(r"(?<!<br>)(?<!<br/>)(?<!<br />)\n", "<br>\n", chunk.strip())
            chunks.append(f"<p>{lines}</p>")
    # As WordPress does: no paragraph around a block's own tags (text ending a list item).
    text = BLOCK_IN_PARAGRAPH.sub(lambda match: match[1] or match[2], "\n\n".join(chunks))
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m[1])], text)
