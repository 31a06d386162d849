"""Reading Ghost exports (posts.ghost) and the import_ghost command's refusals."""

import json
import re
from datetime import UTC, datetime
from html import unescape
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from posts.ghost import GhostExportError, read_ghost
from posts.ghost_content import lexical_to_html, mobiledoc_to_html

FIXTURES = Path(__file__).parent / "fixtures" / "moving_in"
GHOST_5 = FIXTURES / "ghost-5-export.json"
GHOST_4 = FIXTURES / "ghost-4-export-trimmed.json"


def _posts(path=GHOST_5, **options):
    return {post.slug: post for post in read_ghost(path, **options).posts}


def _write(tmp_path, document, name="export.json"):
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


def _minimal(**post):
    fields = {"id": "1", "title": "T", "slug": "t", "status": "published", "html": "<p>x</p>"}
    fields.update(post)
    return {"db": [{"meta": {"version": "5.0.0"}, "data": {"posts": [fields]}}]}


def test_every_post_is_read_and_the_page_skipped():
    export = read_ghost(GHOST_5)
    assert export.source == "ghost"
    assert [post.slug for post in export.posts] == [
        "gut-microbes-and-mood",
        "vagus-nerve",
        "fermented-foods",
        "serotonin-gut",
        "letter-may",
    ]
    assert export.skipped == {"pages": 1}
    assert export.warnings == []


def test_the_posts_can_be_read_twice():
    export = read_ghost(GHOST_5)
    assert [p.slug for p in export.posts] == [p.slug for p in export.posts]


def test_a_published_post_with_html():
    post = _posts()["gut-microbes-and-mood"]
    assert post.source == "ghost"
    assert post.source_id == "65f1a0000000000000000001"
    assert post.title == "Gut microbes and mood"
    assert post.author == "Maya Okafor"
    assert post.status == "published"
    assert post.published_at == datetime(2024, 3, 12, 9, 30, tzinfo=UTC)
    assert post.modified_at == datetime(2024, 3, 14, 16, 2, 11, tzinfo=UTC)
    assert post.summary == "What germ-free mice tell us about anxiety, and what they don't."
    assert post.tags == ["Microbiome", "Neuroscience"]
    assert post.old_paths == ["/gut-microbes-and-mood/"]
    assert post.feature_image == "/content/images/2024/03/microbes.jpg"
    assert post.images == {
        "/content/images/2024/03/mouse-maze.jpg": "A mouse in an elevated plus maze"
    }
    assert post.warnings == []
    # The html field wins over a stale lexical document.
    assert "stale lexical" not in post.html
    assert '<a href="/vagus-nerve/">vagus nerve</a>' in post.html
    assert '<a href="https://old.gutbrain.example/fermented-foods/">diet</a>' in post.html
    assert "<figcaption>" in post.html
    assert (
        '<pre><code class="language-r">t.test(time_open ~ group, data = mice)</code></pre>'
        in post.html
    )
    assert "__GHOST_URL__" not in post.html


def test_statuses_and_dates():
    posts = _posts()
    assert posts["fermented-foods"].status == "scheduled"
    assert posts["fermented-foods"].published_at == datetime(2030, 1, 15, 7, tzinfo=UTC)
    assert posts["serotonin-gut"].status == "draft"
    assert posts["serotonin-gut"].published_at is None
    assert posts["serotonin-gut"].summary == ""
    sent = posts["letter-may"]
    assert sent.status == "draft"
    assert sent.warnings == ["it was only sent as an email, so it comes in as a draft"]


def test_authors_follow_posts_authors_then_author_id():
    posts = _posts()
    assert posts["vagus-nerve"].author == "Maya Okafor"  # sort_order 0 of two
    assert "only its first author is credited, not Tomás Rivera" in posts["vagus-nerve"].warnings
    assert posts["serotonin-gut"].author == "Tomás Rivera"
    assert posts["letter-may"].author == "Tomás Rivera"  # no posts_authors row: author_id


