"""An index for listing a tag's posts on PostgreSQL.

taggit stores the tagged object's id as an integer, and posts have bigint ids: the join casts
it, which keeps taggit's own indexes out of the plan. This index is on the cast value."""

from django.db import migrations

INDEX = "taggeditem_tag_post_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON taggit_taggeditem "
            "(tag_id, content_type_id, ((object_id)::bigint))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0009_search"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
