from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("posts", "0011_image_names_from_their_content")]
AFTER = [("posts", "0012_tags_through_post")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """Later tests expect the schema the models describe."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_tags_move_to_tagged_posts_and_back():
    """Moving posts' tags off taggit's generic table keeps every post's tags, leaves other
    models' tags alone, and undoes cleanly."""
    apps = migrate(BEFORE)
    User = apps.get_model("auth", "User")
    Post = apps.get_model("posts", "Post")
    Tag = apps.get_model("taggit", "Tag")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    ContentType = apps.get_model("contenttypes", "ContentType")
    post_type, _ = ContentType.objects.get_or_create(app_label="posts", model="post")
    user_type, _ = ContentType.objects.get_or_create(app_label="auth", model="user")
    author = User.objects.create(username="writer")
    first, second = (
        Post.objects.create(
            title=title, slug=title.lower(), author=author, published_at=timezone.now()
        )
        for title in ("First", "Second")
    )
    gut, mind = (
        Tag.objects.create(name="Gut", slug="gut"),
        Tag.objects.create(name="Mind", slug="mind"),
    )
    for post, tag in [(first, gut), (first, mind), (second, mind)]:
        TaggedItem.objects.create(tag=tag, content_type=post_type, object_id=post.pk)
    TaggedItem.objects.create(tag=gut, content_type=post_type, object_id=second.pk + 1000)
    TaggedItem.objects.create(tag=gut, content_type=user_type, object_id=author.pk)

    apps = migrate(AFTER)
    TaggedPost = apps.get_model("posts", "TaggedPost")
    moved = set(TaggedPost.objects.values_list("content_object__slug", "tag__slug"))
    assert moved == {("first", "gut"), ("first", "mind"), ("second", "mind")}
    left = apps.get_model("taggit", "TaggedItem").objects.values_list("content_type__model")
    assert list(left) == [("user",)]

    apps = migrate(BEFORE)
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    back = {
        (Post.objects.get(pk=item.object_id).slug, item.tag.slug)
        for item in TaggedItem.objects.filter(content_type__model="post")
    }
    assert back == moved


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search entries are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_search_entries_get_their_posts_publication_times():
    """Entries of published posts, scheduled ones too, take the post's time; drafts' none.
    The table keeps its rows narrow from then on."""
    apps = migrate([("posts", "0013_order_by_post_column")])
    User = apps.get_model("auth", "User")
    Post = apps.get_model("posts", "Post")
    SearchEntry = apps.get_model("posts", "SearchEntry")
    author = User.objects.create(username="writer")
    now = timezone.now().replace(microsecond=0)
    times = {"public": now, "scheduled": now + timedelta(days=1), "draft": now}
    for slug, published_at in times.items():
        post = Post.objects.create(
            title=slug,
            slug=slug,
            author=author,
            status="draft" if slug == "draft" else "published",
            published_at=published_at,
        )
        SearchEntry.objects.create(post=post, title=slug, summary="", tags="", body="x" * 5000)

    apps = migrate([("posts", "0014_search_entry_publication_time")])
    SearchEntry = apps.get_model("posts", "SearchEntry")
    copied = dict(SearchEntry.objects.values_list("post__slug", "published_at"))
    assert copied == {"public": now, "scheduled": times["scheduled"], "draft": None}
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'posts_searchentry'")
        assert cursor.fetchone()[0] == ["toast_tuple_target=128"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_the_author_group_gets_the_author_role_and_an_editor_group_is_made():
    """Members of the Author group stay Authors, now with their own posts to delete and no
    tags to rename; an Editor group works on everyone's posts. Undone, both go back."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    apps = migrate([("posts", "0014_search_entry_publication_time")])
    writer = apps.get_model("auth", "User").objects.create(username="writer", is_staff=True)
    writer.groups.add(apps.get_model("auth", "Group").objects.get(name="Author"))

    migrate([("posts", "0015_roles")])
    writer = get_user_model().objects.get(username="writer")
    assert writer.has_perm("posts.delete_post") and writer.has_perm("taggit.add_tag")
    for permission in ("posts.edit_others_posts", "posts.add_series", "taggit.change_tag"):
        assert not writer.has_perm(permission)
    editor_permissions = Group.objects.get(name="Editor").permissions.values_list(
        "codename", flat=True
    )
    assert {"edit_others_posts", "delete_series", "change_tag", "delete_tag"} <= set(
        editor_permissions
    )
    assert not [name for name in editor_permissions if name.endswith(("_user", "_group"))]

    migrate([("posts", "0014_search_entry_publication_time")])
    assert not Group.objects.filter(name="Editor").exists()
    writer = get_user_model().objects.get(username="writer")
    assert writer.has_perm("taggit.change_tag") and not writer.has_perm("posts.delete_post")
