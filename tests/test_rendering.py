"""Tests for posts.rendering, the one gate between author Markdown and HTML. No database."""

import random
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from posts.rendering import (
    WORDS_PER_MINUTE,
    RenderError,
    plain_text,
    reading_minutes,
    render_markdown,
)

FORBIDDEN_TAGS = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "form", "base", "meta", "link", "input",
        "button", "select", "textarea", "svg", "math", "noscript", "template", "video", "audio",
        "source", "frame", "frameset", "applet", "noembed", "xmp", "plaintext", "title", "html",
        "head", "body", "foreignobject", "use", "animate", "set",
    }
)  # fmt: skip
FORBIDDEN_ATTRS = frozenset({"style", "srcdoc", "srcset", "formaction", "name", "xlink:href"})
URL_ATTRS = frozenset(
    {"href", "src", "action", "formaction", "data", "poster", "background", "cite", "longdesc",
     "lowsrc", "dynsrc", "codebase", "ping", "xlink:href"}
)  # fmt: skip
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []  # (tag, [(name, value), ...]); HTMLParser lowercases and unescapes
        self.comments = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_comment(self, data):
        self.comments.append(data)

    # Browsers read these as bogus comments that end at the first ">", so what HTMLParser
    # swallows inside them could be live markup: treat them like comments.
    handle_decl = handle_pi = unknown_decl = handle_comment


def _collect(html):
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    return collector


def assert_inert(html):
    """Fail unless ``html`` holds no active element, handler, style, unsafe URL or bare id."""
    collector = _collect(html)
    assert not collector.comments, f"comment/declaration survived: {collector.comments!r}\n{html}"
    for tag, attrs in collector.tags:
        assert tag not in FORBIDDEN_TAGS, f"<{tag}> survived in:\n{html}"
        for name, value in attrs:
            value = value or ""
            assert not name.startswith("on"), f"handler {name}= on <{tag}> in:\n{html}"
            assert name not in FORBIDDEN_ATTRS, f"{name}= on <{tag}> in:\n{html}"
            if name in URL_ATTRS:
                url = _IGNORED_IN_URL.sub("", value).lower()
                assert not url.startswith(("javascript:", "vbscript:", "data:")), (
                    f"unsafe {name}={value!r} in:\n{html}"
                )
                scheme = _SCHEME.match(url)
                assert scheme is None or scheme[1] in SAFE_SCHEMES, (
                    f"scheme {scheme and scheme[1]!r} in {name}={value!r} in:\n{html}"
                )
            if name == "id":
                assert value.startswith("md-"), f"unprefixed id={value!r} in:\n{html}"


def attrs_of(html, tag):
    return [dict(attrs) for name, attrs in _collect(html).tags if name == tag]


# --- the checker itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param("<SVG ONLOAD=alert(1)>", id="uppercase-svg"),
        pytest.param('<img src="x.png" onerror="alert(1)">', id="handler"),
        pytest.param('<p style="color:red">x</p>', id="style-attr"),
        pytest.param('<a href="javascript:alert(1)">x</a>', id="javascript-href"),
        pytest.param('<a href=" &#x09;JaVa&#10;script:alert(1)">x</a>', id="obfuscated-href"),
        pytest.param('<img src="data:image/png;base64,AAAA">', id="data-src"),
        pytest.param('<a href="ftp://example.com/">x</a>', id="foreign-scheme"),
        pytest.param('<img srcset="x.png 1x">', id="srcset"),
        pytest.param('<img name="getElementById">', id="name-attr"),
        pytest.param('<div id="main">x</div>', id="bare-id"),
        pytest.param("<!-- x --><p>y</p>", id="comment"),
        pytest.param("<![CDATA[<script>alert(1)</script>]]>", id="cdata-hiding-script"),
        pytest.param('<iframe srcdoc="x"></iframe>', id="iframe"),
    ],
)
def test_assert_inert_rejects_known_bad_html(bad):
    """The checker really fails on unsafe HTML, so a passing corpus means something."""
    with pytest.raises(AssertionError):
        assert_inert(bad)


def test_assert_inert_accepts_safe_html():
    """The checker lets ordinary safe markup through."""
    assert_inert(
        '<p id="md-x"><a href="https://e.com/" rel="noopener noreferrer">a</a>'
        '<a href="/p/">b</a><a href="#md-x">c</a><a href="mailto:a@b.c">d</a>'
        '<img src="x.png" alt="" loading="lazy"></p>'
    )


