"""What image renditions cost to make, and what they save readers.

Usage: .venv/bin/python bench/pictures.py
Draws photo-like JPEGs with Pillow (nothing downloaded). Times make_renditions of a 24 MP photo
and the upload of a 24 MP phone photo with EXIF orientation and GPS (checked, turned upright,
stripped and saved). Then serves the seed post with a 4000x3000 feature image and a captioned
figure, renditions pending ("before": the originals are shown) and made ("after"), loads it in
Chromium at 390x844 DPR 3 and 1280x800 DPR 1, scrolling to the end, and prints the image bytes
loaded and the rendition each image chose.
"""

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image as Pillow
from PIL import ImageChops, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
# Django runs in this process: bench/markdown.py must not stand for the markdown package.
sys.path[0] = str(ROOT)

from bench.served import served_demo  # noqa: E402

SLUG = "the-link-between-mental-health-and-gut-health"
STATES = ("before", "after")
VIEWPORTS = [("390x844 DPR 3", 390, 844, 3), ("1280x800 DPR 1", 1280, 800, 1)]
RUNS = 3
BICUBIC = Pillow.Resampling.BICUBIC
TWELVE_MP, TWENTY_FOUR_MP = (4000, 3000), (6000, 4000)
PHOTOS = {
    "feature": TWELVE_MP,
    "inline": TWELVE_MP,
    "24mp": TWENTY_FOUR_MP,
    "phone": TWENTY_FOUR_MP,
}
# The post gets its feature image and a figure halfway through its text, below the fold.
SETUP = """
from django.core.files import File
from posts.images import Image
from posts.models import Post
from posts.renditions import make_renditions
images = []
for path, alt in (({feature!r}, "A feature photo"), ({inline!r}, "An inline photo")):
    with open(path, "rb") as file:
        images.append(Image(file=File(file, name="photo.jpg"), alt_text=alt))
        images[-1].save()
post = Post.objects.get(slug={slug!r})
post.feature_image = images[0]
parts = post.body.split("\\n\\n")
parts.insert(len(parts) // 2, f'![An inline photo](image:{{images[1].pk}} "A *captioned* figure")')
post.body = "\\n\\n".join(parts)
post.save()
if {made}:  # after the post, as the worker does: the save that marks them ready retires pages
    for image in images:
        make_renditions.call(image.pk)
"""
# A reader's scroll: a screen at a time, so that lazy images load as they come near.
SCROLL = """() => { scrollBy(0, innerHeight);
  return scrollY + innerHeight < document.documentElement.scrollHeight; }"""
SHOWN = """() => [...document.images].map((img) => [
  img.alt, img.currentSrc, Math.round(img.getBoundingClientRect().width * devicePixelRatio)])"""


