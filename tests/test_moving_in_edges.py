"""What real exports hold beyond the common case: galleries, text that looks like markup,
reusable blocks, odd ids and statuses, values too long for a field, subfolder sites, posts
that fail half-way, and exports too large to hold at once."""

import gc
import json
import weakref
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image as PillowImage

from posts.bringing_in import Writer
from posts.former_addresses import FormerAddress
from posts.images import Image
from posts.models import Post
from posts.moving_in import Export, Incoming, bring_in
from tests.test_image_privacy import phone_photo

pytestmark = pytest.mark.django_db

OLD = "https://old.example.org"


def item(post_id, slug, content="", *, status="publish", kind="post", creator="ann", extra=""):
    return f"""<item><title><![CDATA[{slug.replace("-", " ").title()}]]></title>
<link>{OLD}/{slug}/</link><dc:creator>{creator}</dc:creator>
<content:encoded><![CDATA[{content}]]></content:encoded><wp:post_id>{post_id}</wp:post_id>
<wp:post_date_gmt>2020-01-02 03:04:05</wp:post_date_gmt><wp:post_name>{slug}</wp:post_name>
<wp:status>{status}</wp:status><wp:post_parent>0</wp:post_parent>
<wp:post_type>{kind}</wp:post_type>{extra}</item>"""


def wxr(tmp_path, *items, site=OLD, name="export.xml"):
    path = tmp_path / name
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Old</title><link>{site}</link><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_blog_url>{site}</wp:base_blog_url>
<wp:author><wp:author_login>ann</wp:author_login>
<wp:author_display_name>Ann Lee</wp:author_display_name></wp:author>
<wp:author><wp:author_login>bob</wp:author_login>
<wp:author_display_name>Bob Fail</wp:author_display_name></wp:author>
{"".join(items)}</channel></rss>""")
    return path


def run(path, *args):
    out = StringIO()
    call_command("import_wordpress", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def uploads(tmp_path):
    folder = tmp_path / "uploads" / "2020" / "01"
    folder.mkdir(parents=True)
    for name, colour in (("a.png", "red"), ("b.png", "blue"), ("c.png", "green")):
        PillowImage.new("RGB", (30, 20), colour).save(folder / name)
    return tmp_path / "uploads"


def page_text(client, slug):
    response = client.get(f"/posts/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


GALLERY = f"""<!-- wp:gallery {{"linkTo":"none"}} -->
<figure class="wp-block-gallery has-nested-images"><!-- wp:image {{"id":11}} -->
<figure class="wp-block-image"><img src="{OLD}/wp-content/uploads/2020/01/a.png" alt="Red"/>
<figcaption class="wp-element-caption">The red one</figcaption></figure><!-- /wp:image -->
<!-- wp:image {{"id":12}} --><figure class="wp-block-image">
<img src="{OLD}/wp-content/uploads/2020/01/b-300x200.png" alt="Blue"/></figure>
<!-- /wp:image --><figcaption class="blocks-gallery-caption">Both colours</figcaption>
</figure><!-- /wp:gallery -->
<!-- wp:gallery --><figure class="wp-block-gallery"><ul class="blocks-gallery-grid">
<li class="blocks-gallery-item"><figure><img src="{OLD}/wp-content/uploads/2020/01/c.png"
 alt="Green"/><figcaption class="blocks-gallery-item__caption">Older gallery</figcaption>