# --- features ------------------------------------------------------------------------------


def test_footnote_ids_and_hrefs_are_prefixed_and_the_backlink_round_trips():
    """Footnote ids are prefixed so they cannot clobber page ids, and the backlink still works."""
    html = render_markdown("Claim[^1].\n\n[^1]: Source.")
    assert_inert(html)
    ref = attrs_of(html, "sup")[0]
    links = attrs_of(html, "a")
    forward = next(a for a in links if a.get("class") == "footnote-ref")
    back = next(a for a in links if a.get("class") == "footnote-backref")
    note = next(li for li in attrs_of(html, "li") if li.get("id"))
    assert ref["id"] == "md-fnref:1"
    assert note["id"] == "md-fn:1"
    assert forward["href"] == "#" + note["id"]
    assert back["href"] == "#" + ref["id"]
    assert back["title"] == "Back to the text of footnote 1"
    assert '<div class="footnote">' in html


def test_tables_use_the_align_attribute_and_no_style():
    """Column alignment comes out as align=, never as an inline style."""
    html = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    assert_inert(html)
    assert [th.get("align") for th in attrs_of(html, "th")] == ["left", "center", "right"]
    assert [td.get("align") for td in attrs_of(html, "td")] == ["left", "center", "right"]
    assert "style" not in html


def test_fenced_code_content_is_escaped_text():
    """A <script> inside a fenced block is shown as text, not run, and loses its language class
    (its words are coloured by class instead)."""
    html = render_markdown("```html\n<script>alert(1)</script>\n```")
    assert_inert(html)
    assert plain_text(html) == "<script>alert(1)</script>"
    assert "language-html" not in html


def test_heading_ids_are_prefixed():
    """Heading anchors get the md- prefix."""
    html = render_markdown("## Getting started")
    assert html.startswith('<h2 id="md-getting-started">Getting started <a ')


def test_unicode_heading_keeps_its_letters_in_a_prefixed_id():
    """A non-ASCII heading gets a unicode slug, still prefixed."""
    html = render_markdown("## Über die Darmflora")
    assert_inert(html)
    assert attrs_of(html, "h2") == [{"id": "md-über-die-darmflora"}]


def test_sane_lists_keep_list_types_apart_and_honour_the_start_number():
    """An ordered list followed by a bulleted one stays two lists; '3.' starts at three."""
    html = render_markdown("1. a\n2. b\n\n* c\n* d")
    assert [tag for tag, _ in _collect(html).tags if tag in ("ol", "ul")] == ["ol", "ul"]
    assert attrs_of(render_markdown("3. a\n4. b"), "ol") == [{"start": "3"}]


def test_smart_quotes_and_dashes():
    """Straight quotes and double hyphens become typographic characters."""
    text = unescape(render_markdown('"Gut" feelings aren\'t wrong -- mostly.'))
    assert "\u201cGut\u201d" in text  # curly double quotes
    assert "aren\u2019t" in text  # right single quote
    assert "\u2013 mostly" in text  # en dash


def test_external_links_get_rel_noopener_noreferrer():
    """Links leaving the site are marked noopener noreferrer, whatever the case or form."""
    html = render_markdown("[a](https://e.com/) [b](HTTP://E.COM/) <https://e.org/> [c](//e.net/)")
    assert_inert(html)
    assert [a.get("rel") for a in attrs_of(html, "a")] == ["noopener noreferrer"] * 4


def test_internal_links_get_no_rel():
    """Relative, root-relative, fragment and mailto links are left without rel."""
    html = render_markdown("[a](/posts/x/) [b](other/) [c](#intro) [d](mailto:ed@example.com)")
    assert_inert(html)
    links = attrs_of(html, "a")
    expected = ["/posts/x/", "other/", "#md-intro", "mailto:ed@example.com"]
    assert [a["href"] for a in links] == expected
    assert all("rel" not in a for a in links)


def test_author_rel_is_overwritten_on_external_links():
    """An author cannot drop noreferrer from an external link by writing their own rel."""
    html = render_markdown('<a href="https://e.com/" rel="opener">x</a>')
    assert attrs_of(html, "a")[0]["rel"] == "noopener noreferrer"


