"""The site a blog moved in from WordPress or Ghost makes: every page reachable from the home
page answers without a broken link or a server error, every old address leads to a page in
one redirect, and pages cost as many queries as on a site written here."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Count, Q
from django.urls import reverse
from PIL import Image as PillowImage
from taggit.models import Tag

from posts.former_addresses import FormerAddress, ImportedPost
from posts.models import Post, Series
from tests.test_fuzz import crawl
from tests.test_queries import EXPECTED_QUERIES

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "moving_in"
# name: (command, file, options); the theme unit test's nested categories become series, so
# that series pages are crawled too.
EXPORTS = {
    "wp-science-blog": ("import_wordpress", "wp-science-blog.xml", ["--media", "{media}"]),
    "wp-theme-unit-test": (
        "import_wordpress",
        "wp-theme-unit-test.xml",
        ["--categories-as", "series"],
    ),
    "ghost-5": (
        "import_ghost",
        "ghost-5-export.json",
        ["--site-url", "https://old.gutbrain.example"],
    ),
}
CRAWL_LIMIT = 5000  # well above any of these sites: a crawl that reaches it did not finish
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


@pytest.fixture(autouse=True)
def uncached_pages(settings):
    """Every request builds its page, as the query counts and the crawl mean it to."""
    settings.GUTBRAIN_PAGE_CACHE = False


def uploads(folder):
    """The science blog's uploads folder, as tests/test_import_wordpress.py makes it."""
    (folder / "2019" / "05").mkdir(parents=True)
    PillowImage.new("RGB", (60, 40), "purple").save(folder / "2019" / "05" / "microbes.png")
    return folder


def bring_in(name, tmp_path):
    """Import the export; its report."""
    command, file, options = EXPORTS[name]
    media = uploads(tmp_path / "uploads") if "{media}" in options else None
    out = StringIO()
    options = [option.format(media=media) for option in options]
    call_command(command, str(FIXTURES / file), *options, stdout=out)
    cache.clear()  # what the import's own requests to pages remembered
    return out.getvalue()


@pytest.fixture(params=list(EXPORTS))
def moved_in(request, tmp_path):
    return request.param, bring_in(request.param, tmp_path)


def test_the_whole_site_has_no_broken_link_and_no_server_error(client, moved_in):
    _, report = moved_in
    seen = crawl(client, "/", limit=CRAWL_LIMIT)  # itself fails on any 5xx
    assert len(seen) < CRAWL_LIMIT
    published = Post.objects.published()
    # A link to a post scheduled later, as the old site had it: the report says so.
    later = {
        post.get_absolute_url(): post
        for post in Post.objects.filter(status=Post.Status.PUBLISHED).exclude(pk__in=published)
    }
    broken = {path: status for path, status in seen.items() if status != 200}
    for path in set(broken) & set(later):
        assert broken.pop(path) == 404
        assert f"links to “{later[path].title}”, scheduled for" in report
    assert broken == {}
    assert published.exists()
    for post in published:
        assert post.get_absolute_url() in seen, post.slug


def test_every_old_address_answers_one_redirect_to_a_page(client, moved_in):
    published = Post.objects.published()
    public = {
        "post": set(published.values_list("pk", flat=True)),
        "tag": set(published.values_list("tags", flat=True)),
        "series": set(published.values_list("series_parts__series", flat=True)),
    }
    addresses = list(FormerAddress.objects.all())
    assert addresses
    redirected = 0
    for address in addresses:
        response = client.get(address.path)
        kind = next(kind for kind in public if getattr(address, f"{kind}_id") is not None)
        if getattr(address, f"{kind}_id") not in public[kind]:
            # A draft, a post scheduled later, a tag or series only they have: not given away.
            # The home page answers `?p=`, as for an id the old site never had.
            expected = 200 if address.path.startswith("/?p=") else 404
            assert response.status_code == expected, address.path
            assert not response.has_header("Location"), address.path
            continue
        assert response.status_code == 301, address.path
        target = client.get(response["Location"])
        assert target.status_code == 200, (address.path, response["Location"])
        redirected += 1
    assert redirected >= len(addresses) / 2


@pytest.mark.parametrize("name", [name for name in EXPORTS if name.startswith("wp-")])
def test_every_wordpress_post_keeps_its_post_id_address(name, tmp_path):
    bring_in(name, tmp_path)
    imported = ImportedPost.objects.filter(source="wordpress")
    assert imported.exists()
    for row in imported:
        assert FormerAddress.objects.get(path=f"/?p={row.source_id}").post_id == row.post_id


def test_a_ghost_export_without_the_old_site_s_address_says_its_images_are_lost():
    """Ghost writes its images on its own address, which the export does not name: left as
    paths, they would be broken links here."""
    out = StringIO()
    call_command("import_ghost", str(FIXTURES / "ghost-5-export.json"), stdout=out)
    assert "images on the old site are left as paths on this one" in out.getvalue()


def test_the_theme_unit_test_report_adds_up(tmp_path):
    """The data's items: 48 published posts, one scheduled, one draft and one protected by a
    password (a draft here), 21 pages, 32 comments, 38 attachments and 70 menu items."""
    report = bring_in("wp-theme-unit-test", tmp_path)
    assert report.startswith(
        "Imported from wordpress: 51 posts (2 draft, 48 published, 1 scheduled); 51 new, 0 "
        "updated, 0 edited here since"
    )
    assert "Skipped: 32 comments, 21 pages\n" in report
    assert "protected by a password there" in report
    assert "WXR version" not in report and "unknown namespace" not in report
    assert Post.objects.count() == 51
    assert Post.objects.published().count() == 48
    assert Post.objects.filter(status=Post.Status.PUBLISHED).count() == 49  # one scheduled
    assert Series.objects.exists() and Tag.objects.exists()


def test_no_warning_is_a_traceback(moved_in):
    _, report = moved_in
    warnings = [line for line in report.splitlines() if line.startswith("Warning")]
    assert not [line for line in warnings if TRACEBACK.search(line)]
    assert not TRACEBACK.search(report)


def pages_of_the_theme_unit_test():
    """A post in a series and with tags, the biggest tag, the biggest series."""
    published = Post.objects.published()
    post = (
        published.annotate(tag_count=Count("tags", distinct=True))
        .filter(series_parts__isnull=False, tag_count__gt=0)
        .order_by("-tag_count", "pk")
        .first()
    )
    tag = (
        Tag.objects.annotate(uses=Count("posts_taggedpost_items")).order_by("-uses", "pk").first()
    )
    series = (
        Series.objects.annotate(
            parts_shown=Count("parts", filter=Q(parts__post__in=published.values("pk")))
        )
        .order_by("-parts_shown", "pk")
        .first()
    )
    return {
        "home": reverse("posts:home"),
        "post": post.get_absolute_url(),
        "tag": reverse("posts:tag", args=[tag.slug]),
        "series": series.get_absolute_url(),
    }


@pytest.mark.parametrize("page", ["home", "post", "tag", "series"])
def test_pages_run_as_many_queries_as_on_a_site_written_here(
    client, tmp_path, page, django_assert_num_queries
):
    """The counts tests/test_queries.py asserts, on the theme unit test's 51 posts, many of
    them with images, comments, nested categories and dozens of tags."""
    bring_in("wp-theme-unit-test", tmp_path)
    url = pages_of_the_theme_unit_test()[page]
    with django_assert_num_queries(EXPECTED_QUERIES[page]):
        response = client.get(url)
    assert response.status_code == 200
