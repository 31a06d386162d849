from pathlib import Path

from django.core.management.base import BaseCommand

from posts import markdown_files
from posts.models import Post, Series


class Command(BaseCommand):
    help = (
        "Write every series to DIR/series/<slug>.md and every post to DIR/posts/<slug>.md, "
        "as Markdown with front matter that import_markdown reads back."
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
        self.stdout.write(f"Exported {len(series_list)} series and {len(posts)} posts.")