def test_external_link_with_leading_whitespace_gets_rel():
    """A browser ignores leading whitespace in href, so such a link is external too."""
    html = render_markdown('<a href="\thttps://e.com/">x</a>')
    assert attrs_of(html, "a")[0].get("rel") == "noopener noreferrer"


def test_images_are_lazy():
    """Images load lazily."""
    html = render_markdown('![Gut flora](/media/flora.png "Flora")')
    assert_inert(html)
    img = attrs_of(html, "img")[0]
    assert img["loading"] == "lazy"
    assert img["src"] == "/media/flora.png"
    assert img["alt"] == "Gut flora"


def test_unknown_classes_are_dropped_and_known_ones_kept():
    """Authors cannot borrow the site's classes; footnote classes survive."""
    html = render_markdown('<div class="admin-only footnote">x</div>')
    assert attrs_of(html, "div") == [{"class": "footnote"}]
    assert "class" not in render_markdown('<div class="btn btn-danger">x</div>')


@pytest.mark.parametrize("source", ["", None])
def test_empty_source_renders_empty_string(source):
    """No text, no HTML."""
    assert render_markdown(source) == ""


def test_dom_clobbering_ids_are_prefixed_and_names_dropped():
    """id="main" comes out as md-main; name attributes and forms disappear."""
    html = render_markdown(
        '<div id="main">x</div><img name="getElementById" src="x.png">'
        '<form id="csrf"><input name="token"></form><a name="config" href="/">c</a>'
    )
    assert_inert(html)
    assert attrs_of(html, "div") == [{"id": "md-main"}]
    assert 'id="main"' not in html
    assert "name=" not in html


@pytest.mark.parametrize(
    ("source", "minutes"),
    [("", 1), (None, 1), ("A short note.", 1), ("word " * 230, 1), ("word " * 230 * 5, 5)],
)
def test_reading_minutes(source, minutes):
    """At least one minute; about one minute per 230 words."""
    assert reading_minutes(source) == minutes


# --- hostile corpus ------------------------------------------------------------------------