</figure></li></ul></figure><!-- /wp:gallery -->"""


def test_a_gutenberg_gallery_keeps_every_image_and_caption(tmp_path, uploads, client):
    report = run(wxr(tmp_path, item(1, "colours", GALLERY)), "--media", str(uploads))
    post = Post.objects.get(slug="colours")
    red, blue, green = (Image.objects.get(alt_text=alt) for alt in ("Red", "Blue", "Green"))
    assert f'![Red](image:{red.pk} "The red one")' in post.body
    assert f"![Blue](image:{blue.pk})" in post.body
    assert f'![Green](image:{green.pk} "Older gallery")' in post.body
    assert "_Both colours_" in post.body and "Images imported: 3" in report
    page = page_text(client, "colours")
    assert page.count("<figure") >= 3
    assert "The red one</figcaption>" in page and "Older gallery</figcaption>" in page


def test_text_that_looks_like_markup_is_shown_as_written(tmp_path, client):
    content = (
        "<p>&lt;em&gt;not emphasis&lt;/em&gt; and 2 * 3 * 4</p>\n\n<p>1. Not a list</p>\n\n"
        "<p># Not a heading</p>\n\n<p>Write [text](url) for a link</p>\n\n"
        "<p>&gt; not a quote</p>\n\n<p>- not a bullet</p>\n\n<p>&amp;copy; stays</p>"
    )
    run(wxr(tmp_path, item(1, "literal", content)))
    page = page_text(client, "literal")
    for shown in (
        "<p>&lt;em&gt;not emphasis&lt;/em&gt; and 2 * 3 * 4</p>",
        "<p>1. Not a list</p>",
        "<p># Not a heading</p>",
        "<p>Write [text](url) for a link</p>",
        "<p>&gt; not a quote</p>",
        "<p>- not a bullet</p>",
        "<p>&amp;copy; stays</p>",
    ):
        assert shown in page
    assert "<em>not emphasis" not in page and "Not a heading</h" not in page


def test_addresses_with_spaces_and_brackets_stay_whole(tmp_path, client):
    content = (
        '<p><a href="https://en.example.org/wiki/Vagus_nerve_(anatomy)">the nerve</a> and '
        f'<a href="{OLD}/files/my notes.pdf">my notes</a></p>'
    )
    run(wxr(tmp_path, item(1, "addresses", content)))
    page = page_text(client, "addresses")
    assert 'href="https://en.example.org/wiki/Vagus_nerve_%28anatomy%29"' in page
    assert f'href="{OLD}/files/my%20notes.pdf"' in page


def test_reusable_blocks_are_shown_where_they_are_used(tmp_path, client):
    shared = item(
        50, "shared", "<!-- wp:paragraph --><p>A shared note.</p><!-- /wp:paragraph -->",
        kind="wp_block",
    )  # fmt: skip
    content = '<p>Before.</p><!-- wp:block {"ref":50} /--><!-- wp:block {"ref":99} /-->'
    report = run(wxr(tmp_path, shared, item(1, "uses-block", content)))
    assert "A shared note." in page_text(client, "uses-block")
    assert "a reusable block (id 99) not in the export was left out" in report
    assert list(Post.objects.values_list("slug", flat=True)) == ["uses-block"]


def test_items_without_an_id_of_their_own_are_left_out_and_said(tmp_path):
    report = run(
        wxr(tmp_path, item(7, "first", "<p>One.</p>"), item(7, "second"), item("", "third"))
    )
    assert list(Post.objects.values_list("slug", flat=True)) == ["first"]
    assert "not imported: another post in the export has its id '7'" in report
    assert "not imported: it has no id ''" in report


def test_unknown_statuses_are_drafts_and_empty_drafts_are_skipped(tmp_path):
    report = run(
        wxr(tmp_path, item(1, "limbo", status="limbo"), item(2, "blank", status="auto-draft"))
    )
    assert Post.objects.get().status == Post.Status.DRAFT
    assert "its status 'limbo' is unknown: brought in as a draft" in report
    assert "Skipped: 1 empty drafts" in report


def test_values_too_long_for_a_field_are_shortened_and_said(tmp_path):
    long_slug = "s" * 600
    tag = f'<category domain="post_tag" nicename="long"><![CDATA[{"T" * 150}]]></category>'
    export = wxr(tmp_path, item(1, long_slug, "<p>Text.</p>", extra=tag))
    text = export.read_text().replace(
        f"<title><![CDATA[{long_slug.title()}]]>", f"<title><![CDATA[{'Long ' * 60}]]>"
    )
    export.write_text(text)
    report = run(export)
    post = Post.objects.get()  # on PostgreSQL too, where a longer value is refused
    assert len(post.title) == 200 and post.title.endswith("…")
    assert [len(tag) for tag in post.tags.names()] == [95]  # room for taggit's "_2"
    assert "its title is longer than 200 characters: shortened" in report
    assert "its tag is longer than 95 characters: shortened" in report
    assert "is too long to keep" in report
    assert FormerAddress.objects.filter(post=post, path="/?p=1").exists()


def test_pages_are_listed_by_title_and_address(tmp_path):
    report = run(wxr(tmp_path, item(3, "about", kind="page"), item(1, "a-post")))
    assert "Pages skipped (gutbrain keeps posts; copy any you need by hand):" in report
    assert "  About (/about/)" in report


def test_a_ghost_page_is_listed_and_a_ghost_0_post_is_read_from_its_markdown(tmp_path):
    export = tmp_path / "ghost.json"
    posts = [
        {"id": 1, "title": "Old", "slug": "old", "markdown": "Some *old* text.", "html": None,
         "status": "published", "published_at": "the day before"},
        {"id": 2, "title": "Colophon", "slug": "colophon", "page": 1, "status": "published"},
    ]  # fmt: skip
    data = {"posts": posts, "users": [{"id": 1, "name": "Ann Lee"}]}
    export.write_text(json.dumps({"db": [{"meta": {"version": "003"}, "data": data}]}))
    out = StringIO()
    call_command("import_ghost", str(export), stdout=out)
    post = Post.objects.get()
    assert post.body == "Some *old* text.\n" and post.is_published
    assert "its date 'the day before' cannot be read" in out.getvalue()
    assert "  Colophon (/colophon/)" in out.getvalue()


def test_a_subfolder_site_s_old_addresses_and_feed_lead_here(tmp_path, client):
    run(wxr(tmp_path, item(7, "deep", "<p>Text.</p>"), site=f"{OLD}/blog"))
    for old in ("/blog/?p=7", "/blog/index.php?p=7", "/blog/deep/", "/blog/2020/01/deep/"):
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, "/posts/deep/"), old
    assert client.get("/blog/feed/")["Location"] == "/feed/rss/"
    assert client.get("/index.php?p=7").status_code == 404  # not this site's address


def test_the_old_feed_address_wins_over_a_post_named_feed(tmp_path, client):
    run(wxr(tmp_path, item(1, "feed", "<p>A post called feed.</p>")))
    assert client.get("/feed/")["Location"] == "/feed/rss/"
    assert client.get("/?p=1")["Location"] == "/posts/feed/"


def test_links_to_www_and_to_posts_of_an_earlier_import_become_post_links(tmp_path):
    run(wxr(tmp_path, item(1, "first", "<p>One.</p>"), name="one.xml"))
    content = (
        '<p><a href="https://www.old.example.org/first/">first</a> and '
        f'<a href="{OLD}/?p=1">it</a></p>'
    )
    run(wxr(tmp_path, item(2, "second", content), name="two.xml"))
    body = Post.objects.get(slug="second").body
    assert "[first](post:first) and [it](post:first)" in body
    assert list(Post.objects.get(slug="first").linked_from.values_list("slug", flat=True)) == [
        "second"
    ]


def stored_files(folder="images"):
    folders, files = default_storage.listdir(folder)
    found = {f"{folder}/{name}" for name in files}
    return found.union(*(stored_files(f"{folder}/{name}") for name in folders))


def test_a_post_that_fails_takes_its_images_with_it(tmp_path, uploads, monkeypatch):
    red, blue = (
        f'<p><img src="{OLD}/wp-content/uploads/2020/01/{name}.png" alt="{name}"></p>'
        for name in ("a", "b")
    )
    author = Writer.author

    def failing(self, name):
        if name == "Bob Fail":
            raise ValueError("no such author")
        return author(self, name)

    monkeypatch.setattr(Writer, "author", failing)
    failed = item(1, "fails", red + blue, creator="bob")
    report = run(wxr(tmp_path, failed, item(2, "works", red)), "--media", str(uploads))
    kept = Image.objects.get()
    assert Post.objects.get().body == f"![a](image:{kept.pk})\n"
    assert "not imported: no such author" in report and "Images imported: 1;" in report
    assert stored_files() == {kept.file.name}


class Passes:
    """An export's posts that checks each is let go once the next is asked for."""

    def __init__(self, count):
        self.count, self.passes = count, 0

    def __iter__(self):
        self.passes += 1
        alive = []
        for number in range(self.count):
            gc.collect()
            assert sum(ref() is not None for ref in alive[:-1]) == 0, "a post was held"
            item = Incoming(
                source="wordpress", source_id=str(number), title=f"Post {number}",
                slug=f"post-{number}", author="Ann Lee", status="published",
                published_at=None, modified_at=None, summary="",
                html=f'<p>See <a href="/post-{(number + 1) % self.count}/">the next</a>.</p>',
                old_paths=[f"/post-{number}/"],
            )  # fmt: skip
            alive.append(weakref.ref(item))
            yield item


