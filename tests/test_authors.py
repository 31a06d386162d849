"""Authors as readers meet them: a profile page with the author's published posts and feeds,
bylines that link to it, and no login name on any public page."""

import json
import re
from datetime import timedelta
from io import StringIO
from xml.etree import ElementTree

import feedparser
import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from posts.images import Image
from posts.models import AuthorProfile, Post
from tests.test_images import image_file
from tests.test_roles import logged_in, member_of

pytestmark = pytest.mark.django_db

# feedparser would quietly make relative links absolute and hide the bug a reader would see.
feedparser.RESOLVE_RELATIVE_URIS = False

LOGIN_NAME = "zq-login-7f3"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def ana(django_user_model):
    """A writer whose login name must never be seen by readers."""
    return django_user_model.objects.create_user(
        LOGIN_NAME, password="pw", first_name="Ana", last_name="Silva", is_staff=True
    )


@pytest.fixture
def profile(ana):
    photo = Image.objects.create(
        file=image_file("ana.png", size=(300, 400)), alt_text="Ana Silva at her desk"
    )
    return AuthorProfile.objects.create(
        user=ana,
        slug="ana-silva",
        display_name="Ana S. Silva",
        bio="Writes about **sleep** and the gut.<script>alert(1)</script>",
        photo=photo,
        website="https://ana.example.org/",
        orcid="https://orcid.org/0000-0002-1825-0097",
        mastodon="https://mastodon.example/@ana",
    )


@pytest.fixture
def anas_posts(profile, make_post):
    """Ana's published post, draft and scheduled post, and a post by someone else."""
    return {
        "published": make_post(title="Sleep and the gut", author=profile.user, tags=["Sleep"]),
        "draft": make_post(title="Secret draft", author=profile.user, status=Post.Status.DRAFT),
        "scheduled": make_post(
            title="Secret scheduled",
            author=profile.user,
            published_at=timezone.now() + timedelta(days=1),
        ),
        "others": make_post(title="Ada's own post", tags=["Sleep"]),
    }


def author_url(slug="ana-silva", name="posts:author"):
    return reverse(name, args=[slug])


# The author page


def test_the_author_page_shows_the_profile_and_only_published_posts(client, anas_posts):
    """Name, bio (rendered and sanitised), photo with its size and description, links to the
    author's own pages with rel="me", and the author's published posts alone."""
    response = client.get(author_url())
    assertContains(response, '<h1 class="page-title">Ana S. Silva</h1>', html=True)
    assertContains(response, "Writes about <strong>sleep</strong> and the gut.")
    assertNotContains(response, "<script>alert")
    photo = Image.objects.get()
    assertContains(
        response,
        f'<img src="{photo.file.url}" width="300" height="400" alt="Ana Silva at her desk" '
        'fetchpriority="high" decoding="async">',
        html=True,
    )
    for label, address in [
        ("Website", "https://ana.example.org/"),
        ("ORCID", "https://orcid.org/0000-0002-1825-0097"),
        ("Mastodon", "https://mastodon.example/@ana"),
    ]:
        assertContains(response, f'<a href="{address}" rel="me">{label}</a>', html=True)
    assertContains(response, "1 post · Subscribe")
    assertContains(response, "Sleep and the gut")
    for title in ("Secret draft", "Secret scheduled", "Ada&#x27;s own post"):
        assertNotContains(response, title)


