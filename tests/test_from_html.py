"""Another platform's HTML as gutbrain Markdown: what readers saw there is what they see here,
markup as markup and text as text, rendered by the site's own renderer."""

import pytest

from posts.from_html import as_markdown
from posts.rendering import render_markdown
from posts.wordpress import Survey
from posts.wordpress_content import as_html


def shown(html):
    """The HTML readers get for the converted text, with every link and image kept."""
    return render_markdown(as_markdown(html, lambda href: href, lambda src, alt: (src, "")))


@pytest.mark.parametrize(
    "html, expected",
    [
        ("<p>&lt;em&gt;not emphasis&lt;/em&gt;</p>", "<p>&lt;em&gt;not emphasis&lt;/em&gt;</p>"),
        ("<p>1. Not a list</p>", "<p>1. Not a list</p>"),
        ("<p>2019) a year</p>", "<p>2019) a year</p>"),
        ("<p># Not a heading</p>", "<p># Not a heading</p>"),
        ("<p>#hashtag</p>", "<p>#hashtag</p>"),
        ("<p>&gt; not a quote</p>", "<p>&gt; not a quote</p>"),
        ("<p>- not a bullet</p>", "<p>- not a bullet</p>"),
        ("<p>Write [text](url) or [^1]</p>", "<p>Write [text](url) or [^1]</p>"),
        ("<p>a_b_c and 2 * 3 * 4 and `x`</p>", "<p>a_b_c and 2 * 3 * 4 and `x`</p>"),
        ("<p>&amp;copy; as written</p>", "<p>&amp;copy; as written</p>"),
        # Fences and underlines have no escape: an entity stands for the first character.
        ("<p>~~~</p><p>between</p><p>~~~</p>", "<p>&#126;~~</p>\n<p>between</p>\n<p>&#126;~~</p>"),
        ("<p>Total<br>=====</p>", "<p>Total<br>\n&#61;====</p>"),
    ],
)
def test_text_that_looks_like_markup_stays_text(html, expected):
    assert shown(html) == expected


def test_a_link_whose_words_have_brackets_is_still_a_link():
    assert shown('<p>See <a href="#fn1">[1]</a>.</p>') == '<p>See <a href="#md-fn1">[1]</a>.</p>'


def test_an_anchor_without_an_address_is_its_words():
    assert shown('<p><a name="intro">Intro</a> here</p>') == "<p>Intro here</p>"


def test_a_caption_is_text_not_markup():
    html = shown('<figure><img src="https://x.org/a.png"><figcaption>x &lt;img src=x&gt; *y*'
                 "</figcaption></figure>")  # fmt: skip
    assert "<figcaption>x &lt;img src=x&gt; *y*</figcaption>" in html
    assert html.count("<img") == 1


def test_code_holding_a_fence_is_fenced_longer():
    html = shown("<pre><code>use ``` to fence\n```\nthe end</code></pre>")
    assert "<code>use ``` to fence\n```\nthe end\n</code></pre>" in html


def test_a_figure_of_content_keeps_it():
    table = (
        '<figure class="wp-block-table"><table><tr><th>Strain</th><th>Count</th></tr>'
        '<tr><td><img src="https://x.org/i.png" alt="icon"> L. reuteri</td><td>12</td></tr>'
        "</table><figcaption>Counts</figcaption></figure>"
    )
    html = shown(table)
    assert "<th>Strain</th>" in html and "<td>icon L. reuteri</td>" in html
    assert html.endswith("<p><em>Counts</em></p>")


def test_a_ghost_bookmark_is_a_link_and_a_gallery_is_captioned_once():
    bookmark = (
        '<figure class="kg-card kg-bookmark-card"><a class="kg-bookmark-container" '
        'href="https://ex.org/paper"><div class="kg-bookmark-content"><div class="kg-bookmark-'
        'title">The paper</div><div class="kg-bookmark-description">What it found</div>'
        '<div class="kg-bookmark-metadata"><img class="kg-bookmark-icon" src="https://ex.org/'
        'favicon.ico"><span>Journal</span></div></div><div class="kg-bookmark-thumbnail">'
        '<img src="https://ex.org/thumb.jpg"></div></a></figure>'
    )
    assert shown(bookmark) == (
        '<p><a href="https://ex.org/paper" rel="noopener noreferrer">The paper</a> — '
        "What it found</p>"
    )
    gallery = (
        '<figure class="kg-card kg-gallery-card"><div class="kg-gallery-container"><div '
        'class="kg-gallery-row"><div class="kg-gallery-image"><img src="https://x.org/1.jpg">'
        '</div><div class="kg-gallery-image"><img src="https://x.org/2.jpg"></div></div></div>'
        "<figcaption>Two plates</figcaption></figure>"
    )
    html = shown(gallery)
    assert html.count("<figure>") == 2 and html.count("Two plates") == 1


