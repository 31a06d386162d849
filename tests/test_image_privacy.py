"""Uploaded images keep no metadata: a phone photo's GPS position and camera serial are gone
from the stored file, which is upright, with its colour profile kept."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PillowImage
from PIL import ImageCms

from posts.images import ORIENTATION, Image
from tests.test_images import image_file

pytestmark = pytest.mark.django_db

GPS_INFO = 0x8825
CAMERA_SERIAL = 0xA431  # BodySerialNumber, in the EXIF sub-directory
EXIF_IFD = 0x8769


def phone_photo(orientation=6, size=(400, 300), kind="JPEG"):
    """A photo as a phone stores it: landscape pixels, turned by the orientation tag, with the
    place it was taken, the camera's serial number and an sRGB colour profile."""
    picture = PillowImage.new("RGB", size, (200, 40, 40))
    picture.paste((40, 40, 200), (0, 0, size[0] // 4, size[1]))  # a blue band on the left
    exif = PillowImage.Exif()
    exif[ORIENTATION] = orientation
    exif[GPS_INFO] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 18.0)}
    exif.get_ifd(EXIF_IFD)[CAMERA_SERIAL] = "SN-0042-PHONE"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    picture.save(buffer, kind, exif=exif, icc_profile=profile)
    name = "IMG_0001.jpg" if kind == "JPEG" else "IMG_0001.webp"
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{kind.lower()}")


def stored(image):
    image.file.open("rb")
    try:
        return image.file.read()
    finally:
        image.file.close()


@pytest.mark.parametrize("kind", ["JPEG", "WEBP"])
def test_a_phone_photo_is_stored_upright_without_gps_or_serial_and_keeps_its_colours(
    admin_client, kind
):
    upload = phone_photo(kind=kind)
    assert b"SN-0042-PHONE" in upload.read()
    upload.seek(0)
    response = admin_client.post(
        reverse("admin:posts_image_add"), {"file": upload, "alt_text": "A street at night"}
    )
    assert response.status_code == 302
    image = Image.objects.get()
    content = stored(image)
    assert b"SN-0042-PHONE" not in content
    with PillowImage.open(io.BytesIO(content)) as kept:
        assert not kept.getexif()  # no GPS, no serial, no orientation left to apply
        assert kept.size == (300, 400)  # upright: the portrait the phone was held as
        assert kept.info.get("icc_profile")
        left_edge = kept.convert("RGB").getpixel((150, 5))
        assert left_edge[2] > 150  # the blue band, turned to the top
    assert (image.width, image.height) == (300, 400)


def test_the_editor_upload_strips_metadata_too(admin_client):
    response = admin_client.post(
        reverse("admin:posts_image_upload"),
        {"file": phone_photo(orientation=1), "alt_text": "A street at night"},
    )
    assert response.status_code == 201
    content = stored(Image.objects.get())
    assert b"SN-0042-PHONE" not in content
    with PillowImage.open(io.BytesIO(content)) as kept:
        assert not kept.getexif()
        assert kept.size == (400, 300)


def test_an_image_without_metadata_is_stored_byte_for_byte(admin_client):
    upload = image_file()
    original = upload.read()
    upload.seek(0)
    admin_client.post(reverse("admin:posts_image_add"), {"file": upload, "alt_text": "A chart"})
    assert stored(Image.objects.get()) == original
