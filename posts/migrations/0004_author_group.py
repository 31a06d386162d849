from django.contrib.auth.management import create_permissions
from django.db import migrations

AUTHOR_GROUP = "Author"
# Authors write: posts and series, with their resources, places in series and tags. They
# manage no users, groups or permissions.
AUTHOR_PERMISSIONS = {
    ("posts", "post"): ["add", "change", "view"],
    ("posts", "series"): ["add", "change", "view"],
    ("posts", "seriespart"): ["add", "change", "delete", "view"],
    ("posts", "resource"): ["add", "change", "delete", "view"],
    ("taggit", "tag"): ["add", "change", "delete", "view"],
    ("taggit", "taggeditem"): ["add", "change", "delete", "view"],
}


def create_author_group(apps, schema_editor):
    # Permissions are normally created after all migrations; this one needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=AUTHOR_GROUP)
    for (app_label, model), actions in AUTHOR_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        )


def remove_author_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=AUTHOR_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0003_post_guid_content_changed_at"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_author_group, remove_author_group)]