def test_posts_are_read_twice_and_let_go_one_by_one():
    posts = Passes(30)
    report = bring_in(Export(source="wordpress", site_url=OLD, posts=posts))
    assert posts.passes == 2 and report.created == 30 and report.links_rewritten == 30
    assert Post.objects.get(slug="post-3").body == "See [the next](post:post-4).\n"


def test_an_imported_photo_leaves_where_it_was_taken_behind(tmp_path, uploads):
    (uploads / "2020" / "01" / "phone.jpg").write_bytes(phone_photo().read())
    img = f'<p><img src="{OLD}/wp-content/uploads/2020/01/phone.jpg" alt="A phone photo"></p>'
    run(wxr(tmp_path, item(1, "photo", img)), "--media", str(uploads))
    with PillowImage.open(Image.objects.get().file.path) as kept:
        assert not kept.getexif()


def test_only_the_old_site_s_uploads_are_taken_from_the_folder(tmp_path, uploads):
    elsewhere = '<p><img src="https://other.example.net/wp-content/uploads/2020/01/a.png"></p>'
    pasted = '<p><img src="data:image/png;base64,iVBORw0KGgo=" alt="pasted"></p>'
    report = run(wxr(tmp_path, item(1, "hotlinked", elsewhere + pasted)), "--media", str(uploads))
    assert not Image.objects.exists()
    assert "  https://other.example.net/wp-content/uploads/2020/01/a.png" in report
    assert "an image pasted into the text (a data: address) was left out" in report
    assert "data:image" not in report and "data:" not in Post.objects.get().body


