"""Posts' tags move from taggit's generic TaggedItem to TaggedPost, which has a real foreign
key: no content type join, no integer-to-bigint cast, and indexes the planner can use."""

import django.db.models.deletion
import taggit.managers
from django.db import migrations, models

OLD_INDEX = "taggeditem_tag_post_idx"  # from 0010, for the cast join that is gone
BATCH_SIZE = 5000


def post_content_type(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    # None on a new database: content types are made after migrating, and nothing is tagged.
    return ContentType.objects.filter(app_label="posts", model="post").first()


def move_to_tagged_posts(apps, schema_editor):
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    TaggedPost = apps.get_model("posts", "TaggedPost")
    Post = apps.get_model("posts", "Post")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
    content_type = post_content_type(apps)
    if content_type is not None:
        items = TaggedItem.objects.filter(content_type=content_type)
        # A generic id can outlive its post; such rows have nothing to move to.
        existing = items.filter(object_id__in=Post.objects.values("pk"))
        TaggedPost.objects.bulk_create(
            (
                TaggedPost(tag_id=tag_id, content_object_id=post_id)
                for tag_id, post_id in existing.values_list("tag_id", "object_id").distinct()
            ),
            batch_size=BATCH_SIZE,
        )
        items.delete()


def move_to_tagged_items(apps, schema_editor):
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    TaggedPost = apps.get_model("posts", "TaggedPost")
    ContentType = apps.get_model("contenttypes", "ContentType")
    # Before any row: PostgreSQL builds no index on a table with constraint checks pending.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON taggit_taggeditem "
            "(tag_id, content_type_id, ((object_id)::bigint))"
        )
    if TaggedPost.objects.exists():
        content_type, _ = ContentType.objects.get_or_create(app_label="posts", model="post")
        TaggedItem.objects.bulk_create(
            (
                TaggedItem(tag_id=tag_id, content_type=content_type, object_id=post_id)
                for tag_id, post_id in TaggedPost.objects.values_list("tag_id", "content_object_id")
            ),
            batch_size=BATCH_SIZE,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("posts", "0011_image_names_from_their_content"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaggedPost",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "content_object",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tagged",
                        to="posts.post",
                    ),
                ),
                (
                    "tag",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="posts_taggedpost_items",
                        to="taggit.tag",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["tag", "content_object"], name="tag_post_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("content_object", "tag"), name="unique_post_tag"
                    )
                ],
            },
        ),
        migrations.RunPython(move_to_tagged_posts, move_to_tagged_items),
        migrations.AlterField(
            model_name="post",
            name="tags",
            field=taggit.managers.TaggableManager(
                blank=True,
                help_text="Comma-separated; case does not matter.",
                through="posts.TaggedPost",
                to="taggit.Tag",
                verbose_name="Tags",
            ),
        ),
    ]
