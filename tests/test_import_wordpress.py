"""A WordPress blog brought in from its export: every post, tag, series, link and image, and
every old address answering with one redirect to a page that is there."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image as PillowImage
from taggit.models import Tag

from posts.former_addresses import FormerAddress, ImportedPost
from posts.images import Image
from posts.models import Announcement, Post, Series

pytestmark = pytest.mark.django_db

EXPORT = Path(__file__).parent / "fixtures" / "moving_in" / "wp-science-blog.xml"
UPLOADS = "https://oldblog.example.org/wp-content/uploads/2019/05/"


@pytest.fixture
def media(tmp_path):
    """The old site's uploads folder: the full-size microbes image (not its 300x200 copy)."""
    folder = tmp_path / "uploads"
    (folder / "2019" / "05").mkdir(parents=True)
    PillowImage.new("RGB", (60, 40), "purple").save(folder / "2019" / "05" / "microbes.png")
    return folder


def run(*args, path=EXPORT):
    out = StringIO()
    call_command("import_wordpress", str(path), *args, stdout=out)
    return out.getvalue()


def variant(tmp_path, old, new, name="wp-variant.xml", encoding="utf-8"):
    text = EXPORT.read_text().replace(old, new, 1)
    (tmp_path / name).write_bytes(text.encode(encoding))
    return tmp_path / name


@pytest.fixture
def imported(media):
    return run("--media", str(media))


def test_every_post_comes_in_with_its_status_author_and_dates(imported):
    posts = {post.slug: post for post in Post.objects.all()}
    assert set(posts) == {
        "gut-microbes-and-mood", "the-vagus-nerve", "fermented-food-a-draft",
        "enteric-nervous-system", "pending-review", "members-only", "private-notes",
        "gut-microbes-and-mood-2", "post-110",
    }  # fmt: skip
    mood = posts["gut-microbes-and-mood"]
    assert mood.is_published and mood.published_at.isoformat() == "2019-05-12T10:30:00+00:00"
    assert mood.author.get_full_name() == "Mira Okafor"
    assert not mood.author.has_usable_password()
    assert mood.summary == "How microbes change how we feel."
    assert posts["enteric-nervous-system"].is_scheduled
    for slug in ("fermented-food-a-draft", "pending-review", "members-only", "private-notes"):
        assert posts[slug].status == Post.Status.DRAFT
    assert posts["gut-microbes-and-mood-2"].published_at.year == 2021  # local date, year 0000
    assert posts["post-110"].title == "Post 110"
    assert posts["the-vagus-nerve"].author.get_full_name() == "Tom Reyes"
    assert "Thrown away" not in {p.title for p in posts.values()}
    assert "Posts: 9" not in imported and "1 pages" in imported and "2 comments" in imported
    assert "1 trash" in imported


def test_the_text_becomes_markdown_with_figures_code_and_paragraphs(imported):
    mood = Post.objects.get(slug="gut-microbes-and-mood")
    image = Image.objects.get()
    assert image.alt_text == "Rod-shaped bacteria, stained purple"
    assert "Microbes in the gut talk to the brain." in mood.body
    assert (
        f'![Rod-shaped bacteria, stained purple](image:{image.pk} "Bacteria under a microscope")'
        in mood.body
    )
    assert "```python\ndef ratio(a, b):\n    return a < b\n\nprint(ratio(1, 2))\n```" in mood.body
    # Left as text, and escaped so that it stays text.
    assert '\\[contact-form-7 id="9"\\] keeps its place.' in mood.body
    assert "<figcaption>Bacteria under a microscope</figcaption>" in mood.body_html
    for unsafe in ("<script", "alert(", "onclick", "steal"):
        assert unsafe not in mood.body and unsafe not in mood.body_html
    assert mood.feature_image_id == image.pk
    nerve = Post.objects.get(slug="the-vagus-nerve")
    assert "## Signals" in nerve.body and "- Afferent" in nerve.body
    assert "wp:" not in nerve.body
    assert f'![Villi of the small intestine]({UPLOADS}villi.png "Villi, magnified")' in nerve.body