def test_the_author_page_is_described_for_search_engines_and_feed_readers(client, anas_posts):
    """A title, the bio's opening words as description, a canonical address, the author's
    feeds for autodiscovery and ProfilePage data."""
    content = client.get(author_url()).content.decode()
    assert "<title>Ana S. Silva · gutbrain</title>" in content
    assert '<meta name="description" content="Writes about sleep and the gut.' in content
    assert '<link rel="canonical" href="http://testserver/authors/ana-silva/">' in content
    assert '<meta property="og:type" content="profile">' in content
    for kind in ("rss", "atom"):
        assert f'href="/authors/ana-silva/feed/{kind}/"' in content
    (data,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', content)
    person = json.loads(data)["mainEntity"]
    assert person["name"] == "Ana S. Silva"
    assert person["url"] == "http://testserver/authors/ana-silva/"
    assert person["sameAs"][1] == "https://orcid.org/0000-0002-1825-0097"


def test_an_author_page_without_photo_bio_or_links_still_reads_well(client, make_post, ana):
    """Only the name is required; the description then says whose posts these are."""
    AuthorProfile.objects.create(user=ana, slug="ana", display_name="Ana")
    make_post(author=ana, title="A post")
    response = client.get(author_url("ana"))
    assertContains(response, '<meta name="description" content="Posts by Ana.">', html=True)
    assertNotContains(response, "<img")
    assertNotContains(response, 'rel="me"')


def test_unknown_authors_and_authors_with_nothing_public_have_no_page(client, profile, make_post):
    """An unknown address is a 404; so is the page and feeds of an author whose posts are all
    drafts or scheduled, as with a tag or series: nothing is public about them yet."""
    for name in ("posts:author", "posts:author_feed_rss", "posts:author_feed_atom"):
        assert client.get(author_url("no-such-author", name)).status_code == 404
    make_post(author=profile.user, status=Post.Status.DRAFT)
    make_post(author=profile.user, published_at=timezone.now() + timedelta(hours=1))
    for name in ("posts:author", "posts:author_feed_rss", "posts:author_feed_atom"):
        assert client.get(author_url(name=name)).status_code == 404


def test_the_author_page_is_paginated_like_other_listings(client, profile, make_post, settings):
    """Newest first, pages of the site's size, a canonical address per page, and a page past
    the last is a 404."""
    settings.GUTBRAIN_POSTS_PER_PAGE = 2
    now = timezone.now()
    for number in range(5):
        make_post(
            title=f"Ana's post {number}",
            author=profile.user,
            published_at=now - timedelta(days=number + 1),
        )
    first = client.get(author_url())
    assert [post.title for post in first.context["page"]] == ["Ana's post 0", "Ana's post 1"]
    assertContains(first, '<a href="?page=2" rel="next">Older →</a>', html=True)
    last = client.get(author_url(), {"page": 3})
    assert [post.title for post in last.context["page"]] == ["Ana's post 4"]
    assertContains(
        last, '<link rel="canonical" href="http://testserver/authors/ana-silva/?page=3">'
    )
    assert client.get(author_url(), {"page": 4}).status_code == 404


# Bylines


def test_a_byline_links_to_its_authors_page(client, anas_posts):
    """The post's byline names the author by their profile and links to their page; its
    JSON-LD author is a Person with that page's address."""
    response = client.get(anas_posts["published"].get_absolute_url())
    assertContains(
        response, '<a href="/authors/ana-silva/" rel="author">Ana S. Silva</a>', html=True
    )
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', response.text)[1]
    )
    assert data["author"]["@type"] == "Person"
    assert data["author"]["name"] == "Ana S. Silva"
    assert data["author"]["url"] == "http://testserver/authors/ana-silva/"


def test_a_byline_without_a_profile_names_the_author_as_before(client, make_post):
    """Authors without a profile keep their full name as the byline, with no link."""
    post = make_post()
    response = client.get(post.get_absolute_url())
    assertContains(response, "By Ada Writer ·")
    assertNotContains(response, 'rel="author"')
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', response.text)[1]
    )
    assert data["author"] == {"@type": "Person", "name": "Ada Writer"}


def test_a_changed_profile_shows_at_once_on_cached_pages(client, anas_posts, profile):
    """Pages kept in the cache (the byline, the author page, the feeds) follow a change."""
    post_url = anas_posts["published"].get_absolute_url()
    feed_url = author_url(name="posts:author_feed_atom")
    for url in (post_url, author_url(), feed_url):
        assertContains(client.get(url), "Ana S. Silva")
    profile.display_name = "Ana Sofia Silva"
    profile.save()
    for url in (post_url, author_url(), feed_url):
        assertContains(client.get(url), "Ana Sofia Silva")


