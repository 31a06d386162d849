from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from posts.authors import AuthorProfile
from posts.rendering import as_file_text

DEMO_USERNAME = "demo"
# Published in the README: it must never open the admin of a site that did not ask for it.
DEMO_PASSWORD = "gutbrain-demo"
# The public face of the demo author: bylines link to their page, whose bio is demo/authors/.
DEMO_PROFILE = {"slug": "demo-author", "display_name": "Demo Author"}


class Command(BaseCommand):
    help = (
        "Load the demo series (demo/ in the project) under a demo author; safe to run again. "
        "The author can log in only with --with-login (or with debug on)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-login",
            action="store_true",
            help=f"Let the demo author log in to the admin as {DEMO_USERNAME!r} with the "
            f"published password {DEMO_PASSWORD!r}. For a demo or a benchmark, never production.",
        )

    def handle(self, *args, with_login=False, **options):
        with_login = with_login or settings.DEBUG
        author, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"first_name": "Demo", "last_name": "Author"}
        )
        if with_login:
            self.allow_login(author, created)
        else:
            self.refuse_login(author, created)
        call_command("import_markdown", Path(settings.BASE_DIR) / "demo", stdout=self.stdout)
        self.give_profile(author)
        if not with_login:
            self.stdout.write(
                f"The demo author {DEMO_USERNAME!r} cannot log in "
                "(run with --with-login for a demo login)."
            )
        elif created:
            self.stdout.write(
                f"Admin login: user {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r} at /admin/"
            )
        else:
            self.stdout.write(f"Admin login: user {DEMO_USERNAME!r} (already existed) at /admin/")

    def give_profile(self, author):
        """The demo author's profile as demo/ has it; left untouched when it already is."""
        bio_file = Path(settings.BASE_DIR) / "demo" / "authors" / f"{DEMO_PROFILE['slug']}.md"
        wanted = {**DEMO_PROFILE, "bio": as_file_text(bio_file.read_text(encoding="utf-8"))}
        profile = AuthorProfile.objects.filter(user=author).first() or AuthorProfile(user=author)
        if profile.pk and all(getattr(profile, name) == value for name, value in wanted.items()):
            return
        for name, value in wanted.items():
            setattr(profile, name, value)
        profile.full_clean()
        profile.save()

    def allow_login(self, author, created):
        group = Group.objects.filter(name="Author").first()
        if group is None:
            raise CommandError("The Author group is missing: run `manage.py migrate` first.")
        if created:
            author.set_password(DEMO_PASSWORD)
        # An author, not an administrator.
        author.is_staff, author.is_superuser = True, False
        author.save(update_fields=["password", "is_staff", "is_superuser"])
        author.groups.add(group)

    def refuse_login(self, author, created):
        """No login for the demo author, and none left with the published password."""
        if not created and not author.check_password(DEMO_PASSWORD):
            return  # no login already, or a password of someone's own choosing: theirs to keep
        if not created:
            self.stderr.write(
                f"The demo author {DEMO_USERNAME!r} had the published demo password: "
                "it can no longer log in."
            )
        author.set_unusable_password()
        author.is_staff = author.is_superuser = False
        author.save(update_fields=["password", "is_staff", "is_superuser"])