P = pytest.param
HOSTILE = [
    P("<script>alert(1)</script>", id="script"),
    P("<SCRIPT>alert(1)</SCRIPT>", id="script-uppercase"),
    P('<ScRiPt src="//evil.example/x.js"></ScRiPt>', id="script-src-mixed-case"),
    P("<script>alert(1)", id="script-unclosed"),
    P("<scr<script>ipt>alert(1)</scr</script>ipt>", id="script-split"),
    P("<script><script>alert(1)</script></script>", id="script-nested"),
    P("Hi <script>alert(1)</script> there", id="script-inline"),
    P("<script/src=//evil.example/x.js></script>", id="script-slash"),
    P("<style>body{display:none}</style>", id="style-tag"),
    P("<style>@import 'https://evil.example/x.css';", id="style-unclosed"),
    P("<img src=x onerror=alert(1)>", id="onerror-img"),
    P("<IMG SRC=x ONERROR=alert(1)>", id="onerror-img-uppercase"),
    P("<img/src=x/onerror=alert(1)>", id="onerror-slash-separators"),
    P("<img src=x \x00onerror=alert(1)>", id="onerror-null-prefix"),
    P("<body onload=alert(1)>x", id="body-onload"),
    P('<p onmouseover="alert(1)">x</p>', id="onmouseover-p"),
    P('<a href="/ok" onclick="alert(1)">x</a>', id="onclick-a"),
    P("<h2 onpointerenter=alert(1)>x</h2>", id="onpointerenter-h2"),
    P("<table><tr><td onclick=alert(1)>x</td></tr></table>", id="onclick-td"),
    P("<div onanimationstart=alert(1) style=animation:x>x</div>", id="onanimationstart-div"),
    P("<input autofocus onfocus=alert(1)>", id="input-onfocus"),
    P("<details open ontoggle=alert(1)><summary>s</summary></details>", id="details-ontoggle"),
    P("<video><source onerror=alert(1)></video>", id="video-source-onerror"),
    P("<audio src=x onerror=alert(1)></audio>", id="audio-onerror"),
    P("[x](javascript:alert(1))", id="md-link-javascript"),
    P("[x](vbscript:msgbox(1))", id="md-link-vbscript"),
    P("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="md-link-data"),
    P("[x](JaVaScRiPt:alert(1))", id="md-link-mixed-case"),
    P("[x](<javascript:alert(1)>)", id="md-link-angle-brackets"),
    P("[x]( javascript:alert(1))", id="md-link-leading-space"),
    P("[x](jav&#x09;ascript:alert(1))", id="md-link-tab-entity"),
    P("[x](&#106;avascript:alert(1))", id="md-link-decimal-entity"),
    P("[x](javascript&#58;alert(1))", id="md-link-colon-entity"),
    P("![x](javascript:alert(1))", id="md-image-javascript"),
    P("![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", id="md-image-data"),
    P("[x][1]\n\n[1]: javascript:alert(1)", id="ref-link-javascript"),
    P("![x][1]\n\n[1]: data:text/html,<script>alert(1)</script>", id="ref-image-data"),
    P("<javascript:alert(1)>", id="autolink-javascript"),
    P("<vbscript:msgbox(1)>", id="autolink-vbscript"),
    P("<data:text/html,hi>", id="autolink-data"),
    P('<a href="javascript:alert(1)">x</a>', id="raw-a-javascript"),
    P('<A HREF="JAVASCRIPT:alert(1)">x</A>', id="raw-a-uppercase"),
    P('<a href="java\nscript:alert(1)">x</a>', id="raw-a-newline-in-scheme"),
    P('<a href="jav&Tab;ascript:alert(1)">x</a>', id="raw-a-named-tab"),
    P('<a href="&Tab;javascript:alert(1)">x</a>', id="raw-a-leading-named-tab"),
    P('<a href=" javascript:alert(1)">x</a>', id="raw-a-leading-space"),
    P('<a href="\x01javascript:alert(1)">x</a>', id="raw-a-leading-control"),
    P('<a href="javascript&colon;alert(1)">x</a>', id="raw-a-named-colon"),
    P(
        '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:x">x</a>',
        id="hex-ents",
    ),
    P('<a href="&#0000106avascript:alert(1)">x</a>', id="raw-a-padded-entity"),
    P('<a href="java&#10;script:alert(1)">x</a>', id="raw-a-newline-entity"),
    P('<a href="vbscript:msgbox(1)">x</a>', id="raw-a-vbscript"),
    P('<a href="data:text/html,<script>alert(1)</script>">x</a>', id="raw-a-data"),
    P("[x](file:///etc/passwd) [y](ftp://e.com/)", id="foreign-schemes"),
    P('<img src="javascript:alert(1)">', id="raw-img-javascript"),
    P('<img src="data:image/svg+xml,<svg onload=alert(1)>">', id="raw-img-data"),
    P('<img srcset="javascript:alert(1) 1x" src=x.png>', id="img-srcset"),
    P('<iframe src="https://evil.example/"></iframe>', id="iframe-src"),
    P('<iframe srcdoc="<script>alert(1)</script>"></iframe>', id="iframe-srcdoc"),
    P('<form action="https://evil.example/"><input name=q><button>go</button></form>', id="form"),
    P('<button formaction="javascript:alert(1)">x</button>', id="button-formaction"),
    P("<select onchange=alert(1)><option>x</option></select>", id="select"),
    P('<object data="javascript:alert(1)"></object>', id="object-data"),
    P('<embed src="javascript:alert(1)">', id="embed-src"),
    P('<base href="https://evil.example/">', id="base-href"),
    P('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', id="meta-refresh"),
    P('<link rel="stylesheet" href="https://evil.example/x.css">', id="link-stylesheet"),
    P("<html><head><title>t</title></head><body onload=alert(1)>x</body></html>", id="html"),
    P("<textarea></textarea><script>alert(1)</script>", id="textarea-breakout"),
    P("<textarea><img src=x onerror=alert(1)></textarea>", id="textarea-content"),
    P('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', id="noscript-breakout"),
    P("<template><img src=x onerror=alert(1)></template>", id="template"),
    P('<noembed><img title="</noembed><img src onerror=alert(1)>">', id="noembed-breakout"),
    P("<xmp><img src=x onerror=alert(1)></xmp>", id="xmp"),
    P("<!--><script>alert(1)</script>-->", id="comment-short-close"),
    P("<!--[if IE]><script>alert(1)</script><![endif]-->", id="conditional-comment"),
    P("<![CDATA[<script>alert(1)</script>]]>", id="cdata"),
    P("<div>\n<script>alert(1)</script>\n</div>", id="raw-html-block"),
    P('<div markdown="1">[x](javascript:alert(1))</div>', id="markdown-in-html-block"),
    P("<svg onload=alert(1)>", id="svg-onload"),
    P("<svg><script>alert(1)</script></svg>", id="svg-script"),
    P('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', id="svg-xlink"),
    P("<svg><animate attributeName=href values=javascript:alert(1) /></svg>", id="svg-animate"),
    P("<svg><a><set attributeName=href to=javascript:alert(1) /><text>x</text></a>", id="svg-set"),
    P("<svg><foreignObject><iframe src=javascript:alert(1)>", id="svg-foreignobject"),
    P('<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">', id="mxss-svg-style"),
    P("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="math-mglyph"),
    P('<math href="javascript:alert(1)">x</math>', id="math-href"),
    P(
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        id="mxss-form",
    ),
    P('![a](x.png "\\" onerror=\\"alert(1)")', id="md-image-title-injection"),
    P('[a](http://x "a\\" onmouseover=\\"x")', id="md-link-title-injection"),
    P('[a][r]\n\n[r]: http://x "\\" onclick=\\"alert(1)"', id="md-ref-title-injection"),
    P('# Title {: onclick="alert(1)" }', id="attr-list-heading"),
    P('Para\n{: onclick="alert(1)" style="color:red" id="main" }', id="attr-list-paragraph"),
    P('<p style="background:url(javascript:alert(1))">x</p>', id="style-attr-url"),
    P('<a href="#" style="position:fixed;inset:0">x</a>', id="a-style-overlay"),
    P('<div style="width: expression(alert(1))">x</div>', id="css-expression"),
    P('<img name="getElementById" src="x.png">', id="clobber-img-name"),
    P('<form id="csrf"><input name="token"></form>', id="clobber-form-id"),
    P('<div id="main">x</div>', id="clobber-id-main"),
    P('<a id="config" name="config" href="/">x</a>', id="clobber-a-name"),
    P("<div>" * 1000 + "x", id="deep-div-nesting"),
    P("> " * 300 + "x", id="deep-blockquote"),
    P("".join("  " * i + "- x\n" for i in range(150)), id="deep-list"),
    P("<scr\x00ipt>alert(1)</script>\x00", id="null-bytes"),
    P("\x01\x02wzxhzdk:0\x03\x0b\x0c\x1b<script>\x7f", id="control-chars-and-stash-marker"),
    P("\u2028<script>alert(1)</script>\u2029", id="unicode-line-separators"),
    P("```\n</code></pre><script>alert(1)</script>\n```", id="fenced-code-breakout"),
    P("`</code><script>alert(1)</script>`", id="inline-code-breakout"),
    P("x[^1]\n\n[^1]: [y](javascript:alert(1)) <img src=x onerror=alert(1)>", id="footnote"),
    P("| a |\n|---|\n| <img src=x onerror=alert(1)> |", id="table-cell-html"),
    P('## x" onmouseover="alert(1)', id="heading-quote-injection"),
    P("## <img src=x onerror=alert(1)>", id="heading-html"),
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_renders_inert(source):
    """Hostile Markdown or HTML never raises and never yields an active element or URL."""
    assert_inert(render_markdown(source))


# --- fuzz ----------------------------------------------------------------------------------

FRAGMENTS = [
    "<script>", "</script>", "<scr", "ipt>", "javascript:", "JaVaScRiPt:", "vbscript:", "data:",
    "alert(1)", "onerror=", " onload=", "onclick=", "[", "]", "](", "![", ")", "(", '"', "'",
    "<", ">", "/>", "</", "<svg", "<math", "<img src=x ", "<a href=", "<iframe ", "<style>",
    "&#x6A;", "&#106;", "&#x09;", "&Tab;", "&colon;", "&#58;", "\n", "\n\n", "    ", "\t", "`",
    "```\n", "{: ", "}", "id=main ", "name=x ", "style=", "srcset=", "<!--", "-->", "[^1]",
    "[^1]: ", "[1]: ", "|", "---", "# ", "> ", "* ", "1. ", "\x00", "\x02", "\x03", "#", "//",
    "http://e.com", "mailto:", " ", "x", "<noscript>", "<template>", "<textarea>", "xlink:href=",
]  # fmt: skip


def test_random_fragment_soup_renders_inert():
    """300 deterministic strings of dangerous fragments all render inert without raising."""
    rng = random.Random(20250117)
    for case in range(300):
        source = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 40)))
        try:
            assert_inert(render_markdown(source))
        except AssertionError as exc:
            raise AssertionError(f"fuzz case {case}: {source!r}\n{exc}") from exc