def test_links_between_posts_become_post_links(imported):
    mood = Post.objects.get(slug="gut-microbes-and-mood")
    nerve = Post.objects.get(slug="the-vagus-nerve")
    assert "[the vagus nerve](post:the-vagus-nerve)" in mood.body
    assert "(post:fermented-food-a-draft)" in mood.body
    assert "[a paper](https://elsewhere.example.com/paper)" in mood.body
    assert "[microbes](post:gut-microbes-and-mood)" in nerve.body
    assert set(mood.links.all()) >= {nerve}
    assert mood in nerve.linked_from.all()
    assert 'href="/posts/the-vagus-nerve/"' in mood.body_html
    assert "Links between posts rewritten: 3" in imported


def test_tags_and_categories_become_tags(imported):
    assert set(Tag.objects.values_list("name", flat=True)) == {
        "Vagus nerve",
        "Microbiome",
        "Science",
    }
    assert not Series.objects.exists()


def test_categories_can_become_series(media):
    run("--categories-as", "series")
    microbiome = Series.objects.get(title="Microbiome")
    assert list(
        microbiome.posts.values_list("slug", flat=True).order_by("series_parts__position")
    ) == [
        "gut-microbes-and-mood",
        "gut-microbes-and-mood-2",
    ]
    assert set(Tag.objects.values_list("name", flat=True)) == {"Vagus nerve"}


def test_the_report_lists_images_shortcodes_and_warnings(imported):
    assert "Images imported: 1; left on the old site: 2." in imported
    assert f"  {UPLOADS}villi.png" in imported
    assert "  https://cdn.example.net/elsewhere.jpg" in imported
    assert "Shortcodes left as text: [contact-form-7] x1." in imported
    assert "protected by a password there" in imported
    assert "is another post's" in imported
    assert "local date is taken as UTC" in imported


def test_every_old_address_answers_one_redirect_to_a_page(imported, client):
    public = {p.pk for p in Post.objects.published()}
    checked = 0
    for address in FormerAddress.objects.select_related("post"):
        response = client.get(address.path)
        if address.post_id and address.post_id not in public:
            assert response.status_code in (200, 404), address.path  # not given away
            continue
        assert response.status_code == 301, address.path
        assert client.get(response["Location"]).status_code == 200, address.path
        checked += 1
    assert checked > 20
    assert client.get("/?p=101")["Location"] == "/posts/gut-microbes-and-mood/"
    assert client.get("/tag/vagus-nerve/")["Location"] == "/tags/vagus-nerve/"
    assert client.get("/category/science/microbiome/")["Location"] == "/tags/microbiome/"
    assert client.get("/feed/")["Location"] == "/feed/rss/"


def test_importing_again_updates_the_same_posts(imported, media):
    again = run("--media", str(media))
    assert Post.objects.count() == 9 and Image.objects.count() == 1
    assert ImportedPost.objects.count() == 9
    assert "0 new, 9 updated" in again


def test_a_post_edited_here_is_kept_unless_overwritten(imported, media):
    mood = Post.objects.get(slug="gut-microbes-and-mood")
    mood.body = "Rewritten here."
    mood.save()
    assert "1 edited here since" in run("--media", str(media))
    assert Post.objects.get(pk=mood.pk).body == "Rewritten here.\n"
    run("--media", str(media), "--overwrite")
    assert "Microbes in the gut" in Post.objects.get(pk=mood.pk).body


def test_a_renamed_post_keeps_its_name_and_old_addresses(imported, client):
    mood = Post.objects.get(slug="gut-microbes-and-mood")
    mood.slug = "microbes-and-mood"
    mood.save()
    run()
    assert Post.objects.get(pk=mood.pk).slug == "microbes-and-mood"
    assert (
        client.get("/2019/05/12/gut-microbes-and-mood/")["Location"] == "/posts/microbes-and-mood/"
    )


def test_a_dry_run_writes_nothing_but_reports_the_same(media):
    report = run("--media", str(media), "--dry-run")
    assert report.startswith("Would import from wordpress: 9 posts")
    assert "Images imported: 1" in report
    assert not Post.objects.exists() and not FormerAddress.objects.exists()
    assert not Image.objects.exists() and not Tag.objects.exists()


