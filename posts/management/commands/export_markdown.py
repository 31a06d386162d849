from pathlib import Path

from django.core.management.base import BaseCommand

from posts import markdown_files
from posts.images import Image
from posts.models import Post, Series


class Command(BaseCommand):
    help = (
        "Write every series to DIR/series/<slug>.md, every post to DIR/posts/<slug>.md (Markdown "
        "with front matter) and every image to DIR/images/, listed in DIR/images.yaml, for "
        "import_markdown to read back."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        (directory / "series").mkdir(parents=True, exist_ok=True)
        (directory / "posts").mkdir(parents=True, exist_ok=True)
        series_list = Series.objects.order_by("slug")
        for series in series_list:
            markdown_files.write(
                directory / "series" / f"{series.slug}.md",
                markdown_files.series_meta(series),
                series.description,
            )
        posts = (
            Post.objects.order_by("slug")
            .select_related("author")
            .prefetch_related("tags", "series_parts__series", "previous_slugs", "resources")
        )
        for post in posts:
            markdown_files.write(
                directory / "posts" / f"{post.slug}.md", markdown_files.post_meta(post), post.body
            )
        images = list(Image.objects.order_by("pk"))
        if images:
            (directory / "images").mkdir(exist_ok=True)
        for image in images:
            entry = markdown_files.image_entry(image)
            with image.file.open("rb") as source:
                (directory / entry["file"]).write_bytes(source.read())
        markdown_files.dump_yaml(
            directory / markdown_files.IMAGES_FILE,
            [markdown_files.image_entry(image) for image in images],
        )
        self.stdout.write(
            f"Exported {len(series_list)} series, {len(posts)} posts and {len(images)} images."
        )
