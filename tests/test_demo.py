from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from pytest_django.asserts import assertContains

from posts.models import AuthorProfile, Post, Resource, Series, SeriesPart

pytestmark = pytest.mark.django_db

SEED_SLUG = "the-link-between-mental-health-and-gut-health"


def load_demo(**options):
    out = StringIO()
    call_command("load_demo", stdout=out, stderr=out, **options)
    return out.getvalue()


def snapshot():
    return {
        "posts": list(Post.objects.order_by("pk").values()),
        "series": list(Series.objects.order_by("pk").values()),
        "parts": list(SeriesPart.objects.order_by("pk").values()),
        "resources": list(Resource.objects.order_by("pk").values()),
        "tags": sorted((p.slug, t.name) for p in Post.objects.all() for t in p.tags.all()),
        "users": list(get_user_model().objects.order_by("pk").values()),
        "profiles": list(AuthorProfile.objects.order_by("pk").values()),
    }


def test_demo_loads_the_three_part_series():
    """The demo is the seed post and the two earlier posts it builds on, in one series."""
    output = load_demo(with_login=True)
    assert "Admin login: user 'demo', password 'gutbrain-demo'" in output
    demo = get_user_model().objects.get(username="demo")
    assert demo.is_staff and demo.check_password("gutbrain-demo")
    series = Series.objects.get(slug="gut-and-mind")
    parts = [(p.position, p.post.slug) for p in series.parts.select_related("post")]
    assert parts == [
        (1, "how-the-gut-talks-to-the-brain"),
        (2, "what-throws-the-microbiome-off-balance"),
        (3, SEED_SLUG),
    ]
    seed = Post.objects.get(slug=SEED_SLUG)
    assert seed.is_published and seed.author == demo
    assert seed.title == "The Link between Mental Health and Gut Health"
    assert {"Gut Health", "Mental Health"} <= {t.name for t in seed.tags.all()}
    assert seed.resources.filter(number=4).exists()
    assert seed.resources.count() >= 4
    assert (
        'Read <a class="citation" href="#resource-4" id="md-cite-4-1">Resource #4</a>'
        in seed.body_html
    )
    assert "<ol>" in seed.body_html
    assert '<h2 id="md-intestinal-hyperpermeability-aka-leaky-gut-syndrome">' in seed.body_html
    assert 'href="/posts/how-the-gut-talks-to-the-brain/">review here</a>' in seed.body_html
    assert 'href="/posts/what-throws-the-microbiome-off-balance/">read here</a>' in seed.body_html
    assert sorted(p.slug for p in seed.links.all()) == [
        "how-the-gut-talks-to-the-brain",
        "what-throws-the-microbiome-off-balance",
    ]
    assert Post.objects.filter(broken_links=[]).count() == 3


