"""Reading aids for long posts: their contents, a link to each heading, and coloured code."""

import re
import time
from pathlib import Path

import pytest
from django.urls import reverse

from posts.contents import table_of_contents
from posts.highlighting import MAX_TOKENS
from posts.rendering import plain_text, render_markdown
from tests.test_rendering import assert_inert
from tests.test_security_headers import assert_security_headers, directives

PROJECT = Path(__file__).resolve().parent.parent
LONG_BODY = """Where the signals start.

## The wiring

The vagus nerve.

### Afferent fibres

Most of them carry signals upward.

## The chemistry

Microbes make serotonin's precursors.

## Why it matters

Mood and digestion.
"""
ID = re.compile(r'\sid="([^"]+)"')
HREF = re.compile(r'\shref="#([^"]+)"')


def contents_of(html):
    """The page's contents list (its wide-screen copy), as written in the page."""
    found = re.search(r'<nav class="contents contents-aside".*?</nav>', html, re.DOTALL)
    return found.group(0) if found else None


@pytest.mark.django_db
def test_a_post_with_three_headings_lists_its_sections_with_links_that_reach_them(
    client, make_post
):
    """Both copies of the list (a <details> for phones, a list beside the text) link to the
    headings' real ids, third-level headings under their section."""
    post = make_post(body=LONG_BODY)
    html = client.get(post.get_absolute_url()).content.decode()
    contents = contents_of(html)
    assert contents is not None
    assert '<nav class="contents contents-inline" aria-label="Contents">' in html
    assert "<summary>Contents</summary>" in html
    links = HREF.findall(contents)
    assert links == [
        "md-the-wiring",
        "md-afferent-fibres",
        "md-the-chemistry",
        "md-why-it-matters",
    ]
    ids = set(ID.findall(html))
    assert set(links) <= ids
    assert re.search(r"The wiring</a>\s*<ol><li><a href=\"#md-afferent-fibres\">", contents)
    # The list comes before the text it lists, and needs no script.
    assert html.index("contents-inline") < html.index('class="prose"')
    assert "<script" not in html.split("<body>")[1]


@pytest.mark.django_db
def test_a_post_with_two_headings_has_no_contents(client, make_post):
    post = make_post(body="## One\n\nText.\n\n### Two\n\nMore text.")
    html = client.get(post.get_absolute_url()).content.decode()
    assert contents_of(html) is None
    assert "contents-inline" not in html


def test_contents_name_headings_by_their_words_alone():
    """Emphasis, footnote numbers and the headings' own "#" links stay out of the list."""
    html = render_markdown(
        "## A *careful* look[^1]\n\n## Second\n\n## Third & last\n\n[^1]: A note."
    )
    sections = table_of_contents(html)
    assert [s.title for s in sections] == ["A careful look", "Second", "Third & last"]
    assert [s.id for s in sections] == ["md-a-careful-look", "md-second", "md-third-last"]


def test_contents_links_reach_headings_whose_ids_look_like_page_anchors():
    """A heading called "Resource 4" or "MD-5" keeps its own id; its links reach it, not the
    fourth resource."""
    html = render_markdown("## Resource 4\n\n## MD-5 sums\n\n## Last")
    ids = set(ID.findall(html))
    sections = table_of_contents(html)
    assert [s.id for s in sections] == ["md-resource-4", "md-md-5-sums", "md-last"]
    assert {s.id for s in sections} <= ids
    assert set(HREF.findall(html)) <= ids


@pytest.mark.parametrize(
    "heading",
    [
        "<script>alert(1)</script>Title",
        '<img src=x onerror="alert(1)"> Title',
        "[Title](javascript:alert(1))",
        '"><svg onload=alert(1)> Title',
        '<a class="permalink" href="javascript:alert(1)" onclick="x()">#</a> Title',
        "Title {: onclick=alert(1) }",
    ],
)
@pytest.mark.django_db
def test_hostile_markup_in_headings_is_neutralised_in_the_text_and_the_contents(
    client, make_post, heading
):
    post = make_post(body=f"## {heading}\n\nText.\n\n## Second\n\n## Third")
    assert_inert(post.body_html)
    html = client.get(post.get_absolute_url()).content.decode()
    contents = contents_of(html)
    assert_inert(contents)
    assert all(link.startswith("md-") for link in HREF.findall(contents))
    assert "onerror" not in html and "onload" not in html and "javascript:" not in html


def test_every_heading_has_a_labelled_link_to_itself():
    html = render_markdown("# Top\n\n## Why it matters\n\n#### Deep")
    for level, slug in ((1, "top"), (2, "why-it-matters"), (4, "deep")):
        heading = re.search(rf'<h{level} id="md-{slug}">.*?</h{level}>', html).group(0)
        link = f'<a aria-label="Link to this section" class="permalink" href="#md-{slug}">#</a>'
        assert heading.endswith(f" {link}</h{level}>")  # a space apart


@pytest.mark.django_db
def test_heading_links_are_no_part_of_the_text_readers_search_or_see_described(client, make_post):
    post = make_post(body="## Sleep\n\nThe microbiome keeps time.", summary="")
    assert plain_text(post.body_html) == "Sleep The microbiome keeps time."
    assert post.description == "Sleep The microbiome keeps time."
    response = client.get(reverse("posts:search"), {"q": "sleep"})
    assert "#" not in "".join(p.snippet for p in response.context["page"])