# Feeds


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_the_authors_feeds_hold_their_published_posts(client, anas_posts, kind):
    """The author's feeds parse cleanly and hold the author's published posts only, with the
    profile's name as each entry's author and absolute links."""
    response = client.get(author_url(name=f"posts:author_feed_{kind}"))
    assert response["Content-Type"] == f"application/{kind}+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.title == "gutbrain: posts by Ana S. Silva"
    assert parsed.feed.link == "http://testserver/authors/ana-silva/"
    assert [entry.title for entry in parsed.entries] == ["Sleep and the gut"]
    (entry,) = parsed.entries
    assert entry.author == "Ana S. Silva"
    assert entry.link == "http://testserver" + anas_posts["published"].get_absolute_url()


# No login name in public


def public_addresses(client):
    """Every page the sitemap lists, and every feed those pages advertise."""
    addresses = set()
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    for section in index.findall("sm:sitemap/sm:loc", SITEMAP_NS):
        pages = ElementTree.fromstring(client.get(section.text).content)
        for location in pages.findall("sm:url/sm:loc", SITEMAP_NS):
            addresses.add(location.text.removeprefix("http://testserver"))
    for page in list(addresses):
        content = client.get(page).content.decode()
        addresses |= set(
            re.findall(r'<link rel="alternate" type="[^"]+" [^>]*href="([^"]+)"', content)
        )
    return addresses


def test_no_public_page_or_feed_shows_a_login_name(client, anas_posts):
    """Not in bylines, addresses, feeds, metadata or link previews: a login name is half of
    what opens the admin."""
    addresses = public_addresses(client)
    assert {"/authors/ana-silva/", "/authors/ana-silva/feed/atom/", "/tags/"} <= addresses
    for address in sorted(addresses):
        response = client.get(address)
        assert response.status_code == 200, address
        assert LOGIN_NAME not in response.content.decode(), address


def test_the_address_and_name_cannot_be_the_login_name(ana):
    """The address and the display name refuse the login name, whatever its case."""
    for slug, name in [(LOGIN_NAME, "Ana"), ("ana", LOGIN_NAME.upper())]:
        profile = AuthorProfile(user=ana, slug=slug, display_name=name)
        with pytest.raises(ValidationError) as refused:
            profile.full_clean()
        assert set(refused.value.message_dict) == {
            "slug" if slug == LOGIN_NAME else "display_name"
        }


@pytest.mark.parametrize(
    ("field", "address"),
    [
        ("website", "javascript:alert(1)"),
        ("website", "ftp://ana.example.org/"),
        ("mastodon", "data:text/html,hi"),
        ("orcid", "https://example.org/0000-0002-1825-0097"),
    ],
)
def test_links_are_web_addresses_only(ana, field, address):
    profile = AuthorProfile(user=ana, slug="ana", display_name="Ana", **{field: address})
    with pytest.raises(ValidationError) as refused:
        profile.full_clean()
    assert set(refused.value.message_dict) == {field}


# Roles


def profile_form(**fields):
    return {
        "display_name": "Wren Writer",
        "slug": "wren-writer",
        "bio": "",
        "photo": "",
        "website": "",
        "orcid": "",
        "mastodon": "",
        **fields,
    }


ADD = "admin:posts_authorprofile_add"


def test_an_author_writes_their_own_profile_and_only_one(django_user_model):
    """An author's new profile is theirs, chosen by no field; once written, there is no
    second one to add, and the address is refused if it is the login name."""
    writer = member_of("Author", "wren", django_user_model)
    client = logged_in(writer)
    page = client.get(reverse(ADD))
    assertContains(page, 'name="display_name"')
    assertNotContains(page, 'name="user"')
    refused = client.post(reverse(ADD), profile_form(slug="wren"))
    assert refused.status_code == 200 and not AuthorProfile.objects.exists()
    assert client.post(reverse(ADD), profile_form()).status_code == 302
    assert AuthorProfile.objects.get().user == writer
    assert client.get(reverse(ADD)).status_code == 403


