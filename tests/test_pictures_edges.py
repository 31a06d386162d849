"""Pictures where things go wrong: workers that overlap, a file replaced or gone, a sweep run
on two machines, a credit link set behind the form's back, an upgrade from older names."""

import html
import io
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pictures.models import PillowPicture
from PIL import Image as PillowImage

from posts import cards
from posts.images import Image
from posts.renditions import ask_again_for_overdue, make_renditions
from posts.surroundings import series_places
from tests.test_migrations import back_to_latest, migrate  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def jpeg(size=(1000, 700)):
    buffer = io.BytesIO()
    PillowImage.effect_noise(size, 60).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


def library(name="photo.jpg", **fields):
    return Image.objects.create(
        file=SimpleUploadedFile(name, jpeg()), alt_text="A photo", **fields
    )


def queued():
    return DBTaskResult.objects.count()


def test_a_second_job_for_an_image_being_made_does_nothing():
    image = library()
    Image.objects.filter(pk=image.pk).update(renditions_started_at=timezone.now())
    make_renditions.call(image.pk)
    image.refresh_from_db()
    assert (image.renditions, image.rendition_attempts) == (Image.Renditions.PENDING, 0)
    assert not Path(image.file.path).with_suffix("").exists()


def test_renditions_of_a_file_replaced_while_they_were_made_are_not_marked_ready(monkeypatch):
    image = library()
    save = PillowPicture.save

    def replaced_meanwhile(picture, upright):
        # What saving the image with a new file does to it.
        Image.objects.filter(pk=image.pk).update(renditions_started_at=None)
        save(picture, upright)

    monkeypatch.setattr(PillowPicture, "save", replaced_meanwhile)
    make_renditions.call(image.pk)
    image.refresh_from_db()
    assert image.renditions == Image.Renditions.PENDING  # the new file's job marks it


def test_only_a_new_file_asks_for_renditions():
    before = queued()
    image = library()
    assert queued() == before + 1
    image.alt_text = "A photo, described better"
    image.save()
    image.delete()
    assert queued() == before + 1


def test_sweeps_on_two_machines_ask_again_once(settings):
    settings.GUTBRAIN_TASK_OVERDUE_SECONDS = 60
    image = library()
    Image.objects.filter(pk=image.pk).update(renditions_asked_at=timezone.now() - timedelta(2))
    before = queued()
    assert ask_again_for_overdue() == [image.pk]
    assert ask_again_for_overdue() == []
    assert queued() == before + 1


def test_work_under_way_is_not_asked_for_again(settings):
    settings.GUTBRAIN_TASK_OVERDUE_SECONDS = 60
    image = library()
    long_ago = timezone.now() - timedelta(2)
    Image.objects.filter(pk=image.pk).update(
        renditions_asked_at=long_ago, renditions_started_at=timezone.now()
    )
    assert ask_again_for_overdue() == []


def test_a_feature_image_whose_file_is_gone_leaves_feeds_and_cards_working(client, make_post):
    image = library()
    post = make_post(title="A lost photo", feature_image=image)
    Path(image.file.path).unlink()

    feed = feedparser.parse(client.get("/feed/rss/").content)
    assert feed.bozo == 0
    (entry,) = feed.entries
    assert entry.title == "A lost photo" and entry.enclosures == []

    card = client.get(cards.for_post(post, series_places(post)).address)
    assert card.status_code == 200 and card["Content-Type"] == "image/jpeg"
    assert "immutable" not in card["Cache-Control"]  # the title stands in, for now
    with PillowImage.open(io.BytesIO(card.content)) as drawn:
        assert drawn.size == (1200, 630)


def test_feeds_carry_renditions_at_absolute_addresses(client, make_post):
    image = library()
    make_renditions.call(image.pk)
    make_post(body=f"![A photo](image:{image.pk})")
    # As the feed carries it: feed readers differ in what of it they keep.
    content = html.unescape(client.get("/feed/atom/").content.decode())
    assert "srcset=" in content
    assert 'srcset="/' not in content and ", /media/" not in content
    assert f"http://testserver{image.file.url.removesuffix('.jpg')}/400w.webp 400w" in content


def test_a_credit_link_set_behind_the_forms_back_is_not_shown(client, make_post):
    image = library(credit="Photo: Ana")
    Image.objects.filter(pk=image.pk).update(credit_url="javascript:alert(1)")
    post = make_post(feature_image=image, body=f'![A photo](image:{image.pk} "A caption")')
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Photo: Ana" in page and "javascript:" not in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_older_images_sharing_a_renditions_folder_leave_it_to_the_first():
    """photo.jpg and photo.png of one month would have their renditions in the same folder:
    the first keeps it, the other shows its original."""
    apps = migrate([("posts", "0016_autosaves")])
    OldImage = apps.get_model("posts", "Image")
    names = ["images/2026/09/photo.jpg", "images/2026/09/photo.png", "images/2026/09/chart.png"]
    for name in names:
        OldImage.objects.create(file=name, alt_text=name, width=10, height=10)
    migrate([("posts", "0017_pictures")])
    states = dict(Image.objects.values_list("file", "renditions"))
    assert states == {names[0]: "pending", names[1]: "none", names[2]: "pending"}
