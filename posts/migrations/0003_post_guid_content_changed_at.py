import uuid

import django.utils.timezone
from django.db import migrations, models


def fill_guids_and_change_times(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    for post in Post.objects.all():
        post.guid = uuid.uuid4()
        post.content_changed_at = post.updated_at
        post.save(update_fields=["guid", "content_changed_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0002_post_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="content_changed_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                editable=False,
                help_text="When the title, summary, text or resources last changed: feeds' updated date.",
            ),
        ),
        # Each existing post needs its own id: add the column empty, fill it, then make it unique.
        migrations.AddField(
            model_name="post",
            name="guid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_guids_and_change_times, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="post",
            name="guid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