def test_an_author_changes_their_own_profile_but_not_anothers(django_user_model, profile):
    """Another's profile is neither listed nor opened nor changed by an author."""
    writer = member_of("Author", "wren", django_user_model)
    own = AuthorProfile.objects.create(user=writer, slug="wren-w", display_name="Wren")
    client = logged_in(writer)
    listed = client.get(reverse("admin:posts_authorprofile_changelist"))
    assert list(listed.context["cl"].result_list) == [own]
    change = reverse("admin:posts_authorprofile_change", args=[own.pk])
    assert client.post(change, profile_form(display_name="Wren W.")).status_code == 302
    own.refresh_from_db()
    assert own.display_name == "Wren W."

    change = reverse("admin:posts_authorprofile_change", args=[profile.pk])
    client.post(change, profile_form(display_name="Taken over", slug="ana-silva"))
    delete = reverse("admin:posts_authorprofile_delete", args=[profile.pk])
    client.post(delete, {"post": "yes"})
    profile.refresh_from_db()
    assert profile.display_name == "Ana S. Silva"
    # Authors keep their own profile: deleting it is the editors'.
    assert (
        client.post(
            reverse("admin:posts_authorprofile_delete", args=[own.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_an_editor_writes_anyones_profile(django_user_model, profile, ana):
    """Editors add a profile for a writer, chosen among staff without one, and change
    anyone's."""
    editor = member_of("Editor", "ed", django_user_model)
    writer = member_of("Author", "wren", django_user_model)
    client = logged_in(editor)
    page = client.get(reverse(ADD))
    assertContains(page, ">wren</option>")
    assertNotContains(page, f">{LOGIN_NAME}</option>")  # has a profile already
    assert client.post(reverse(ADD), profile_form(user=str(writer.pk))).status_code == 302
    assert AuthorProfile.objects.get(slug="wren-writer").user == writer
    change = reverse("admin:posts_authorprofile_change", args=[profile.pk])
    data = profile_form(display_name="Ana Silva", slug="ana-silva")
    assert client.post(change, data).status_code == 302
    profile.refresh_from_db()
    assert (profile.display_name, profile.user) == ("Ana Silva", ana)


def test_the_roles_have_their_profile_permissions():
    """Authors add, change and view profiles (their own, as the admin keeps them); editors
    also delete them and reach everyone's."""

    def codenames(group):
        permissions = Permission.objects.filter(group__name=group, codename__contains="profile")
        return set(permissions.values_list("codename", flat=True))

    assert codenames("Author") == {
        "add_authorprofile",
        "change_authorprofile",
        "view_authorprofile",
    }
    assert codenames("Editor") == codenames("Author") | {
        "delete_authorprofile",
        "edit_others_profiles",
    }
    assert Group.objects.filter(name__in=["Author", "Editor"]).count() == 2


# The demo


def test_the_demo_author_has_a_page_that_bylines_link_to(client):
    """load_demo gives the demo author a profile; loading again changes nothing."""
    call_command("load_demo", stdout=StringIO())
    profile = AuthorProfile.objects.get()
    assert (profile.slug, profile.display_name) == ("demo-author", "Demo Author")
    assert profile.user.get_username() == "demo"
    assert "<em>Gut and Mind</em>" in profile.bio_html
    updated = profile.updated_at
    call_command("load_demo", stdout=StringIO())
    assert AuthorProfile.objects.get().updated_at == updated
    seed = Post.objects.get(slug="the-link-between-mental-health-and-gut-health")
    assertContains(
        client.get(seed.get_absolute_url()),
        '<a href="/authors/demo-author/" rel="author">Demo Author</a>',
        html=True,
    )
    assertContains(client.get(author_url("demo-author")), "3 posts · Subscribe")
