"""Images without leaving the post: pasted, dropped or chosen from the gallery in the editor,
uploaded with the Images page's checks, their reference put at the caret."""

import base64
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PillowImage
from playwright.sync_api import expect

from posts.images import Image
from tests.test_browser import PART_2, PageProblems, log_in_as_demo_author
from tests.test_images import image_file
from tests.test_roles import logged_in

UPLOAD = reverse("admin:posts_image_upload")
CHOICES = reverse("admin:posts_image_choices")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.mark.django_db
def test_an_upload_from_the_editor_answers_with_the_reference_to_insert(admin_client, admin_user):
    response = admin_client.post(UPLOAD, {"file": image_file(), "alt_text": "A chart of sleep"})
    assert response.status_code == 201
    image = Image.objects.get()
    assert (image.width, image.height, image.uploaded_by) == (640, 480, admin_user)
    answer = json.loads(response.content)
    assert answer["markdown"] == f"![A chart of sleep](image:{image.pk})"
    assert (answer["width"], answer["height"]) == (640, 480)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"file": SimpleUploadedFile("notes.png", b"not an image"), "alt_text": "x"},
            "valid image",
        ),
        ({"file": image_file("chart.bmp", "BMP"), "alt_text": "x"}, "this one is BMP"),
        ({"file": image_file(), "alt_text": ""}, "This field is required."),
        ({"alt_text": "No file"}, "This field is required."),
    ],
    ids=["not-an-image", "bmp", "no-description", "no-file"],
)
def test_a_refused_upload_says_why_and_keeps_nothing(admin_client, data, message):
    response = admin_client.post(UPLOAD, data)
    assert response.status_code == 400
    assert any(message in error for error in json.loads(response.content)["errors"])
    assert not Image.objects.exists()


@pytest.mark.django_db
def test_only_staff_who_may_add_images_upload(client, django_user_model):
    data = {"file": image_file(), "alt_text": "x"}
    assert client.post(UPLOAD, data).status_code == 302  # to the login page
    staff = django_user_model.objects.create_user("helper", password="pw", is_staff=True)
    assert logged_in(staff).post(UPLOAD, data).status_code == 403
    assert logged_in(staff).get(CHOICES).status_code == 403
    assert not Image.objects.exists()


@pytest.mark.django_db
def test_the_gallery_finds_images_by_description_newest_first(admin_client):
    for description in ("Sleep chart", "Gut map", "Sleep stages"):
        Image.objects.create(file=image_file(), alt_text=description)
    answer = json.loads(admin_client.get(CHOICES, {"q": "sleep"}).content)
    assert [image["description"] for image in answer["images"]] == ["Sleep stages", "Sleep chart"]


def png_base64(size=(320, 200)):
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, (200, 90, 40)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


PASTE = """([data, type, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type}));
  const area = document.getElementById("id_body");
  const paste = {clipboardData: transfer, bubbles: true, cancelable: true};
  area.dispatchEvent(new ClipboardEvent("paste", paste));
}"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pasted_image_is_described_uploaded_and_put_at_the_caret(
    browser, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageProblems(page)
    log_in_as_demo_author(page, live_server, "/admin/posts/post/")
    page.locator("#result_list").get_by_role("link", name=PART_2, exact=True).click()
    body = page.locator("#id_body")
    body.focus()
    body.press("Control+Home")
    before = body.input_value()

    page.evaluate(PASTE, ["bm90IGFuIGltYWdl", "image/png", "broken.png"])  # not an image
    dialog = page.get_by_role("dialog", name="Upload an image")
    dialog.get_by_label("Description, for readers who cannot see it").fill("Broken")
    dialog.get_by_role("button", name="Upload and insert").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Not uploaded: Upload a valid image.")
    assert body.input_value() == before  # the text is untouched
    dialog.get_by_role("button", name="Cancel").click()

    page.evaluate(PASTE, [png_base64(), "image/png", "image.png"])
    dialog.get_by_role("button", name="Upload and insert").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Describe the image")
    dialog.get_by_label("Description, for readers who cannot see it").fill("Sleep stages")
    dialog.get_by_role("button", name="Upload and insert").click()
    expect(dialog).to_have_count(0)
    first_line = body.input_value().split("\n")[0]
    assert first_line.startswith("![Sleep stages](image:")
    reference = first_line.split(")")[0] + ")"
    preview = page.frame_locator("iframe.post-preview").locator(".prose img").first
    expect(preview).to_have_js_property("naturalWidth", 320)

    body.press("Control+End")
    page.get_by_role("toolbar", name="Formatting").get_by_role("button", name="Image").click()
    gallery = page.get_by_role("combobox", name="Insert an image")
    gallery.press_sequentially("sleep")
    choice = page.get_by_role("option").filter(has_text="Sleep stages")
    expect(choice).to_contain_text("320")
    choice.click()
    assert body.input_value().endswith(reference)
    assert [p for p in watch.problems if "/upload/" not in p] == []