def test_author_ids_cannot_collide_with_generated_ids():
    """An author's raw id that mimics a generated one is prefixed again, so ids stay unique."""
    html = render_markdown('<p id="md-fn:1">x</p>\n\nText[^1]\n\n[^1]: Note.')
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert "md-md-fn:1" in ids and "md-fn:1" in ids
    assert len(ids) == len(set(ids))


def test_links_to_the_posts_resources_keep_their_anchor():
    """[Resource #4](#resource-4) points at the resource list the page renders under the post."""
    html = render_markdown("[Resource #4](#resource-4) and [intro](#intro)")
    assert '<a href="#resource-4">Resource #4</a>' in html
    assert '<a href="#md-intro">intro</a>' in html


UNREADABLE_ADDRESSES = [
    "http://[oops]/",
    "//[x]",
    "https://[x]/a.png",
    "http://[::1/",
    "http://host:99999/",
    "http://host:port/",
    "http://a\u2100b/",  # a host that reads as "a/cb" once normalised
]


@pytest.mark.parametrize("address", UNREADABLE_ADDRESSES)
def test_a_link_urllib_cannot_read_keeps_its_text_and_loses_its_address(address):
    """An address that urllib refuses (feeds and link checks read every one) is dropped;
    the link's words stay, as text."""
    for source in (f"See [the study]({address}).", f'See <a href="{address}">the study</a>.'):
        html = render_markdown(source)
        assert attrs_of(html, "a") == [{}]
        assert unescape(re.sub("<[^>]+>", "", html)) == "See the study."