def test_internal_tags_are_left_out_and_tag_paths_recorded():
    posts = _posts()
    assert all("#featured" not in post.tags for post in posts.values())
    assert posts["fermented-foods"].tags == ["Nutrition", "Microbiome"]
    assert posts["serotonin-gut"].tags == []
    assert read_ghost(GHOST_5).tag_paths == {
        "/tag/microbiome/": "Microbiome",
        "/tag/neuroscience/": "Neuroscience",
        "/tag/nutrition/": "Nutrition",
    }


def test_site_url_resolves_the_placeholder_and_prefixes_old_paths():
    export = read_ghost(GHOST_5, site_url="https://old.gutbrain.example/blog/")
    assert export.site_url == "https://old.gutbrain.example/blog"
    post = next(iter(export.posts))
    assert (
        post.feature_image
        == "https://old.gutbrain.example/blog/content/images/2024/03/microbes.jpg"
    )
    assert '<a href="https://old.gutbrain.example/blog/vagus-nerve/">' in post.html
    assert post.old_paths == ["/blog/gut-microbes-and-mood/"]
    assert "/blog/tag/microbiome/" in export.tag_paths


def test_a_lexical_only_post_is_converted():
    post = _posts()["vagus-nerve"]
    assert post.html == (
        "<p>The <strong>vagus nerve</strong> carries signals <em>both ways</em> between gut "
        'and brain; see <a href="/gut-microbes-and-mood/">the microbes post</a>.</p>'
        "<h2>What the fibres do</h2>"
        "<ul><li>About 80% are afferent</li><li>Vagotomy blunts <em>some</em> probiotic "
        "effects</li></ul>"
        "<blockquote>The gut talks more than it listens.</blockquote>"
        '<figure><img src="/content/images/2024/04/vagus.png" alt="Diagram of the vagus nerve">'
        '<figcaption><span style="white-space: pre-wrap;">The vagus nerve, after Gray\'s '
        "Anatomy.</span></figcaption></figure>"
        '<pre><code class="language-python">rate = spikes / seconds\nprint(rate &gt; 2)'
        "</code></pre>"
        '<p>A <em>markdown</em> card with a <a href="https://doi.org/10.1000/182">reference</a>.'
        "</p>"
        "<table><tr><td>Afferent</td><td>80%</td></tr></table>"
        "<p>x<br><sup>y^2</sup> and H<sub>2</sub>O</p>"
    )
    assert post.images == {"/content/images/2024/04/vagus.png": "Diagram of the vagus nerve"}
    assert "the 'callout' card was left out: it has no equivalent here" in post.warnings


def test_a_mobiledoc_only_post_is_converted():
    post = _posts()["fermented-foods"]
    assert post.html == (
        "<p>Trials of <strong>fermented foods</strong> are small; the "
        '<a href="/vagus-nerve/">vagus post</a> explains why it matters.</p>'
        "<h2>The trials</h2>"
        "<ol><li>Kefir, 12 weeks</li><li><em>Kimchi</em>, 4 weeks</li></ol>"
        "<blockquote>Line one<br>line two</blockquote>"
        '<figure><img src="/content/images/2023/11/kimchi.jpg" alt="A jar of kimchi">'
        "<figcaption>Kimchi, three days in.</figcaption></figure>"
        '<pre><code class="language-html">&lt;b&gt;not bold&lt;/b&gt;</code></pre>'
        "<h2>From the markdown card</h2>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
        '<p class="note">Raw HTML card.</p>'
        "<hr>"
    )
    assert post.warnings == ["the 'audio' card was left out: it has no equivalent here"]


def _text(html):
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_a_real_ghost_4_export():
    export = read_ghost(GHOST_4)
    assert export.warnings == []
    assert export.skipped == {"pages": 1}
    assert export.tag_paths == {"/tag/getting-started/": "Getting Started"}
    [post] = export.posts
    assert post.source_id == "605ac141a2d5a6aa9e101ec1"
    assert post.title == "Selling premium memberships with recurring revenue"
    assert post.author == "Ghost"
    # For paying members only there: everyone's here, unless its author says so.
    assert post.status == "draft"
    assert "it was for paying members only, so it comes in as a draft" in post.warnings
    assert post.published_at == datetime(2021, 3, 24, 4, 34, 11, tzinfo=UTC)
    assert post.tags == ["Getting Started"]
    assert post.old_paths == ["/sell/"]
    assert post.feature_image.endswith("/organizing-your-content.png")
    assert post.images == {"https://static.ghost.org/v4.0.0/images/thebrowser.jpg": ""}


