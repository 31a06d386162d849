"""Export to Markdown files and import them back, losing nothing."""

import io
import shutil
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image as PillowImage
from taggit.models import Tag

from posts.images import Image
from posts.models import Post, PreviousSlug, Resource, Series, SeriesPart
from posts.versions import record_version

pytestmark = pytest.mark.django_db


def export(directory):
    call_command("export_markdown", directory, stdout=StringIO())
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def empty_the_database():
    Image.objects.all().delete()
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    Post.objects.all().delete()
    Series.objects.all().delete()
    Tag.objects.all().delete()
    get_user_model().objects.all().delete()


def test_export_then_import_into_an_empty_database_loses_nothing(tmp_path, make_post):
    """Export, import into an empty database, export again: the same bytes."""
    call_command("load_demo", stdout=StringIO())
    part_one = Post.objects.get(slug="how-the-gut-talks-to-the-brain")
    part_one.slug = "gut-brain-conversation"  # leaves a former address to carry over
    part_one.save()
    sleep = Series.objects.create(title="Sleep", description="Nights *and* guts.")
    draft = make_post(
        title="Über den Schlaf: “quotes”, colons: and # signs",
        status=Post.Status.DRAFT,
        published_at=None,
        summary="",
        body="Line one\r\nLine two with [#1] and [a link](post:gut-brain-conversation).\n\n\n",
        tags=["Sleep", "Gut Health"],
    )
    SeriesPart.objects.create(series=sleep, post=draft, position=1)
    SeriesPart.objects.create(
        series=Series.objects.get(slug="gut-and-mind"), post=draft, position=4
    )
    Resource.objects.create(post=draft, number=1, title="A study", year=None, pmid="123")
    picture = io.BytesIO()
    PillowImage.new("RGB", (320, 200), (10, 90, 80)).save(picture, "PNG")
    image = Image(
        alt_text="A chart of sleep", credit="Chart: Ana Silva", credit_url="https://example.org/"
    )
    image.file.save("sleep chart.png", ContentFile(picture.getvalue()), save=True)
    draft.body += f"\n{image.markdown}\n"
    draft.feature_image = image
    draft.save()
    scheduled = make_post(title="Later", published_at=timezone.now() + timedelta(days=3))

    first = export(tmp_path / "first")
    assert len(first) == 2 + 5 + 2  # series, posts, images.yaml and the image
    assert (
        b"previous_slugs:\n- how-the-gut-talks-to-the-brain\n"
        in first["posts/gut-brain-conversation.md"]
    )
    guid = str(scheduled.guid).encode()

    empty_the_database()
    call_command("import_markdown", tmp_path / "first", stdout=StringIO())
    second = export(tmp_path / "second")
    assert second == first
    assert guid in second["posts/later.md"]
    restored = Post.objects.get(slug="gut-brain-conversation")
    assert PreviousSlug.objects.get(slug="how-the-gut-talks-to-the-brain").post == restored
    assert get_user_model().objects.get(username="ada").has_usable_password() is False
    restored_image = Image.objects.get()
    assert (restored_image.pk, restored_image.width) == (image.pk, 320)
    assert (restored_image.credit, restored_image.credit_url) == (
        "Chart: Ana Silva",
        "https://example.org/",
    )
    assert Post.objects.get(slug=draft.slug).feature_image == restored_image
    restored_html = Post.objects.get(slug=draft.slug).body_html
    assert 'width="320"' in restored_html and 'height="200"' in restored_html
    new_image = Image(alt_text="Another")
    new_image.file.save("another.png", ContentFile(picture.getvalue()), save=True)
    assert new_image.pk > image.pk  # the id counter moved on past the imported ids


def test_importing_an_export_again_changes_nothing(tmp_path):
    """Re-importing what was just exported reports every file unchanged."""
    call_command("load_demo", stdout=StringIO())
    export(tmp_path)
    out = StringIO()
    call_command("import_markdown", tmp_path, stdout=out)
    assert "Imported 0 new, 0 updated, 4 unchanged." in out.getvalue()


def test_demo_files_round_trip(tmp_path):
    """The demo loaded from its files exports to files that load back the same."""
    call_command("load_demo", stdout=StringIO())
    first = export(tmp_path / "first")
    empty_the_database()
    call_command("import_markdown", tmp_path / "first", stdout=StringIO())
    assert export(tmp_path / "second") == first


def test_a_post_written_in_the_admin_survives_export_and_import_unchanged(tmp_path, make_post):
    """Text from a form (CRLF, no final newline) is stored so that re-importing changes nothing."""
    post = make_post(body="First line\r\nSecond line")
    record_version(post)
    export(tmp_path)
    out = StringIO()
    call_command("import_markdown", tmp_path, stdout=out)
    assert "0 new, 0 updated, 1 unchanged" in out.getvalue()
    post.refresh_from_db()
    assert (post.body, post.version) == ("First line\nSecond line\n", 1)


def snapshot():
    """Every post with its fields and relations, by slug."""
    posts = {}
    for post in Post.objects.select_related("author").prefetch_related(
        "tags", "resources", "series_parts__series", "links", "previous_slugs"
    ):
        fields = {
            field.name: getattr(post, field.attname)
            for field in Post._meta.concrete_fields
            if field.name not in SET_AGAIN_ON_IMPORT
        }
        fields["author"] = post.author.get_username()
        fields["tags"] = sorted(tag.name for tag in post.tags.all())
        fields["resources"] = sorted(
            tuple(getattr(resource, name) for name in Resource.COPIED_FIELDS)
            for resource in post.resources.all()
        )
        fields["series"] = sorted(
            (part.series.slug, part.series.title, part.series.description, part.position)
            for part in post.series_parts.all()
        )
        fields["links"] = sorted(linked.slug for linked in post.links.all())
        fields["previous_slugs"] = sorted(previous.slug for previous in post.previous_slugs.all())
        posts[post.slug] = fields
    return posts


# Bookkeeping of the database, not of the writing: ids and when rows were written.
SET_AGAIN_ON_IMPORT = {"id", "author", "updated_by", "created_at", "updated_at", "version"}


def test_backup_and_restore_keep_every_field_and_relation_of_every_post(tmp_path, make_post):
    call_command("load_demo", stdout=StringIO())
    call_command("generate_posts", 30, stdout=StringIO())
    make_post(title="A draft", status=Post.Status.DRAFT, published_at=None, tags=["Sleep"])
    make_post(title="Scheduled", published_at=timezone.now() + timedelta(days=2))
    renamed = Post.objects.get(slug="synthetic-3")
    renamed.slug = "synthetic-three"
    renamed.save()
    before = snapshot()
    assert len(before) == Post.objects.count() == 3 + 30 + 2  # the demo, synthetic, the two
    assert any(fields["links"] for fields in before.values())
    assert any(fields["series"] for fields in before.values())

    export(tmp_path / "backup")
    empty_the_database()
    assert not Post.objects.exists()
    call_command("import_markdown", tmp_path / "backup", stdout=StringIO())

    after = snapshot()
    assert after.keys() == before.keys()
    for slug, fields in before.items():
        assert after[slug] == fields, slug
