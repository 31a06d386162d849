"""Renditions of uploaded images: made in the background, by whichever worker takes the task.

django-pictures names, sizes and encodes them (PICTURES in settings); this module decides when.
What is still to be made is kept on the image (`Image.renditions`), not only in the task
queue, so nothing is lost to a worker that dies: `ask_again_for_overdue()` (run by
scripts/worker every minute) enqueues again what has waited too long. Pages show the original
until an image's renditions are all made, then the renditions: a half-made set is never shown.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone
from pictures.models import PillowPicture
from PIL import Image as PillowImage
from PIL import ImageCms

from posts.images import Image

logger = logging.getLogger(__name__)
# A job tried this often has killed its worker each time: the original is shown instead.
MAX_ATTEMPTS = 3


def ask_for(image):
    """Have the image's renditions made once the image is saved for good."""
    transaction.on_commit(lambda: make_renditions.enqueue(image.pk))


def overdue():
    """Work started or asked for before this was not done in time: its worker died, say."""
    return timezone.now() - timedelta(seconds=settings.GUTBRAIN_TASK_OVERDUE_SECONDS)


@task()
def make_renditions(image_id):
    """Make every rendition of the image, then mark it ready; or mark it as having none."""
    # One worker at a time: another may take over only once this one is overdue.
    claim = timezone.now()
    claimed = (
        Image.objects.filter(pk=image_id, renditions=Image.Renditions.PENDING)
        .filter(Q(renditions_started_at=None) | Q(renditions_started_at__lt=overdue()))
        .update(rendition_attempts=F("rendition_attempts") + 1, renditions_started_at=claim)
    )
    if not claimed:
        return  # made already, being made, or deleted
    image = Image.objects.get(pk=image_id)
    wanted = image.file.get_picture_files_list()
    if not wanted or image.rendition_attempts > MAX_ATTEMPTS:
        return finish(image, claim, Image.Renditions.NONE)
    try:
        with image.file.open("rb"), PillowImage.open(image.file) as original:
            if getattr(original, "is_animated", False):
                return finish(image, claim, Image.Renditions.NONE)  # a still loses the motion
            # A JPEG decoded at the smallest scale still wider than the widest rendition.
            widest = max(wanted, key=lambda rendition: rendition.width).width
            original.draft(None, (widest, widest * original.height // original.width))
            upright = in_srgb(eight_bit(original))
            for rendition in wanted:
                rendition.save(upright)
    except (OSError, ValueError, SyntaxError, PillowImage.DecompressionBombError):
        logger.warning("No renditions of image %s", image_id, exc_info=True)
        return finish(image, claim, Image.Renditions.NONE)
    finish(image, claim, Image.Renditions.READY)


def eight_bit(image):
    """16-bit greys scaled to 8 bits: converted as they are, they would be clipped to white."""
    if image.mode.startswith("I"):
        scaled = image.convert("I").point(lambda value: value / 256).convert("L")
        scaled.info = image.info
        return scaled
    return image


def in_srgb(image):
    """The image upright in sRGB, as django-pictures prepares it; a colour profile that does
    not fit the image (an RGB profile on greys, say) is left out rather than failing."""
    try:
        return PillowPicture.pre_process(image)
    except ImageCms.PyCMSError:
        image.info.pop("icc_profile", None)
        return PillowPicture.pre_process(image)


def finish(image, claim, outcome):
    """Record the outcome, unless the image has changed hands since the claim (a new file,
    or another worker taking over): then the renditions made are not this image's."""
    with transaction.atomic():
        still_mine = Image.objects.select_for_update().filter(
            pk=image.pk, renditions=Image.Renditions.PENDING, renditions_started_at=claim
        )
        if not still_mine.exists():
            return
        image.renditions = outcome
        # A save like any other: posts showing the image are rendered again, pages retired.
        image.save(update_fields=["renditions"])


def ask_again_for_overdue():
    """Enqueue again the renditions not made in time; return the ids of their images. Safe
    to run on several machines at once: each image is asked for again by one of them."""
    late = overdue()
    waiting = Image.objects.filter(
        Q(renditions_started_at=None) | Q(renditions_started_at__lt=late),
        renditions=Image.Renditions.PENDING,
        renditions_asked_at__lt=late,
    )
    asked = []
    for image_id, asked_at in waiting.values_list("pk", "renditions_asked_at"):
        mine = Image.objects.filter(pk=image_id, renditions_asked_at=asked_at)
        if mine.update(renditions_asked_at=timezone.now()):
            make_renditions.enqueue(image_id)
            asked.append(image_id)
    return asked
