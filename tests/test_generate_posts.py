import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max
from taggit.models import Tag

from posts import search
from posts.management.commands import generate_posts
from posts.models import Post, Series, SeriesPart
from posts.rendering import reading_minutes

pytestmark = pytest.mark.django_db

COUNT = 40


def generate(count=COUNT, *options):
    out = StringIO()
    call_command("generate_posts", count, *options, stdout=out)
    return out.getvalue()


def synthetic_posts():
    return Post.objects.filter(author__username="synthetic").order_by("-published_at")


def test_makes_published_posts_with_tags_resources_and_a_series():
    output = generate()
    assert re.search(r"Made 40 posts \(synthetic-1 to synthetic-40\) in [0-9.]+ s", output)
    posts = list(synthetic_posts().prefetch_related("tags", "resources", "series_parts"))
    assert len(posts) == Post.objects.published().count() == COUNT
    # synthetic-1 is the newest, and each number is older than the one before.
    assert [post.slug for post in posts] == [f"synthetic-{n}" for n in range(1, COUNT + 1)]
    author = posts[0].author
    assert (author.first_name, author.last_name) == ("Sam", "Synthetic")
    assert not author.has_usable_password()
    for post in posts:
        assert post.title and post.summary and post.body_html.startswith("<")
        assert post.content_changed_at == post.published_at
        assert 1 <= len(post.tags.all()) <= 4
        numbers = [resource.number for resource in post.resources.all()]
        assert numbers == list(range(1, len(numbers) + 1)) and 2 <= len(numbers) <= 4
        assert all(re.fullmatch(r"10\.\d{4,9}/\S+", r.doi) for r in post.resources.all())
        assert post.citations and not post.missing_resources()
        assert 'class="citation" href="#resource-1"' in post.body_html
        assert "<h2" in post.body_html
        assert len(post.series_parts.all()) == 1


def test_series_positions_follow_publication():
    generate(COUNT, "--series", "3")
    assert Series.objects.count() == 3
    for series in Series.objects.all():
        dates = [part.post.published_at for part in series.parts.select_related("post")]
        assert dates == sorted(dates)
        positions = list(series.parts.values_list("position", flat=True))
        assert positions == list(range(1, len(positions) + 1))


def test_links_render_to_older_posts_and_are_recorded():
    generate()
    posts = list(synthetic_posts().prefetch_related("links"))
    for post in posts[:-1]:
        targets = list(post.links.all())
        assert 1 <= len(targets) <= 2
        hrefs = set(re.findall(r'<a href="(/posts/[^"]*)"', post.body_html))
        assert hrefs == {f"/posts/{target.slug}/" for target in targets}
        for target in targets:
            assert f"(post:{target.slug})" in post.body
            assert target.published_at < post.published_at
    oldest = posts[-1]
    assert not oldest.links.exists() and "/posts/" not in oldest.body_html


def test_stored_html_is_what_the_renderer_makes():
    generate()
    for post in synthetic_posts():
        stored = (post.body_html, post.citations, post.reading_minutes)
        links = post.render_body()
        assert stored == (post.body_html, post.citations, reading_minutes(post.body))
        assert post.broken_links == []
        assert set(links.targets) == set(post.links.values_list("pk", flat=True))


def test_running_twice_adds_as_many_older_posts(make_post):
    make_post(title="By hand", slug="synthetic-7")
    generate()
    output = generate()
    assert "(synthetic-48 to synthetic-87)" in output
    assert synthetic_posts().count() == 2 * COUNT
    first_run = synthetic_posts().filter(slug__in=[f"synthetic-{n}" for n in range(8, 48)])
    second_run = synthetic_posts().exclude(pk__in=first_run)
    assert max(p.published_at for p in second_run) < min(p.published_at for p in first_run)
    assert Series.objects.count() == 40
    assert SeriesPart.objects.count() == 2 * COUNT


def test_same_seed_same_posts_and_another_seed_others():
    def contents():
        return [
            (post.title, post.body, sorted(post.tags.names()))
            for post in synthetic_posts().prefetch_related("tags")
        ]

    def contents_of_run(seed):
        with transaction.atomic():
            generate(COUNT, "--seed", seed)
            made = contents()
            transaction.set_rollback(True)
        return made

    first = contents_of_run("3")
    assert len(first) == COUNT
    assert contents_of_run("3") == first
    assert contents_of_run("4") != first


def test_gut_health_is_much_the_biggest_tag():
    generate(COUNT, "--tags", "10")
    sizes = dict(
        Tag.objects.annotate(size=Count("posts_taggedpost_items")).values_list("slug", "size")
    )
    assert len(sizes) == 10
    biggest = sizes.pop("gut-health")
    assert biggest > max(sizes.values())
    assert biggest > 1.5 * sorted(sizes.values())[len(sizes) // 2]


def test_full_series_make_room_in_more_series(monkeypatch):
    monkeypatch.setattr(generate_posts, "MAX_SERIES_PARTS", 8)
    generate(COUNT, "--series", "2")
    assert Series.objects.count() == 5
    assert SeriesPart.objects.aggregate(Max("position"))["position__max"] <= 8


def test_generated_posts_can_be_searched():
    generate()
    newest = synthetic_posts().first()
    assert newest in search.search(newest.title)


@pytest.mark.parametrize("options", [(0,), (5, "--tags", "0"), (5, "--series", "0")])
def test_refuses_nothing_to_make(options):
    with pytest.raises(CommandError):
        generate(*options)
    assert not Post.objects.exists()