def test_mobiledoc_conversion_says_what_ghost_published():
    """Ghost's own html for its real posts has the same text as the conversion of their
    Mobiledoc (its markup differs only in Ghost's classes and attributes)."""
    rows = json.loads(GHOST_4.read_text(encoding="utf-8"))["db"][0]["data"]["posts"]
    for row in rows:
        html, warnings = mobiledoc_to_html(row["mobiledoc"])
        assert warnings == []
        assert _text(html) == _text(row["html"])
        assert html.count("<strong>") == row["html"].count("<strong>")
        assert html.count("<a href") == row["html"].count("<a href")


def test_unreadable_editor_content_is_a_warning():
    assert lexical_to_html("{not json") == ("", ["its Lexical content could not be read"])
    assert mobiledoc_to_html('{"sections": [[10, 3]]}') == (
        "",
        ["its Mobiledoc content could not be read"],
    )
    html, warnings = mobiledoc_to_html('{"sections": [[7, "x"], [1, "p", [[0, [], 0, "a"]]]]}')
    assert html == "<p>a</p>"
    assert warnings == ["a Mobiledoc section of kind 7 was left out"]


def test_a_post_without_content_or_a_known_status_or_author(tmp_path):
    path = _write(tmp_path, _minimal(html=None, status="archived", author_id="9"))
    [post] = read_ghost(path).posts
    assert post.html == ""
    assert post.author == ""
    assert post.status == "draft"
    assert post.warnings == [
        "it has no content",
        "its author is not among the export's users",
        "its status 'archived' is unknown, so it comes in as a draft",
    ]


def test_an_old_ghost_export_without_db_wrapper(tmp_path):
    """Ghost 0.x: no "db" list, epoch-millisecond dates, `page` flags, `image`, `author_id`."""
    document = {
        "meta": {"exported_on": 1426263451924, "version": "003"},
        "data": {
            "posts": [
                {
                    "id": 1,
                    "title": "Welcome",
                    "slug": "welcome",
                    "html": "<p>Hi</p>",
                    "page": 0,
                    "image": "/content/images/a.png",
                    "status": "published",
                    "author_id": 1,
                    "published_at": 1426078349156,
                    "updated_at": 1426078349135,
                },
                {"id": 2, "title": "About", "slug": "about", "html": "<p>Me</p>", "page": 1},
            ],
            "users": [{"id": 1, "name": "Cozy"}],
        },
    }
    export = read_ghost(_write(tmp_path, document))
    assert export.skipped == {"pages": 1}
    assert "Ghost 003, which this importer does not know" in export.warnings[0]
    [post] = export.posts
    assert (post.source_id, post.author, post.feature_image) == (
        "1",
        "Cozy",
        "/content/images/a.png",
    )
    assert post.published_at == datetime(2015, 3, 11, 12, 52, 29, 156000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("version", "warning"),
    [
        ("7.0.0", "the export was written by Ghost 7.0.0, which this importer does not know"),
        (None, "the export does not say which Ghost version wrote it"),
        ("6.3.1", None),
        ("1.20.0", None),
    ],
)
def test_versions(tmp_path, version, warning):
    document = _minimal()
    document["db"][0]["meta"]["version"] = version
    export = read_ghost(_write(tmp_path, document))
    if warning:
        assert export.warnings[0].startswith(warning)
    else:
        assert export.warnings == []
    assert len(list(export.posts)) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "is not a Ghost export: it is not valid JSON (line 1, column 1)"),
        ("", "is not a Ghost export: it ends before the JSON does (cut short?)"),
        ("[1, 2]", "is not a Ghost export: it holds no JSON object"),
        ('{"db": []}', 'is not a Ghost export: its "db" list is empty'),
        ('{"db": [{"meta": {"version": "5.0.0"}}]}', 'is not a Ghost export: it has no "data"'),
        ('{"posts": []}', 'is not a Ghost export: it has no "data" section'),
        ('{"db": [{"data": {"tags": []}}]}', 'is not a Ghost export: its "data" has no "posts"'),
    ],
)
def test_refusals(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(GhostExportError, match=re.escape(message)):
        read_ghost(path)


def test_a_cut_short_file_is_refused():
    with pytest.raises(GhostExportError, match=r"it ends before the JSON does \(cut short\?\)"):
        read_ghost(FIXTURES / "ghost-truncated.json")


def test_unreadable_files_are_refused(tmp_path):
    with pytest.raises(GhostExportError, match="could not be read"):
        read_ghost(tmp_path / "missing.json")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"title": "caf\xe9"}')
    with pytest.raises(GhostExportError, match="it is not UTF-8 text"):
        read_ghost(latin)


