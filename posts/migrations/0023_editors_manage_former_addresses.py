from django.contrib.auth.management import create_permissions
from django.db import migrations

# Editors correct or delete the old addresses an import kept; authors do not see them.
EDITOR_PERMISSIONS = ["view_formeraddress", "change_formeraddress", "delete_formeraddress"]


def let_editors_manage_former_addresses(apps, schema_editor):
    # Permissions are normally created after all migrations; these need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editor")
    editors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="posts", codename__in=EDITOR_PERMISSIONS
        )
    )


def forget_editors_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for editors in Group.objects.filter(name="Editor"):
        editors.permissions.remove(*editors.permissions.filter(codename__in=EDITOR_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("posts", "0022_former_addresses")]

    operations = [
        migrations.RunPython(let_editors_manage_former_addresses, forget_editors_permissions)
    ]
