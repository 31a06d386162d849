from django.db import migrations


class Migration(migrations.Migration):
    """No two tags may differ only in case: "Gut Health" and "gut health" are one tag."""

    dependencies = [
        ("posts", "0004_author_group"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE UNIQUE INDEX taggit_tag_name_ignoring_case ON taggit_tag (lower(name))",
            "DROP INDEX taggit_tag_name_ignoring_case",
        )
    ]