def test_without_asking_the_demo_author_cannot_log_in(client):
    """On a database loaded without --with-login, the published password opens nothing."""
    output = load_demo()
    assert "gutbrain-demo" not in output
    assert "The demo author 'demo' cannot log in" in output
    demo = get_user_model().objects.get(username="demo")
    assert not demo.has_usable_password() and not demo.is_staff and not demo.is_superuser
    assert Post.objects.get(slug=SEED_SLUG).author == demo
    response = client.post(
        "/admin/login/", {"username": "demo", "password": "gutbrain-demo", "next": "/admin/"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_with_debug_on_the_demo_author_can_log_in(settings):
    """Local development (DJANGO_DEBUG=true) gets the demo login without the flag."""
    settings.DEBUG = True
    assert "password 'gutbrain-demo'" in load_demo()
    assert get_user_model().objects.get(username="demo").check_password("gutbrain-demo")


def test_loading_without_asking_takes_the_published_password_away():
    """A demo login left from an earlier load stops working when the demo is loaded again
    without --with-login; a password someone chose for the account stays."""
    load_demo(with_login=True)
    output = load_demo()
    assert "had the published demo password: it can no longer log in" in output
    demo = get_user_model().objects.get(username="demo")
    assert not demo.check_password("gutbrain-demo") and not demo.is_staff
    demo.set_password("a passphrase of their own")
    demo.save()
    load_demo()
    demo.refresh_from_db()
    assert demo.check_password("a passphrase of their own")


def test_loading_the_demo_twice_changes_nothing():
    """A second run leaves every row as it was, timestamps included."""
    load_demo()
    before = snapshot()
    output = load_demo()
    assert "Imported 0 new, 0 updated, 4 unchanged." in output
    assert snapshot() == before


def test_seed_post_page_reads_as_part_three(client):
    """The seed post's page shows its place in the series and its resources."""
    load_demo()
    response = client.get(Post.objects.get(slug=SEED_SLUG).get_absolute_url())
    assertContains(response, "Part 3 of 3 in")
    assertContains(response, '<li id="resource-4" value="4">')
    assertContains(response, 'href="#md-cite-4-1"')
    assertContains(response, "What Throws the Microbiome Off Balance")


def test_earlier_posts_show_the_seed_post_under_linked_from(client):
    """Both earlier parts list the seed post as a post that links to them."""
    load_demo()
    seed = Post.objects.get(slug=SEED_SLUG)
    for slug in ("how-the-gut-talks-to-the-brain", "what-throws-the-microbiome-off-balance"):
        response = client.get(Post.objects.get(slug=slug).get_absolute_url())
        assertContains(response, '<h2 id="linked-from-heading">Linked from</h2>', html=True)
        assertContains(
            response, f'<a href="{seed.get_absolute_url()}">{seed.title}</a>', html=True
        )


def test_import_updates_a_changed_file(tmp_path, author):
    """Editing a file and importing again updates just that post."""
    (tmp_path / "posts").mkdir()
    source = tmp_path / "posts" / "a.md"
    source.write_text(
        "---\ntitle: First title\nslug: a\nstatus: draft\nauthor: ada\n"
        "tags: [Sleep]\n---\n\nHello.\n"
    )
    call_command("import_markdown", tmp_path, stdout=StringIO())
    source.write_text(source.read_text().replace("First title", "Second title"))
    out = StringIO()
    call_command("import_markdown", tmp_path, stdout=out)
    assert "0 new, 1 updated" in out.getvalue()
    post = Post.objects.get(slug="a")
    assert post.title == "Second title" and post.body_html == "<p>Hello.</p>"
    assert [t.name for t in post.tags.all()] == ["Sleep"]


def test_import_keeps_the_publish_date_when_the_file_has_none(tmp_path, author):
    """A published post without a date in its file keeps its date on every import."""
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text(
        "---\ntitle: A\nstatus: published\nauthor: ada\n---\nx\n"
    )
    call_command("import_markdown", tmp_path, stdout=StringIO())
    first = Post.objects.get().published_at
    out = StringIO()
    call_command("import_markdown", tmp_path, stdout=out)
    assert "0 new, 0 updated, 1 unchanged" in out.getvalue()
    assert Post.objects.get().published_at == first


def test_import_after_a_rename_updates_the_renamed_post(tmp_path, author):
    """A post renamed in the admin is found again by its old slug, not duplicated."""
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text("---\ntitle: A\nslug: a\nauthor: ada\n---\nx\n")
    call_command("import_markdown", tmp_path, stdout=StringIO())
    post = Post.objects.get()
    post.slug = "a-renamed"
    post.save()
    call_command("import_markdown", tmp_path, stdout=StringIO())
    assert list(Post.objects.values_list("slug", flat=True)) == ["a"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("no front matter", "no front matter"),
        ("---\ntitle: [unclosed\n---\nx", "front matter is not valid YAML"),
        ("---\nauthor: ada\n---\nx", "title: missing"),
        ("---\ntitle: T\nauthor: ada\npublished_at: soon\n---\nx", "published_at: 'soon' is not"),
        ("---\ntitle: T\nauthor: ada\nseries: [{slug: none, position: 1}]\n---\nx", "series: no"),
        (
            "---\ntitle: T\nauthor: ada\nresources: [{number: 1, title: R, doi: bad}]\n---\nx",
            "resources: doi: Enter a DOI",
        ),
        ("---\ntitle: T\nauthor: ada\ntags: [Sleep, '???']\n---\nx", "tags: Tags need a letter"),
        ("---\ntitle: T\nauthor: ada\n---\nSee [#9].", "body: the text cites resource #9"),
        ("---\ntitle: T\nauthor: ada\n---\n" + "- " * 500 + "x", "body: This text nests"),
        ("---\ntitle: T\nauthor: ada\n---\n" + "[" * 5000, "body: Paragraph 1 (“[[[[[["),
        (
            "---\ntitle: T\nauthor: ada\nstatus: published\n---\n[x](post:nowhere)",
            "body: “post:nowhere” links to no post",
        ),
        ("---\ntitle: T\nslug: 0-good\nauthor: ada\n---\nx", "slug: '0-good' is taken"),
    ],
)
def test_a_bad_file_is_named_and_skipped_and_the_others_imported(
    tmp_path, author, content, message
):
    """A bad file is reported with its field, nothing of it is saved, the rest is imported,
    and the command fails at the end."""
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "0-good.md").write_text("---\ntitle: Good\nauthor: ada\n---\nFine.\n")
    (tmp_path / "posts" / "1-bad.md").write_text(content)
    errors = StringIO()
    with pytest.raises(CommandError, match=r"1 file\(s\) not imported"):
        call_command("import_markdown", tmp_path, stdout=StringIO(), stderr=errors)
    assert f"1-bad.md: {message}" in errors.getvalue()
    assert list(Post.objects.values_list("title", flat=True)) == ["Good"]


