from django.core.management.base import BaseCommand

from posts.models import Post
from posts.page_cache import retire_pages
from posts.search import rebuild_index


class Command(BaseCommand):
    help = "Index every post for search again, after loading posts without save()."

    def handle(self, *args, **options):
        rebuild_index()
        retire_pages()  # search results kept before now are out of date
        self.stdout.write(f"Indexed {Post.objects.count()} posts.")