def photo(width, height, seed):
    """Gradients, soft discs and sharp strokes under grain at three scales. Fine noise alone
    would vanish in a scaled-down copy; coarser grain keeps renditions as busy (and about as
    big) as those of a photo."""
    rng = random.Random(seed)
    small, size = (width // 8, height // 8), (width, height)
    bands = [Pillow.linear_gradient("L").rotate(rng.randrange(360)).resize(small) for _ in "RGB"]
    picture = Pillow.merge("RGB", bands)
    draw = ImageDraw.Draw(picture)
    for _ in range(15):
        x, y, r = rng.randrange(small[0]), rng.randrange(small[1]), rng.randrange(8, small[1] // 4)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.choices(range(30, 230), k=3)))
    picture = picture.filter(ImageFilter.GaussianBlur(2)).resize(size, BICUBIC)
    draw = ImageDraw.Draw(picture)
    for _ in range(80):
        x, y = rng.randrange(width), rng.randrange(height)
        end = (x + rng.randrange(-600, 600), y + rng.randrange(-600, 600))
        colour = tuple(rng.choices(range(30, 230), k=3))
        draw.line((x, y, *end), fill=colour, width=rng.randrange(3, 20))
    for scale, sigma in ((16, 24), (4, 8), (1, 4)):
        grain = Pillow.effect_noise((width // scale, height // scale), sigma)
        grain = grain.resize(size, BICUBIC).convert("RGB")
        picture = ImageChops.add(picture, grain, offset=-128)
    return picture


def phone_exif():
    exif = Pillow.Exif()
    exif[0x0112] = 6  # held upright: the pixels are stored turned a quarter
    exif[0x010F], exif[0x0110] = "Phone maker", "Phone 12"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 13.5), 3: "E", 4: (4.0, 53.0, 41.2)})
    return exif


def time_saving(photos, workdir):
    """In a throwaway SQLite database: make_renditions of the 24 MP photo, then Image.save of
    the phone photo, each a fresh upload (RUNS times)."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="gutbrain.settings",
        DJANGO_SECRET_KEY="benchmark-only",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
        GUTBRAIN_CACHE_DIR=str(workdir / "cache"),
    )
    for name in ("DJANGO_DEBUG", "REDIS_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from posts.images import Image
    from posts.renditions import make_renditions

    call_command("migrate", verbosity=0)

    def upload(path):  # as the admin checks and saves one; returns it and the seconds it took
        with open(path, "rb") as file:
            image = Image(file=File(file, name=path.name), alt_text="A photo")
            started = time.perf_counter()
            image.full_clean()
            image.save()
        return image, time.perf_counter() - started

    made, saved = [], []
    for _ in range(RUNS):
        image, _ = upload(photos["24mp"])  # a new image each time: none of its renditions exist
        started = time.perf_counter()
        make_renditions.call(image.pk)
        made.append(time.perf_counter() - started)
        image.refresh_from_db()
        if image.renditions != image.Renditions.READY:
            sys.exit(f"the 24 MP photo got no renditions: {image.renditions}")
        phone, seconds = upload(photos["phone"])
        saved.append(seconds)
    names = [p.name for kinds in image.file.aspect_ratios[None].values() for p in kinds.values()]
    kb = sum(Path(image.file.storage.path(name)).stat().st_size for name in names) / 1024
    print(f"make_renditions, 24 MP photo: {median(made)}; {len(names)} renditions, {kb:,.0f} KB")
    with Pillow.open(phone.file.path) as stored:
        exif = stored.getexif()
        kept = "GPS kept!" if exif.get_ifd(0x8825) else "no GPS"
        shape = f"{stored.width}x{stored.height}, orientation {exif.get(0x0112, 'none')}, {kept}"
    print(f"Upload (checked and saved), 24 MP phone photo: {median(saved)}; stored {shape}")


def median(seconds):
    listed = ", ".join(f"{s:.2f}" for s in seconds)
    return f"{statistics.median(seconds):.2f} s (median of {listed})"


def measure(browser, url, width, height, scale):
    """Bytes of the images the page loads, and (alt, URL chosen, device px shown) of each."""
    screen = {"width": width, "height": height}
    context = browser.new_context(viewport=screen, device_scale_factor=scale)  # an empty cache
    page = context.new_page()
    images = []
    page.on("response", lambda r: images.append(r) if r.request.resource_type == "image" else 0)
    page.goto(url)
    while page.evaluate(SCROLL):
        page.wait_for_timeout(100)
    page.wait_for_function("[...document.images].every((img) => img.complete)")
    page.wait_for_load_state("networkidle")
    total = sum(len(response.body()) for response in images)
    shown = page.evaluate(SHOWN)
    context.close()
    return total, shown


def main():
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="gutbrain-pictures-"))
    try:
        photos = {}
        for seed, (name, size) in enumerate(PHOTOS.items()):
            photos[name] = workdir / f"{name}.jpg"
            exif = phone_exif() if name == "phone" else Pillow.Exif()
            photo(*size, seed).save(photos[name], "JPEG", quality=90, exif=exif)
            print(f"{name:8} {size[0]}x{size[1]}  {photos[name].stat().st_size / 1e6:.2f} MB")
        print()
        time_saving(photos, workdir)

        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            for state in STATES:
                paths = {name: str(path) for name, path in photos.items()}
                setup = SETUP.format(**paths, slug=SLUG, made=state == "after")
                with served_demo(f"gutbrain-pictures-{state}-", setup) as base:
                    url = f"{base}/posts/{SLUG}/"
                    for label, *viewport in VIEWPORTS:
                        results[state, label] = measure(browser, url, *viewport)
            browser.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n{'viewport':16}{'before bytes':>14}{'after bytes':>14}{'ratio':>8}")
    for label, *_ in VIEWPORTS:
        (before, _), (after, shown) = (results[state, label] for state in STATES)
        print(f"{label:16}{before:>14,}{after:>14,}{after / before:>8.3f}")
        for alt, src, pixels in shown:
            print(f"    {alt:18} {src.split('/media/', 1)[-1]}  shown at {pixels} device px")


if __name__ == "__main__":
    main()
