from django.contrib.auth.management import create_permissions
from django.db import migrations


def let_authors_upload_images(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Author")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="posts",
            codename__in=["add_image", "change_image", "delete_image", "view_image"],
        )
    )


class Migration(migrations.Migration):
    dependencies = [("posts", "0007_images")]

    operations = [migrations.RunPython(let_authors_upload_images, migrations.RunPython.noop)]