@pytest.mark.parametrize("address", UNREADABLE_ADDRESSES)
def test_an_image_urllib_cannot_read_becomes_its_description(address):
    """An image whose address urllib refuses is shown as its alt text, escaped."""
    html = render_markdown(f"A ![chart of <b>flora</b> & more]({address}) here")
    assert attrs_of(html, "img") == []
    assert html == "<p>A chart of &lt;b&gt;flora&lt;/b&gt; &amp; more here</p>"


def test_an_address_hidden_behind_entities_is_read_as_the_page_reads_it():
    """Entities in a raw address are decoded before it is checked, as a browser does."""
    assert render_markdown('<a href="http://&#91;x&#93;/">t</a>') == "<p><a>t</a></p>"


def test_odd_but_readable_addresses_are_kept():
    """IPv6 hosts, percent signs and non-ASCII hosts parse, and stay links."""
    html = render_markdown("[a](http://[::1]:8000/) [b](https://%zz/) [c](http://ünï.de/)")
    assert [a["href"] for a in attrs_of(html, "a")] == [
        "http://[::1]:8000/",
        "https://%zz/",
        "http://ünï.de/",
    ]


# Inputs Python-Markdown takes from seconds to hours over, and why each is refused.
PATHOLOGICAL = [
    ("[" * 5_000, "Paragraph 1 (“[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[…”) has 5,000 “[” without a "
     "matching “]”"),
    ("[" * 20_000, "has 20,000 “[” without a matching “]”"),
    ("Intro.\n\nSee " + "[" * 5_000, "Paragraph 2 (“See [[[[[[[[[[[[[[[[[[[[[[[[[[…”) has 5,000"),
    ("![" * 20_000, "has 20,000 “[” without a matching “]”"),
    ("[](" * 20_000, "has 20,000 links whose address or title is not closed"),
    ("[`]`" * 2_000, "has 2,000 “[” without a matching “]”"),
    ("<div>" * 50_000, "This text has 50,000 HTML tags; at most 2,000."),
    ("*a" * 100_000, "has 100,000 “*” and other markup: too much to render in one paragraph"),
    ("`a" * 100_000, "has 100,000 “`” and other markup"),
    ("&#x41;" * 200_000, "This text has 1,200,000 characters; at most 300,000 can be shown."),
    ("&#x41;" * 40_000, "has 40,000 “&” and other markup"),
    ("a <b " * 20_000, "This text has 20,000 HTML tags"),
    ("<b " * 50 + "a" * 250_000, "This text has 50 HTML tags that do not end plainly with “>”"),
    ("<div>\n<a " + "b " * 20_000 + ">\n</div>", "the 20,001 words after it would be read as its"),
    ("if x<y then " + "so " * 5_000, "The HTML tag “<y then so so so so …” does not end plainly"),
    ("<div>\n<a" + "a" * 250_000, "has a name of over 200 characters"),
    ("a\n=\n" * 20_000, "runs 40,000 lines without a blank line"),
    ("- a\n" * 20_000, "runs 20,000 lines without a blank line"),
    ("> " * 100 + "a" * 200_000, "nests quotes or lists 150 deep"),
    ("```\n" * 20_000, "This text has 20,000 lines that open or close fenced code"),
    ("```\n" + "<>" * 40_000 + "\n```", "The code in this text has 80,000 “<”, “>”, “&” and"),
    ("a" + "\n\n" * 25_000 + "b", "This text has 50,001 blank lines; at most 20,000."),
    ("[^1] " * 5_000 + "\n\n[^1]: A note.", "Footnote [^1] is referred to 5,000 times"),
    ("a\n\n" * 5_000, "This text has about 5,000 paragraphs, headings, list items and table"),
    (("`a` " * 100 + "\n\n") * 100, "This text has about 20,000 pieces of emphasis, code, links"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "message"), PATHOLOGICAL, ids=[repr(source[:12]) for source, _ in PATHOLOGICAL]
)
def test_text_too_costly_to_render_is_refused_with_the_reason(source, message):
    """Input that would take Markdown or the sanitiser minutes is refused before it runs, with
    a message that says where the problem is."""
    with pytest.raises(RenderError) as refused:
        render_markdown(source)
    assert message in str(refused.value)


