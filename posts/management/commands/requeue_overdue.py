from django.core.management.base import BaseCommand

from posts import mailing
from posts.renditions import ask_again_for_overdue


class Command(BaseCommand):
    help = (
        "Enqueue again the background work not done in time (its worker died, or the queue "
        "lost it). scripts/worker runs it every minute; safe to run from several machines."
    )

    def handle(self, *args, **options):
        images = ask_again_for_overdue()
        if images:
            self.stdout.write(f"Asked again for the renditions of {len(images)} image(s).")
        deliveries = mailing.ask_again_for_overdue()
        if deliveries:
            self.stdout.write(f"Asked again for {deliveries} e-mail deliveries.")
