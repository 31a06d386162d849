"""Import the posts of a Ghost export (the JSON file from Ghost's Export content).

Pages are skipped. With --media, images whose address is on the old site are taken from that
folder (Ghost's content/images, as copied off the old server) rather than downloaded.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from posts import moving_in
from posts.ghost import GhostExportError, read_ghost


class Command(BaseCommand):
    help = "Import posts from a Ghost export (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the Ghost export, a .json file")
        parser.add_argument("--media", type=Path, help="a copy of the old site's images")
        parser.add_argument(
            "--site-url",
            default="",
            help="the old site's address, e.g. https://blog.example.org; links the export "
            "writes as __GHOST_URL__ resolve against it (relative without it)",
        )
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
        parser.add_argument(
            "--overwrite", action="store_true", help="replace posts imported before"
        )

    def handle(self, *args, file, media, site_url, dry_run, overwrite, **options):
        file = Path(file)
        media = Path(media) if media else None
        if media is not None and not media.is_dir():
            raise CommandError(f"--media {media} is not a folder")
        try:
            export = read_ghost(file, site_url=site_url)
        except GhostExportError as error:
            raise CommandError(str(error)) from error
        report = moving_in.bring_in(export, media=media, overwrite=overwrite, dry_run=dry_run)
        if not export.site_url and any(url.startswith("/") for url in report.images_missing):
            # The export does not name the old site: its images stay paths, found on no site.
            report.warn(
                "",
                "images on the old site are left as paths on this one, where they are not "
                "found: give --site-url (or --media with a copy of them)",
            )
        for line in report.lines():
            self.stdout.write(line)
