import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# Authors write their own profile (the admin keeps them to it), and keep it; editors add,
# change and delete anyone's.
AUTHOR_PERMISSIONS = ["add_authorprofile", "change_authorprofile", "view_authorprofile"]
EDITOR_PERMISSIONS = [*AUTHOR_PERMISSIONS, "delete_authorprofile", "edit_others_profiles"]


def give_roles_their_profile_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; these need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Author", AUTHOR_PERMISSIONS), ("Editor", EDITOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="posts", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0017_pictures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuthorProfile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "slug",
                    models.SlugField(
                        help_text="The last part of the author page's address, e.g. "
                        "“ana-silva”. Choose one other than the login name: public pages "
                        "never show it.",
                        max_length=100,
                        unique=True,
                        verbose_name="address",
                    ),
                ),
                (
                    "display_name",
                    models.CharField(
                        help_text="How bylines, feeds and the author page name the author.",
                        max_length=100,
                    ),
                ),
                (
                    "bio",
                    models.TextField(
                        blank=True,
                        help_text="A few sentences in Markdown, shown on the author page. "
                        "Unsafe HTML is removed when it is saved.",
                        validators=[django.core.validators.MaxLengthValidator(1000)],
                    ),
                ),
                ("bio_html", models.TextField(blank=True, editable=False)),
                (
                    "website",
                    models.URLField(
                        blank=True,
                        validators=[
                            django.core.validators.URLValidator(schemes=["http", "https"])
                        ],
                    ),
                ),
                (
                    "orcid",
                    models.URLField(
                        blank=True,
                        help_text="The full address, e.g. "
                        "https://orcid.org/0000-0002-1825-0097.",
                        validators=[
                            django.core.validators.URLValidator(schemes=["http", "https"])
                        ],
                        verbose_name="ORCID iD",
                    ),
                ),
                (
                    "mastodon",
                    models.URLField(
                        blank=True,
                        help_text="The profile's address, e.g. https://mastodon.social/@ana. "
                        'The author page links to it with rel="me", so Mastodon can show the '
                        "link as verified.",
                        validators=[
                            django.core.validators.URLValidator(schemes=["http", "https"])
                        ],
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "photo",
                    models.ForeignKey(
                        blank=True,
                        help_text="A portrait from Images, shown on the author page with its "
                        "description.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="posts.image",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="author_profile",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["display_name"],
                "permissions": [("edit_others_profiles", "Can edit others' author profiles")],
            },
        ),
        migrations.RunPython(give_roles_their_profile_permissions, migrations.RunPython.noop),
    ]