def test_text_near_several_limits_at_once_is_refused_though_each_part_renders():
    """Each limit allows a part of the time a text may take; together they may not add up to
    more: a text near several limits at once is refused, each of its parts alone is not."""
    parts = [
        "[" * 700,
        "\n\n".join(["a"] * 1_500),
        "\n\n".join(["*a* " * 20] * 110),
        "<i>a</i> " * 500,
    ]
    for part in parts:
        render_markdown(part)
    with pytest.raises(RenderError, match="near several limits at once"):
        render_markdown("\n\n".join(parts))


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("[" * 100, f"<p>{'[' * 100}</p>"),
        (" ".join(["*a*"] * 1_000), "<p>" + " ".join(["<em>a</em>"] * 1_000) + "</p>"),
        ("<div>" * 100, "<div>" * 100 + "</div>" * 100),
        (
            "```\n" + "[" * 20_000 + "\n```",
            f'<pre tabindex="0"><code>{"[" * 20_000}\n</code></pre>',
        ),
        (
            " ".join(['[a](/a "A title")'] * 1_000),
            "<p>" + " ".join(['<a href="/a" title="A title">a</a>'] * 1_000) + "</p>",
        ),
    ],
    ids=["brackets", "emphasis", "divs", "fenced-code", "links-with-titles"],
)
def test_the_same_markup_in_real_amounts_or_in_code_renders(source, html):
    """Below the limits the same constructs render; fenced code costs nothing, so it has no
    limit."""
    assert render_markdown(source) == html


def prose(characters):
    """Real writing, about `characters` long: the demo posts, repeated."""
    posts = sorted((Path(__file__).parent.parent / "demo" / "posts").glob("*.md"))
    text = "\n\n".join(path.read_text().split("\n---\n", 1)[1] for path in posts)
    return (text * (characters // len(text) + 1))[:characters].rsplit("\n\n", 1)[0]


@pytest.mark.parametrize("kilobytes", [140, 200])
def test_long_real_writing_renders(kilobytes):
    """A 20,000-word post (about 140 KB) and one of 200 KB render in full."""
    source = prose(kilobytes * 1024)
    html = render_markdown(source)
    assert html.count("<h2") == source.count("\n## ") > 10
    words = len(re.findall(r"\w+", plain_text(html)))
    assert 0.9 * reading_minutes(source) * WORDS_PER_MINUTE < words