def test_a_series_whose_description_is_too_costly_to_render_is_named_and_skipped(tmp_path):
    """A series description refused by the renderer is reported, and the series not saved."""
    (tmp_path / "series").mkdir()
    (tmp_path / "series" / "odd.md").write_text("---\ntitle: Odd\n---\n" + "*a" * 100_000)
    errors = StringIO()
    with pytest.raises(CommandError, match=r"1 file\(s\) not imported"):
        call_command("import_markdown", tmp_path, stdout=StringIO(), stderr=errors)
    assert "odd.md: description: Paragraph 1 (“*a*a*a" in errors.getvalue()
    assert not Series.objects.exists()


def test_a_post_linking_to_a_skipped_file_is_skipped_too(tmp_path, author):
    """A published post whose link target failed to import is not imported either."""
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text(
        "---\ntitle: A\nauthor: ada\nstatus: published\n---\n[b](post:b)\n"
    )
    (tmp_path / "posts" / "b.md").write_text("---\ntitle: B\nauthor: ada\ntags: ['!!']\n---\nx\n")
    errors = StringIO()
    with pytest.raises(CommandError, match=r"2 file\(s\) not imported"):
        call_command("import_markdown", tmp_path, stdout=StringIO(), stderr=errors)
    assert "a.md: body: “post:b” links to no post" in errors.getvalue()
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("---\ntitle: T\nslug: not a slug!\nauthor: ada\n---\nx", "slug: Enter a valid"),
        (
            "---\ntitle: T\nauthor: ada\nseries: [{slug: s, position: 1}, {slug: s, position: 2}]"
            "\n---\nx",
            "series: 's' is listed twice",
        ),
        ("---\ntitle: T\nauthor: ada\nseries: [{slug: s, position: 1}]\n---\nx", "series: a posi"),
        ("---\ntitle: T\nauthor: ada\nprevious_slugs: [taken]\n---\nx", "previous_slugs: 'taken'"),
    ],
)
def test_conflicts_with_the_site_are_named_per_file(tmp_path, make_post, content, message):
    """A file that would clash with a post already here is named and skipped."""
    from posts.models import Series, SeriesPart

    taken = make_post(slug="taken")
    SeriesPart.objects.create(series=Series.objects.create(title="S", slug="s"), post=taken,
                              position=1)  # fmt: skip
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "bad.md").write_text(content)
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("import_markdown", tmp_path, stdout=StringIO(), stderr=errors)
    assert f"bad.md: {message}" in errors.getvalue()
    assert list(Post.objects.values_list("slug", flat=True)) == ["taken"]


def test_an_images_list_that_is_not_a_list_is_named(tmp_path, author):
    """images.yaml must list images; anything else is reported, posts still import."""
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text("---\ntitle: A\nauthor: ada\n---\nx\n")
    (tmp_path / "images.yaml").write_text("5\n")
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("import_markdown", tmp_path, stdout=StringIO(), stderr=errors)
    assert "images.yaml: must be a list of images" in errors.getvalue()
    assert Post.objects.filter(slug="a").exists()
