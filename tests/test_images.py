"""Images: upload checks in the admin, and how posts show them."""

import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PillowImage
from pytest_django.asserts import assertContains

from posts.images import Image, validate_image_file

pytestmark = pytest.mark.django_db


def image_file(name="chart.png", kind="PNG", size=(640, 480)):
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, (30, 120, 100)).save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{kind.lower()}")


def upload(admin_client, **data):
    return admin_client.post(reverse("admin:posts_image_add"), data)


def test_uploading_an_image_stores_its_size_and_gives_a_snippet(admin_client, admin_user, client):
    """An uploaded image keeps its width, height and uploader, and offers its Markdown."""
    response = upload(admin_client, file=image_file(), alt_text="Cytokines crossing the BBB")
    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height, image.uploaded_by) == (640, 480, admin_user)
    assert image.markdown == f"![Cytokines crossing the BBB](image:{image.pk})"
    change = admin_client.get(reverse("admin:posts_image_change", args=[image.pk]))
    assertContains(change, image.markdown)
    served = client.get(image.file.url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"file": SimpleUploadedFile("notes.png", b"not an image"), "alt_text": "x"},
            "file",
            "Upload a valid image.",
        ),
        (
            {"file": image_file("chart.bmp", "BMP"), "alt_text": "x"},
            "file",
            "Upload a JPEG, PNG, WebP or GIF image; this one is BMP.",
        ),
        ({"file": image_file(), "alt_text": ""}, "alt_text", "This field is required."),
        ({"alt_text": "No file"}, "file", "This field is required."),
    ],
)
def test_bad_uploads_are_form_errors_and_save_nothing(admin_client, data, field, message):
    """A non-image, another format, a missing description or file: a message, no image."""
    response = upload(admin_client, **data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors[field]
    assert any(error.startswith(message) for error in errors), errors
    assert not Image.objects.exists()


def test_an_image_over_ten_megabytes_is_refused(admin_client):
    """The size limit is named in the error."""
    padded = image_file().read() + b"\0" * (10 * 1024 * 1024)
    big = SimpleUploadedFile("big.png", padded, content_type="image/png")
    response = upload(admin_client, file=big, alt_text="Too big")
    [error] = response.context["adminform"].form.errors["file"]
    assert error.endswith("an image can be at most 10 MB.")
    assert not Image.objects.exists()


def test_posts_show_images_with_size_and_lazy_loading(make_post, client):
    """![…](image:ID) becomes an img with its address, width, height and lazy loading; the
    first image of a post without a feature image loads first."""
    image = Image.objects.create(file=image_file(), alt_text="A chart")
    post = make_post(
        body=f"{image.markdown}\n\nText ![Again](image:{image.pk})\n\n![Gone](image:999)"
    )
    response = client.get(post.get_absolute_url())
    assertContains(
        response,
        f'<img alt="A chart" src="{image.file.url}" width="640" height="480" loading="eager" '
        'fetchpriority="high" decoding="async">',
        html=True,
    )
    assertContains(
        response,
        f'<img alt="Again" src="{image.file.url}" width="640" height="480" loading="lazy" '
        'decoding="async">',
        html=True,
    )
    assert "image:999" not in post.body_html
    assert "<p><span>Gone</span></p>" in post.body_html


def test_the_author_group_may_upload_images(client, django_user_model):
    """Authors reach the image admin."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("writer", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Author"))
    client.force_login(user)
    assert client.get(reverse("admin:posts_image_add")).status_code == 200


def test_describing_an_image_again_works_without_its_file(admin_client):
    """Editing the description does not re-read the stored file."""
    image = Image.objects.create(file=image_file(), alt_text="Old")
    Path(image.file.path).unlink()
    response = admin_client.post(
        reverse("admin:posts_image_change", args=[image.pk]), {"alt_text": "New"}
    )
    assert response.status_code == 302
    assert Image.objects.values_list("alt_text", flat=True).get(pk=image.pk) == "New"


def test_an_image_without_a_description_in_the_text_uses_its_own(make_post):
    """![](image:ID) takes the image's stored description as alt text."""
    image = Image.objects.create(file=image_file(), alt_text="A chart")
    post = make_post(body=f"![](image:{image.pk})")
    assert 'alt="A chart"' in post.body_html


def test_deleting_an_image_updates_the_posts_that_show_it(make_post):
    """A deleted image leaves its description in the text, not a broken picture."""
    image = Image.objects.create(file=image_file(), alt_text="A chart")
    post = make_post(body=image.markdown)
    image.delete()
    post.refresh_from_db()
    assert "<img" not in post.body_html and "<span>A chart</span>" in post.body_html


def bomb():
    """A small file of 60 megapixels: one bit each, all the same."""
    buffer = io.BytesIO()
    PillowImage.new("1", (10_000, 6_000)).save(buffer, "PNG")
    return SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


@pytest.mark.parametrize(
    ("upload_file", "message"),
    [
        (SimpleUploadedFile("logo.svg", SVG, "image/svg+xml"), "Upload a valid image."),
        (SimpleUploadedFile("logo.png", SVG, "image/png"), "Upload a valid image."),
        (bomb(), "This image has too many pixels"),
    ],
    ids=["svg", "svg-named-png", "decompression-bomb"],
)
def test_svg_and_decompression_bombs_are_refused(admin_client, upload_file, message):
    response = upload(admin_client, file=upload_file, alt_text="x")
    [error] = response.context["adminform"].form.errors["file"]
    assert error.startswith(message), error
    assert not Image.objects.exists()


def test_svg_is_refused_by_name_wherever_images_are_checked():
    with pytest.raises(ValidationError, match="SVG images are refused"):
        validate_image_file(SimpleUploadedFile("logo.png", SVG, "image/png"))


@pytest.mark.parametrize(
    ("name", "kind", "stem", "content_type"),
    [
        ("../../../etc/passwd.png", "PNG", "passwd", "image/png"),
        ("<script>alert(1)</script>.png", "PNG", "script", "image/png"),
        ("Ünï côdé photo.JPG", "JPEG", "uni-code-photo", "image/jpeg"),
        ("a PNG named as a GIF.gif", "PNG", "a-png-named-as-a-gif", "image/png"),
        ("a GIF named as a JPEG.jpg", "GIF", "a-gif-named-as-a-jpeg", "image/gif"),
        ("---.png", "PNG", "image", "image/png"),
    ],
)
def test_stored_names_are_safe_and_the_real_type_decides(
    admin_client, client, name, kind, stem, content_type
):
    response = upload(admin_client, file=image_file(name, kind), alt_text="A chart")
    assert response.status_code == 302
    image = Image.objects.get()
    extension = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}[kind]
    # Named by its content, so that it and its renditions can be cached for good.
    assert re.fullmatch(rf"images/[0-9a-f]{{20}}/{stem}(_\w+)?\.{extension}", image.file.name)
    served = client.get(image.file.url)
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    assert served["X-Content-Type-Options"] == "nosniff"
    served.close()