def test_players_and_frames_become_links_to_what_they_show():
    html = shown(
        '<p><iframe src="https://video.example.org/embed/abc"></iframe></p>'
        '<video><source src="https://x.org/clip.mp4"></video>'
        '<iframe src="javascript:alert(1)"></iframe><object data="x.swf"></object>'
    )
    assert 'href="https://video.example.org/embed/abc"' in html
    assert ">Embedded: video.example.org</a>" in html
    assert 'href="https://x.org/clip.mp4"' in html and ">Video: x.org</a>" in html
    assert "javascript" not in html and "swf" not in html and "<iframe" not in html


def content(text):
    return as_html(text, "1", Survey())


def test_blocks_are_set_apart_from_the_text_around_them():
    html = content("Data:\n<table><tr><td>1</td></tr></table>\nAfter it.").html
    assert html.startswith("<p>Data:</p>") and html.endswith("<p>After it.</p>")
    assert "<p><table>" not in html
    html = content("Intro line\n<ul>\n<li>one</li>\n</ul>\nMore").html
    assert "<p>Intro line</p>" in html and "<p>More</p>" in html and "<br>" not in html


def test_shortcodes_in_code_are_shown_as_written():
    result = content(
        "Use <code>[gallery]</code> so:\n\n<pre>[code]x[/code]\n[caption]</pre>\n\n"
        '[code lang="php"]echo "[gallery]";[/code]'
    )
    assert "<code>[gallery]</code>" in result.html
    assert "<pre>[code]x[/code]\n[caption]</pre>" in result.html
    assert '<code class="language-php">echo "[gallery]";</code>' in result.html
    assert result.shortcodes == [] and result.warnings == []


def test_nested_lists_stay_nested():
    html = shown(
        "<ul><li>One<ul><li>Sub<ol><li>Deep</li></ol></li></ul></li><li>Two</li></ul>"
        "<ol><li>First<p>More of it</p></li><li>Second</li></ol>"
    )
    assert "<li>One<ul>\n<li>Sub<ol>\n<li>Deep</li>\n</ol>" in html
    assert "<li>\n<p>First</p>\n<p>More of it</p>\n</li>" in html


def test_a_heading_ending_in_a_hash_keeps_it():
    assert shown("<h2>Learn C#</h2>").startswith('<h2 id="md-learn-c">Learn C# <a')


def test_an_image_figure_with_a_formatted_caption_is_still_a_figure():
    html = shown(
        '<figure class="wp-block-image"><a href="https://x.org/big.jpg"><img '
        'src="https://x.org/a.jpg" alt="A"></a><figcaption>Photo by <em>Jane</em>'
        "</figcaption></figure>"
    )
    assert html.startswith('<figure><img alt="A" src="https://x.org/a.jpg"')
    assert "<figcaption>Photo by Jane</figcaption>" in html


def test_an_italic_caption_of_a_table_stays_italic():
    html = shown(
        "<figure><table><tr><td>1</td></tr></table>"
        "<figcaption><em>Source: census</em></figcaption></figure>"
    )
    assert "<strong>" not in html and html.endswith("<em>Source: census</em></em></p>")


def test_code_shortcodes_holding_html_code_are_code():
    result = content(
        '[code lang="html"]<p>Use <code>x</code> here</p>[/code]\n\n'
        '[sourcecode]echo "<code>";[/sourcecode] and <code>foo()</code>'
    )
    assert '<code class="language-html">&lt;p&gt;Use &lt;code&gt;x&lt;/code&gt;' in result.html
    assert '<pre><code>echo "&lt;code&gt;";</code></pre>' in result.html
    assert "<p>and <code>foo()</code></p>" in result.html and result.shortcodes == []


def test_line_breaks_are_not_doubled_and_list_items_are_not_lost():
    assert content("One<br />\nTwo\nThree").html == "<p>One<br />\nTwo<br>\nThree</p>"
    html = content("<ul><li>One\n\ncontinued</li><li>Two</li></ul>").html
    assert "<p>continued</li>" in html and "</p>" not in html.split("continued")[1]


def test_protocol_relative_frames_become_links():
    assert 'href="https://video.example.org/e/1"' in shown(
        '<iframe src="//video.example.org/e/1"></iframe>'
    )