def test_nobody_is_emailed_and_published_posts_are_marked_announced(imported):
    assert mail.outbox == []
    announced = set(Announcement.objects.values_list("post__slug", flat=True))
    assert announced == set(
        Post.objects.filter(status=Post.Status.PUBLISHED).values_list("slug", flat=True)
    )


def test_a_file_declared_in_another_encoding_is_read(tmp_path):
    path = variant(tmp_path, 'encoding="UTF-8"', 'encoding="ISO-8859-1"', encoding="latin-1")
    text = path.read_bytes().replace(
        b"Microbes in the gut", "Microbes in the gut, café".encode("latin-1")
    )
    path.write_bytes(text)
    run(path=path)
    assert "caf\u00e9" in Post.objects.get(slug="gut-microbes-and-mood").body


def test_an_unknown_wxr_version_is_read_with_a_warning(tmp_path):
    path = variant(
        tmp_path, "<wp:wxr_version>1.2</wp:wxr_version>", "<wp:wxr_version>9.9</wp:wxr_version>"
    )
    assert "WXR version 9.9 is not one this reads" in run(path=path)
    assert Post.objects.count() == 9


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda text: text[: len(text) // 2], "not readable as XML"),
        (
            lambda text: text.replace(
                "<rss",
                '<!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>\n<rss',
                1,
            ).replace("Science of the gut", "&c;"),
            "refused",
        ),
        (
            lambda text: text.replace(
                "<rss", '<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<rss', 1
            ).replace("Science of the gut", "&x;"),
            "refused",
        ),
    ],
    ids=["truncated", "billion-laughs", "external-entity"],
)
def test_an_unreadable_file_is_refused_whole(tmp_path, change, message):
    path = tmp_path / "wp-bad.xml"
    path.write_text(change(EXPORT.read_text()))
    with pytest.raises(CommandError, match=message):
        run(path=path)
    assert not Post.objects.exists()


def test_no_page_of_the_imported_site_fails(imported, client, admin_client):
    for post in Post.objects.all():
        assert client.get(post.get_absolute_url()).status_code in (200, 404)
        change = admin_client.get(f"/admin/posts/post/{post.pk}/change/")
        assert change.status_code == 200
    for path in ("/", "/tags/", "/feed/rss/", "/archive/2019/"):
        assert client.get(path).status_code == 200
    assert re.search(
        r"/\?p=101",
        admin_client.get(
            f"/admin/posts/post/{Post.objects.get(slug='gut-microbes-and-mood').pk}/change/"
        ).content.decode(),
    )


def test_a_slug_in_another_script_becomes_an_address_here_and_the_old_one_still_leads(
    tmp_path, client
):
    export = variant(
        tmp_path,
        "<wp:post_name><![CDATA[gut-microbes-and-mood]]></wp:post_name>",
        "<wp:post_name><![CDATA[%d0%bf%d1%80%d0%b8%d0%b2%d0%b5%d1%82]]></wp:post_name>",
    )
    run(path=export)
    post = Post.objects.get(imported_from__source_id="101")
    assert post.slug.isascii() and post.slug
    for page in ("/", "/feed/rss/", "/sitemap-posts.xml", post.get_absolute_url()):
        assert client.get(page).status_code == 200, page
    moved = client.get("/2019/05/12/привет/")
    assert moved.status_code == 301
    assert moved["Location"] == post.get_absolute_url()


def test_authors_named_in_another_script_each_get_a_login_of_their_own(tmp_path):
    text = EXPORT.read_text()
    text = text.replace("Mira Okafor", "Мира Окафор").replace("Tom Reyes", "Том")
    (tmp_path / "wp-names.xml").write_text(text)
    report = run(path=tmp_path / "wp-names.xml")
    assert "not imported" not in report
    names = {post.author.get_full_name() for post in Post.objects.select_related("author")}
    assert {"Мира Окафор", "Том"} <= names
    assert Post.objects.values("author").distinct().count() >= 2


def test_an_item_outside_the_channel_is_no_traceback(tmp_path):
    export = variant(tmp_path, "</channel>", "</channel><item><title>Stray</title></item>")
    report = run(path=export)
    assert "Traceback" not in report
    assert Post.objects.filter(imported_from__source_id="101").exists()
