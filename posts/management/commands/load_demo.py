from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "gutbrain-demo"


class Command(BaseCommand):
    help = "Load the demo series (demo/ in the project) and a demo author; safe to run again."

    def handle(self, *args, **options):
        author, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={"first_name": "Demo", "last_name": "Author", "is_staff": True},
        )
        if created:
            author.set_password(DEMO_PASSWORD)
            author.save(update_fields=["password"])
        if author.is_superuser:  # an author, not an administrator
            author.is_superuser = False
            author.save(update_fields=["is_superuser"])
        group = Group.objects.filter(name="Author").first()
        if group is None:
            raise CommandError("The Author group is missing: run `manage.py migrate` first.")
        author.groups.add(group)
        call_command("import_markdown", Path(settings.BASE_DIR) / "demo", stdout=self.stdout)
        if created:
            self.stdout.write(
                f"Admin login: user {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r} at /admin/"
            )
        else:
            self.stdout.write(f"Admin login: user {DEMO_USERNAME!r} (already existed) at /admin/")