def test_the_command_turns_a_refusal_into_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="cut short"):
        call_command("import_ghost", str(FIXTURES / "ghost-truncated.json"))
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("import_ghost", str(GHOST_5), media=str(tmp_path / "nowhere"))


def _writer_ready():
    try:
        import posts.bringing_in  # noqa: F401
    except ImportError:
        return False
    return True


needs_writer = pytest.mark.skipif(not _writer_ready(), reason="the shared writer is not there")


@needs_writer
@pytest.mark.django_db
def test_import_ghost_dry_run_writes_nothing():
    from posts.models import Post

    out = StringIO()
    call_command("import_ghost", str(GHOST_5), dry_run=True, stdout=out)
    assert Post.objects.count() == 0
    assert out.getvalue().startswith("Would import from ghost:")
    assert "Skipped: 1 pages" in out.getvalue()
    assert "Warning (letter-may): it was only sent as an email" in out.getvalue()


@needs_writer
@pytest.mark.django_db
def test_import_ghost_brings_in_a_real_export():
    from posts.models import Post

    out = StringIO()
    call_command("import_ghost", str(GHOST_4), stdout=out)
    assert out.getvalue().startswith("Imported from ghost: 1 posts (1 draft)")
    post = Post.objects.get()
    assert (post.slug, post.title) == (
        "sell",
        "Selling premium memberships with recurring revenue",
    )
    assert post.status == Post.Status.DRAFT
    assert list(post.tags.names()) == ["Getting Started"]
    call_command("import_ghost", str(GHOST_4), stdout=StringIO())
    assert Post.objects.count() == 1


@needs_writer
@pytest.mark.django_db
def test_import_ghost_brings_in_posts_that_link_to_each_other():
    from posts.models import Post

    out = StringIO()
    call_command("import_ghost", str(GHOST_5), stdout=out)
    assert out.getvalue().startswith("Imported from ghost: 5 posts")
    posts = {post.slug: post for post in Post.objects.all()}
    assert posts["gut-microbes-and-mood"].status == Post.Status.PUBLISHED
    assert posts["fermented-foods"].published_at == datetime(2030, 1, 15, 7, tzinfo=UTC)
    assert posts["serotonin-gut"].status == Post.Status.DRAFT
    assert sorted(posts["gut-microbes-and-mood"].tags.names()) == ["Microbiome", "Neuroscience"]
    assert "post:vagus-nerve" in posts["gut-microbes-and-mood"].body


@pytest.mark.parametrize(
    "content",
    [
        {"lexical": json.dumps({"root": {"children": "not a list"}})},
        {"lexical": json.dumps({"root": {"children": [{"type": "text", "text": 7}]}})},
        {"mobiledoc": json.dumps({"version": "0.3.1", "sections": [[1, ["p"]]]})},
    ],
)
def test_malformed_editor_content_is_a_warning_not_a_traceback(tmp_path, content):
    path = _write(tmp_path, _minimal(html=None, **content))
    [post] = read_ghost(path).posts
    assert post.warnings and all("Traceback" not in warning for warning in post.warnings)


def test_a_post_for_members_only_comes_in_as_a_draft(tmp_path):
    path = _write(tmp_path, _minimal(visibility="members"))
    [post] = read_ghost(path).posts
    assert post.status == "draft"
    assert "it was for members only, so it comes in as a draft" in post.warnings
