from django.contrib.auth.management import create_permissions
from django.db import migrations



def codenames(model, *actions):
    return [f"{action}_{model}" for action in actions]


ALL = ("add", "change", "delete", "view")
# Authors write, publish and delete their own posts (the admin keeps them to their own), with
# their resources and places in existing series; they may add tags, not rename or delete them.
AUTHOR_PERMISSIONS = {
    "posts": [
        *codenames("post", *ALL),
        *codenames("series", "view"),
        *codenames("seriespart", *ALL),
        *codenames("resource", *ALL),
        *codenames("image", *ALL),
    ],
    "taggit": codenames("tag", "add", "view"),
}
# Editors do everything to every post, series and tag, and choose any post's byline. Neither
# role manages users, groups or permissions: that is the administrator's (a superuser).
EDITOR_PERMISSIONS = {
    "posts": [
        *codenames("post", *ALL),
        "edit_others_posts",
        *codenames("series", *ALL),
        *codenames("seriespart", *ALL),
        *codenames("resource", *ALL),
        *codenames("image", *ALL),
    ],
    "taggit": [*codenames("tag", *ALL), *codenames("taggeditem", *ALL)],
}
# What the Author group had before (migrations 0004 and 0008), to go back to.
FORMER_AUTHOR_PERMISSIONS = {
    "posts": [
        *codenames("post", "add", "change", "view"),
        *codenames("series", "add", "change", "view"),
        *codenames("seriespart", *ALL),
        *codenames("resource", *ALL),
        *codenames("image", *ALL),
    ],
    "taggit": [*codenames("tag", *ALL), *codenames("taggeditem", *ALL)],
}


def give_groups(apps, groups):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in groups.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [
                permission
                for app_label, names in wanted.items()
                for permission in Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=names
                )
            ]
        )


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; these need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    give_groups(apps, {"Author": AUTHOR_PERMISSIONS, "Editor": EDITOR_PERMISSIONS})


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Editor").delete()
    give_groups(apps, {"Author": FORMER_AUTHOR_PERMISSIONS})


class Migration(migrations.Migration):
    dependencies = [("posts", "0014_search_entry_publication_time")]

    operations = [
        migrations.AlterModelOptions(
            name="post",
            options={
                "get_latest_by": "published_at",
                "ordering": ["-published_at", "-id"],
                "permissions": [
                    (
                        "edit_others_posts",
                        "Can edit, publish and delete others' posts and set bylines",
                    )
                ],
            },
        ),
        migrations.RunPython(create_roles, remove_roles),
    ]
