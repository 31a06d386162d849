from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from posts.effects import changes
from posts.references import format_references
from posts.resources import Resource


class Command(BaseCommand):
    help = (
        "Format every post's resources again in the citation style GUTBRAIN_CITATION_STYLE "
        "names: after changing it."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic(), changes():  # pages show the resources: they are retired
            resources = Resource.objects.order_by("post_id", "number")
            for post_id in resources.values_list("post_id", flat=True).distinct():
                of_post = list(resources.filter(post_id=post_id))
                format_references(of_post)
                Resource.objects.bulk_update(of_post, ["formatted"])
                count += len(of_post)
        style = settings.GUTBRAIN_CITATION_STYLE
        self.stdout.write(f"Formatted {count} resources in the style {style}.")
