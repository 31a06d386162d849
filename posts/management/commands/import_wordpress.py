"""Bring a WordPress blog in from its export (Tools → Export, WXR 1.1 or 1.2): posts, their
authors, tags and categories, images from the uploads folder, and every old address, which
then redirects to the post. Running it again updates the same posts."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from posts import wordpress
from posts.moving_in import bring_in


class Command(BaseCommand):
    help = "Import posts from a WordPress export file (WXR)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the .xml file WordPress exported")
        parser.add_argument(
            "--media", type=Path, help="the site's wp-content/uploads folder, for its images"
        )
        parser.add_argument(
            "--categories-as",
            choices=["tags", "series"],
            default="tags",
            help="what WordPress's categories become here (default: tags)",
        )
        parser.add_argument("--dry-run", action="store_true", help="write nothing; report")
        parser.add_argument(
            "--overwrite", action="store_true", help="replace posts edited here since"
        )

    def handle(self, *args, file, media, categories_as, dry_run, overwrite, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        if media is not None and not media.is_dir():
            raise CommandError(f"{media}: no such folder")
        try:
            export = wordpress.read(file, categories_as=categories_as)
            report = bring_in(export, media=media, overwrite=overwrite, dry_run=dry_run)
        except wordpress.UnreadableExport as error:
            raise CommandError(f"{file}: {error}. Nothing was imported.") from error
        for line in report.lines():
            self.stdout.write(line)
