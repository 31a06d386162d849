"""import_markdown names each bad file and skips it, imports the rest, and reads nothing outside
the folder it is given."""

import io
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from PIL import Image as PillowImage

from posts import markdown_files
from posts.images import Image
from posts.models import Post, SeriesPart

pytestmark = pytest.mark.django_db

GOOD_POST = """---
title: Good
author: demo
status: published
published_at: 2025-01-05T10:00:00+00:00
---

The good post.
"""

# A few hundred bytes that safe_load turns into 9**9 strings once anything walks the summary.
BILLION_LAUGHS = """author: demo
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
summary: *i
"""


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def png(path, colour):
    buffer = io.BytesIO()
    PillowImage.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return write(path, buffer.getvalue())


@pytest.fixture
def site(tmp_path):
    """A folder to import, two levels down, with one good post and one series."""
    directory = tmp_path / "exports" / "site"
    write(directory / "posts" / "good.md", GOOD_POST)
    write(directory / "series" / "gut.md", "---\ntitle: Gut\nslug: gut\n---\n\nA series.\n")
    return directory


@pytest.fixture
def outside(tmp_path):
    """Files beside the folder to import, which it must never read."""
    folder = tmp_path / "outside"
    png(folder / "secret.png", (200, 0, 0))
    write(folder / "secret.md", GOOD_POST.replace("Good", "Secret"))
    return folder


def import_one_bad_file(directory):
    """Import, which must skip exactly one file; what the command said about it."""
    err = StringIO()
    with pytest.raises(CommandError, match=r"^1 file\(s\) not imported"):
        call_command("import_markdown", directory, stdout=StringIO(), stderr=err)
    return err.getvalue()


def media_files(settings):
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    "front, body, message",
    [
        (
            "author: demo\npublished_at: 2026-13-45T99:00:00+00:00\n",
            "Text.",
            "published_at: '2026-13-45T99:00:00+00:00' is not a date and time",
        ),
        (
            "author: demo\npublished_at: '2026-13-45T99:00:00+00:00'\n",
            "Text.",
            "published_at: '2026-13-45T99:00:00+00:00' is not a date and time",
        ),
        (
            "author: demo\n",
            "![A chart](image:99999999999999999999)",
            "body: no image can have the id in image:99999999999999999999",
        ),
        (
            "author: demo\nseries:\n- slug: gut\n  position: 99999\n",
            "Text.",
            "series: position: Ensure this value is less than or equal to 9999.",
        ),
        ("author: demo\nfeature_image: 12\n", "Text.", "feature_image: no image has the id 12"),
        ("author: demo\nfeature_image: twelve\n", "Text.", "feature_image: must be a whole"),
        (
            "author: demo\nreviewer: Dr X\n",
            "Text.",
            "reviewer: a review needs both reviewer and reviewed_on",
        ),
        ("author: [demo]\n", "Text.", "author: must be text, not a list"),
        ("author: {username: demo}\n", "Text.", "author: must be text, not a mapping"),
        ("author: demo and friends\n", "Text.", "author: Enter a valid username."),
        ("author: demo\nsummary: [a, b]\n", "Text.", "summary: must be text, not a list"),
        (
            f"author: demo\ntags: [{'x' * 101}]\n",
            "Text.",
            "tags: A tag can be at most 100 characters long",
        ),
        (
            "author: demo\nprevious_slugs: [not a slug]\n",
            "Text.",
            "previous_slugs: Enter a valid “slug”",
        ),
        (
            "author: demo\nresources:\n- number: 1\n  title: [A, study]\n",
            "Text [#1].",
            "resources: title: must be text, not a list",
        ),
        (
            "author: &who demo\nsummary: *who\n",
            "Text.",
            "YAML anchors and aliases (& and *) are refused (line 3)",
        ),
        (BILLION_LAUGHS, "Text.", "YAML anchors and aliases (& and *) are refused (line 4)"),
        ("author: demo\ntags: " + "[" * 2000 + "\n", "Text.", "front matter is not valid YAML"),
        ("author: demo\nsummary: " + "9" * 5000 + "\n", "Text.", "front matter is not valid YAML"),
    ],
    ids=[
        "impossible-date",
        "impossible-date-quoted",
        "image-id-too-big",
        "series-position-too-big",
        "feature-image-unknown",
        "feature-image-not-a-number",
        "reviewer-without-date",
        "author-list",
        "author-mapping",
        "author-not-a-username",
        "summary-list",
        "tag-too-long",
        "previous-slug-not-a-slug",
        "resource-title-list",
        "yaml-alias",
        "billion-laughs",
        "yaml-nested-too-deeply",
        "yaml-number-too-long",
    ],
)
def test_a_post_with_a_bad_field_is_named_and_skipped_and_the_rest_imported(
    site, front, body, message
):
    """A field of the wrong type or out of range, or YAML with anchors and aliases, is reported
    with the file's name and the field; the file is skipped and the good post is imported."""
    bad = write(site / "posts" / "bad.md", f"---\ntitle: Bad\n{front}---\n\n{body}\n")
    err = import_one_bad_file(site)
    assert f"{bad}: {message}" in err
    assert [(p.slug, p.status) for p in Post.objects.all()] == [("good", "published")]
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["demo"]
    assert not SeriesPart.objects.exists()