def test_names_are_decoded_and_dates_of_the_last_change_kept(tmp_path, client):
    tag = '<category domain="post_tag" nicename="food"><![CDATA[Food &amp; Drink]]></category>'
    changed = "<wp:post_modified_gmt>2021-03-04 05:06:07</wp:post_modified_gmt>"
    excerpt = "<excerpt:encoded><![CDATA[Salt &amp; <em>sugar</em>]]></excerpt:encoded>"
    export = wxr(tmp_path, item(1, "salt", "<p>Text.</p>", extra=tag + changed + excerpt))
    export.write_text(
        export.read_text().replace("<![CDATA[Salt]]>", "<![CDATA[Salt &amp; Sugar]]>")
    )
    run(export)
    post = Post.objects.get()
    assert (post.title, post.summary, list(post.tags.names())) == (
        "Salt & Sugar", "Salt & sugar", ["Food & Drink"]
    )  # fmt: skip
    assert post.content_changed_at.isoformat() == "2021-03-04T05:06:07+00:00"
    assert 'Last updated <time datetime="2021-03-04T05:06:07+00:00">' in page_text(client, "salt")


def test_an_old_site_s_admin_is_not_this_site_s(tmp_path, django_user_model):
    chief = django_user_model.objects.create_superuser("admin", password="a-long-password-1")
    export = wxr(tmp_path, item(1, "by-admin", "<p>Text.</p>", creator="admin"))
    export.write_text(export.read_text().replace("<wp:author_login>bob", "<wp:author_login>admin"))
    export.write_text(export.read_text().replace("Bob Fail", "admin"))
    run(export)
    author = Post.objects.get().author
    assert author != chief and not author.has_usable_password()
    again = wxr(tmp_path, item(2, "again", creator="admin"), name="again.xml")
    again.write_text(export.read_text().replace("by-admin", "again").replace(">1<", ">2<"))
    run(again)
    assert Post.objects.get(slug="again").author == author  # the same imported login


def test_a_trashed_copy_does_not_stand_in_for_the_post(tmp_path):
    run(wxr(tmp_path, item(4, "old-copy", status="trash"), item(4, "the-post", "<p>Live.</p>")))
    post = Post.objects.get()
    assert (post.slug, post.is_published) == ("the-post", True)


def featured(tmp_path):
    """An export of one post whose feature image is the old site's 2020/01/a.png."""
    attachment = item(9, "pic", kind="attachment", extra=(
        f"<wp:attachment_url>{OLD}/wp-content/uploads/2020/01/a.png</wp:attachment_url>"
    ))  # fmt: skip
    thumbnail = (
        "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
        "<wp:meta_value>9</wp:meta_value></wp:postmeta>"
    )
    return wxr(tmp_path, attachment, item(1, "featured", "<p>Text.</p>", extra=thumbnail))


def test_a_feature_image_left_behind_is_said(tmp_path):
    report = run(featured(tmp_path))
    assert "its feature image is not in the uploads folder" in report
    assert Post.objects.get().feature_image is None


def test_the_old_site_s_uploads_are_found_through_its_cdn_and_subdomains(tmp_path, uploads):
    images = "".join(
        f'<p><img src="{src}/wp-content/uploads/2020/01/{name}" alt="{name}"></p>'
        for src, name in (
            ("https://i0.wp.com/old.example.org", "a.png"),
            ("https://media.old.example.org", "b.png"),
        )
    )
    run(wxr(tmp_path, item(1, "cdn", images)), "--media", str(uploads))
    assert Image.objects.count() == 2


def test_a_dry_run_finds_feature_images_without_a_warning(tmp_path, uploads):
    report = run(featured(tmp_path), "--media", str(uploads), "--dry-run")
    assert "Images imported: 1;" in report and "feature image" not in report


def test_a_writer_here_is_matched_by_name(tmp_path, django_user_model):
    ann = django_user_model.objects.create_user(
        "annlee", password="a-long-password-1", first_name="Ann", last_name="Lee"
    )
    run(wxr(tmp_path, item(1, "hers", "<p>Text.</p>")))
    assert Post.objects.get().author == ann
