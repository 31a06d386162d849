from django.core.management.base import BaseCommand

from posts.page_cache import retire_pages


class Command(BaseCommand):
    help = (
        "Retire every cached page, so that the next request for each builds it afresh: after "
        "a release that changes templates, static files or headers."
    )

    def handle(self, *args, **options):
        retire_pages()
        self.stdout.write("Cached pages retired: each is built afresh on its next request.")