def test_a_folder_named_like_a_post_is_named_and_skipped(site):
    """Only files are read: a folder called `x.md` is reported, not a crash."""
    (site / "posts" / "folder.md").mkdir()
    err = import_one_bad_file(site)
    assert f"{site / 'posts' / 'folder.md'}: not a file" in err
    assert list(Post.objects.values_list("slug", flat=True)) == ["good"]


def test_a_post_linked_from_outside_the_folder_is_refused_by_name(site, outside):
    """A post file that is a symbolic link to a file outside the folder is not read."""
    linked = site / "posts" / "linked.md"
    linked.symlink_to(outside / "secret.md")
    err = import_one_bad_file(site)
    assert f"{linked}: refused: it leads outside {site}" in err
    assert list(Post.objects.values_list("slug", flat=True)) == ["good"]


@pytest.mark.parametrize("listed", ["../../outside/secret.png", "absolute", "link"])
def test_images_yaml_cannot_copy_a_file_from_outside_the_folder(site, outside, settings, listed):
    """An image listed by a path that leads out of the folder (`..`, an absolute path, a symbolic
    link) is named and skipped: no row, nothing in media; the other image and the posts import."""
    good = png(site / "images" / "1-good.png", (0, 90, 0))
    if listed == "absolute":
        listed = str(outside / "secret.png")
    elif listed == "link":
        (site / "images" / "2-link.png").symlink_to(outside / "secret.png")
        listed = "images/2-link.png"
    write(
        site / "images.yaml",
        "- {id: 1, file: images/1-good.png, description: Good}\n"
        f"- {{id: 2, file: '{listed}', description: Secret}}\n",
    )
    err = import_one_bad_file(site)
    assert f"{site / 'images.yaml'} (image 2): file: refused: it leads outside {site}" in err
    assert list(Image.objects.values_list("pk", "alt_text")) == [(1, "Good")]
    assert [path.read_bytes() for path in media_files(settings)] == [good.read_bytes()]
    assert Post.objects.filter(slug="good").exists()


@pytest.mark.parametrize(
    "listing, message",
    [
        (
            "- {id: 99999999999999999999, file: images/1-good.png, description: Big}\n",
            " (image 99999999999999999999): id: Ensure this value is less than or equal to",
        ),
        (
            "- &img {id: 1, file: images/1-good.png, description: Good}\n- *img\n",
            ": YAML anchors and aliases (& and *) are refused (line 1)",
        ),
        (
            "- {id: 1, file: images/1-good.png, description: café}\n".encode("latin-1"),
            ": not UTF-8",
        ),
    ],
    ids=["id-too-big", "yaml-alias", "not-utf-8"],
)
def test_a_bad_images_yaml_is_named_and_the_posts_still_import(site, settings, listing, message):
    """An images.yaml that cannot be read, or an entry with an id no image can have, is named;
    no image is written and the posts are imported."""
    png(site / "images" / "1-good.png", (0, 90, 0))
    write(site / "images.yaml", listing)
    err = import_one_bad_file(site)
    assert f"{site / 'images.yaml'}{message}" in err
    assert not Image.objects.exists()
    assert media_files(settings) == []
    assert Post.objects.filter(slug="good", status="published").exists()


def test_files_that_start_with_a_byte_order_mark_are_imported(site):
    """Editors on Windows start UTF-8 files with a BOM: the post and images.yaml still read."""
    write(site / "posts" / "bom.md", "\ufeff" + GOOD_POST.replace("Good", "Bom"))
    png(site / "images" / "1-good.png", (0, 90, 0))
    write(site / "images.yaml", "\ufeff- {id: 1, file: images/1-good.png, description: Good}\n")
    out = StringIO()
    call_command("import_markdown", site, stdout=out)
    assert "Imported 3 new, 0 updated, 0 unchanged." in out.getvalue()
    assert sorted(Post.objects.values_list("slug", flat=True)) == ["bom", "good"]
    assert list(Image.objects.values_list("pk", "alt_text")) == [(1, "Good")]


def test_a_value_met_twice_is_exported_in_full_so_that_it_imports(tmp_path):
    """The exporter writes no YAML alias, which the importer would refuse."""
    when = timezone.now()
    path = tmp_path / "post.md"
    markdown_files.write(path, {"published_at": when, "updated_at": when}, "Text.")
    assert "&" not in path.read_text()
    meta, _ = markdown_files.read(path, tmp_path)
    assert meta == {"published_at": when, "updated_at": when}