def test_code_in_a_named_language_is_coloured_by_classes_only():
    html = render_markdown('```python\ndef f(x):\n    return "<b>" + x  # why\n```')
    assert html.startswith(
        '<div class="highlight"><pre tabindex="0"><span></span><code><span class="k">def'
    )
    assert '<span class="nf">f</span>' in html
    assert '<span class="s2">"&lt;b&gt;"</span>' in html
    assert '<span class="c1"># why</span>' in html
    assert "style=" not in html
    assert_inert(html)


@pytest.mark.parametrize(
    "fence",
    ["```", "```nosuchlanguage", "```{.nosuchlanguage}", "~~~"],
    ids=["none", "unknown", "unknown-attribute", "tildes"],
)
def test_code_without_a_known_language_stays_plain_with_no_guessing(fence):
    closing = fence[:3]
    html = render_markdown(f"{fence}\nimport os\ndef f():\n    return 1\n{closing}")
    assert html == '<pre tabindex="0"><code>import os\ndef f():\n    return 1\n</code></pre>'


def test_indented_code_stays_as_written():
    html = render_markdown("Text.\n\n    :::python\n    import os")
    assert html.endswith('<pre tabindex="0"><code>:::python\nimport os\n</code></pre>')


@pytest.mark.parametrize(
    "options",
    [
        'style="color:red" noclasses=true',
        'linenos=table hl_lines="1"',
        "tabsize=100000000",
        'lang=ruby style=monokai src="x" cssclass="evil" wrapcode=false',
        'encoding=utf-8 outencoding=utf-8 full=true cssfile="/etc/passwd"',
    ],
)
def test_a_fence_can_name_its_language_and_nothing_else(options):
    """Options a fence passes on to Pygments are dropped: no inline style, line-number table,
    tab expansion, other class or failure."""
    start = time.monotonic()
    html = render_markdown(f"```{{.python #here {options}}}\nif\tx:\n    pass\n```")
    assert time.monotonic() - start < 1
    assert html == (
        '<div class="highlight"><pre tabindex="0"><span></span><code><span class="k">if</span>  '
        '<span class="n">x</span><span class="p">:</span>\n'
        '    <span class="k">pass</span>\n</code></pre></div>'
    )


@pytest.mark.parametrize(
    "source",
    [
        "```python\n</code></pre><script>alert(1)</script>\n```",
        '```"><script>alert(1)</script>\nx\n```',
        '<pre><span class="k" style="color:red" onclick="x()">if</span></pre>',
        '<p><span class="k nf highlight-evil">if</span></p>',
        '<div class="highlight" style="x"><pre><code class="language-js">a</code></pre></div>',
    ],
)
def test_hostile_code_is_neutralised(source):
    html = render_markdown(source)
    assert_inert(html)
    assert "<script" not in html and "onclick" not in html and "style=" not in html


def test_only_spans_inside_code_keep_the_classes_of_coloured_code():
    html = render_markdown(
        '<pre><span class="k bogus">if</span></pre>\n\n<p><span class="k">if</span></p>'
    )
    assert '<pre tabindex="0"><span class="k">if</span></pre>' in html
    assert "<p><span>if</span></p>" in html


def test_code_past_the_budget_is_shown_plain_and_rendered_quickly():
    """Each coloured token costs the sanitiser an element: past MAX_TOKENS, code is plain."""
    line = "a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+r+s+t\n"
    code = line * (MAX_TOKENS // 20)
    start = time.monotonic()
    html = render_markdown(f"```python\n{code}```\n\n```python\n{code}```")
    assert time.monotonic() - start < 5
    assert MAX_TOKENS // 2 < html.count("<span class=") <= MAX_TOKENS
    assert plain_text(html) == " ".join(code.split() * 2)


@pytest.mark.django_db
def test_a_post_with_code_gets_the_colours_of_code_and_the_same_security_headers(
    client, make_post
):
    plain = make_post(body="No code here.")
    coloured = make_post(body="```python\nprint(1)\n```")
    without = client.get(plain.get_absolute_url())
    response = client.get(coloured.get_absolute_url())
    assert "posts/code.css" not in without.content.decode()
    assert '<link rel="stylesheet" href="/static/posts/code.css">' in response.content.decode()
    assert_security_headers(response)

    def policy(response):
        return {
            name: [v for v in values if not v.startswith("'nonce-")]
            for name, values in directives(response["Content-Security-Policy"]).items()
        }

    assert policy(response) == policy(without)


def _contrast(a, b):
    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_every_colour_of_code_reads_at_four_and_a_half_to_one_in_both_themes():
    css = (PROJECT / "static/posts/code.css").read_text()
    site = (PROJECT / "static/posts/site.css").read_text()
    light_css, dark_css = css.split("@media (prefers-color-scheme: dark)")
    surfaces = re.findall(r"--surface: (#[0-9a-f]{6})", site)
    assert len(surfaces) == 2
    for part, surface in ((light_css, surfaces[0]), (dark_css, surfaces[1])):
        colours = re.findall(r"color: (#[0-9a-f]{6})", part)
        assert len(colours) > 10
        assert min(_contrast(c, surface) for c in colours) >= 4.5
    assert "background-color" not in css and "border" not in css
