"""Figures with captions and credits, what author HTML may say of renditions, the feature
image, and the link-preview cards that shared links show."""

import io
import json
from html.parser import HTMLParser
from urllib.parse import urlsplit

import feedparser
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PillowImage
from pytest_django.asserts import assertInHTML
from taggit.models import Tag

from posts.images import Image
from posts.models import Post, Series, SeriesPart

pytestmark = pytest.mark.django_db

# feedparser would quietly make relative links absolute and hide the bug a reader would see.
feedparser.RESOLVE_RELATIVE_URIS = False


def photo(size=(1600, 1000), name="harbour.jpg"):
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, (20, 90, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def library(**fields):
    return Image.objects.create(**{"file": photo(), "alt_text": "A harbour at dawn", **fields})


class Page(HTMLParser):
    """A page's elements with their attributes, its <meta> values and its JSON-LD."""

    def __init__(self, html):
        super().__init__()
        self.elements, self.meta, self.json_ld, self._in_json = [], {}, [], False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "meta" and ("name" in attrs or "property" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs["content"]
        self._in_json = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_json:
            self.json_ld.append(json.loads(data))
            self._in_json = False

    def all(self, tag):
        return [attrs for name, attrs in self.elements if name == tag]


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return Page(response.content.decode())


# Figures and captions


def test_a_lone_image_with_a_title_is_a_figure_with_a_formatted_caption(make_post):
    image = library()
    post = make_post(
        body=f'![desc](image:{image.pk} "A *caption* with [a link](https://example.org)")'
    )
    assert post.body_html.startswith("<figure><img ")
    assertInHTML(
        "<figcaption>A <em>caption</em> with "
        '<a href="https://example.org" rel="noopener noreferrer">a link</a></figcaption>',
        post.body_html,
    )
    [img] = Page(post.body_html).all("img")
    assert (img["src"], img["alt"]) == (image.file.url, "desc")


def test_a_figure_credits_its_image_with_a_link(make_post):
    image = library(credit="Photo: Ana", credit_url="https://example.org/ana")
    post = make_post(body=image.markdown)
    assertInHTML(
        '<figcaption><span class="credit"><a href="https://example.org/ana" '
        'rel="noopener noreferrer">Photo: Ana</a></span></figcaption>',
        post.body_html,
    )


@pytest.mark.parametrize(
    "caption",
    ["<script>alert(1)</script>", "[x](javascript:alert(1))", "{: onclick=alert(1)}"],
    ids=["script", "javascript-link", "attribute-list"],
)
def test_hostile_captions_are_neutralised(make_post, caption):
    image = library()
    post = make_post(body=f'![d](image:{image.pk} "{caption}")')
    elements = Page(post.body_html).elements
    assert [tag for tag, _ in elements][:2] == ["figure", "img"]
    assert "script" not in [tag for tag, _ in elements]
    assert not [name for _, attrs in elements for name in attrs if name.startswith("on")]
    assert "javascript" not in str([attrs for _, attrs in elements])


@pytest.mark.parametrize(
    "html",
    [
        '<img src=x srcset="https://evil.example/a.png 1x">',
        '<picture><source srcset="https://evil.example/x" type="image/webp">'
        '<img src="/a.png"></picture>',
    ],
    ids=["img-srcset", "picture-source"],
)
def test_author_html_cannot_point_renditions_elsewhere(make_post, html):
    """A srcset or <source> would make readers' browsers fetch from another site."""
    post = make_post(body=html)
    assert "evil.example" not in post.body_html
    assert len(Page(post.body_html).all("img")) == 1  # the image itself stays
    assert not Page(post.body_html).all("source")


def test_author_html_may_list_the_sites_own_renditions(make_post):
    post = make_post(body='<img src="/media/a.jpg" srcset="/media/a/400w.jpeg 400w">')
    [img] = Page(post.body_html).all("img")
    assert img["srcset"] == "/media/a/400w.jpeg 400w"


def test_a_figure_of_a_missing_image_is_its_description(make_post):
    post = make_post(body="![A chart of nothing](image:999999)")
    assert post.body_html == "<p><span>A chart of nothing</span></p>"


# Link-preview cards


def card_of(client, url):
    """The card a page names, fetched as a link preview would fetch it."""
    meta = page(client, url).meta
    address = urlsplit(meta["og:image"])
    assert address.scheme == "http" and address.netloc == "testserver"
    response = client.get(address.path)
    assert response.status_code == 200
    with PillowImage.open(io.BytesIO(response.content)) as card:
        size, kind = card.size, card.format
    return meta, response, size, kind


def test_a_post_page_names_a_card_drawn_for_it(client, make_post):
    post = make_post(title="Vagus nerve signalling")
    meta, response, size, kind = card_of(client, post.get_absolute_url())
    assert meta["og:image"].startswith(f"http://testserver/posts/{post.slug}/card/")
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    assert meta["og:image:alt"] == "Vagus nerve signalling"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["twitter:image"] == meta["og:image"]
    assert (response["Content-Type"], kind, size) == ("image/png", "PNG", (1200, 630))
    assert "immutable" in response["Cache-Control"]


def test_a_new_title_is_a_new_card_and_the_old_address_sends_on(client, make_post):
    post = make_post(title="First title")
    old = urlsplit(page(client, post.get_absolute_url()).meta["og:image"]).path
    post.title = "A better title"
    post.save()
    new = urlsplit(page(client, post.get_absolute_url()).meta["og:image"]).path
    assert new != old
    response = client.get(old)
    assert (response.status_code, response["Location"]) == (302, new)


def test_a_card_name_that_was_never_made_sends_on_and_an_unknown_post_has_none(client, make_post):
    post = make_post()
    current = urlsplit(page(client, post.get_absolute_url()).meta["og:image"]).path
    garbage = client.get(reverse("posts:post_card", args=[post.slug, "garbage.png"]))
    assert (garbage.status_code, garbage["Location"]) == (302, current)
    unknown = client.get(reverse("posts:post_card", args=["no-such-post", "x.png"]))
    assert unknown.status_code == 404


def test_a_draft_has_no_card(client, make_post):
    draft = make_post(status=Post.Status.DRAFT, published_at=None)
    response = client.get(reverse("posts:post_card", args=[draft.slug, "x.png"]))
    assert response.status_code == 404


def test_the_sites_own_pages_share_the_site_card(client, make_post):
    post = make_post(tags=["Microbiome"])
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=post, position=1)
    tag = Tag.objects.get(name="Microbiome")
    pages = [reverse("posts:home"), reverse("posts:tag", args=[tag.slug])]
    cards = {page(client, url).meta["og:image"] for url in [*pages, series.get_absolute_url()]}
    assert len(cards) == 1
    assert urlsplit(cards.pop()).path.startswith("/card/")
    _meta, response, size, kind = card_of(client, reverse("posts:home"))
    assert (response["Content-Type"], kind, size) == ("image/png", "PNG", (1200, 630))


# The feature image


@pytest.fixture
def featured(make_post):
    image = library(alt_text="Fishing boats in the harbour")
    return make_post(title="A post with a photo", feature_image=image)


def test_a_post_with_a_feature_image_is_shared_as_that_photo(client, featured):
    meta, response, size, kind = card_of(client, featured.get_absolute_url())
    assert (response["Content-Type"], kind, size) == ("image/jpeg", "JPEG", (1200, 630))
    assert meta["og:image:alt"] == "Fishing boats in the harbour"
    with PillowImage.open(io.BytesIO(response.content)) as card:
        assert card.convert("RGB").getpixel((600, 315)) == pytest.approx((20, 90, 160), abs=8)


def test_the_feature_image_heads_the_post_and_loads_first(client, featured):
    shown = page(client, featured.get_absolute_url())
    [img] = [img for img in shown.all("img") if img["src"] == featured.feature_image.file.url]
    assert img["fetchpriority"] == "high"
    assert img["alt"] == "Fishing boats in the harbour"
    [posting] = shown.json_ld
    assert posting["image"]["url"] == "http://testserver" + featured.feature_image.file.url
    assert (posting["image"]["width"], posting["image"]["height"]) == (1600, 1000)


def parsed_feed(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return {entry.title: entry for entry in feed.entries}


@pytest.mark.parametrize("feed", ["posts:feed_atom", "posts:feed_rss"])
def test_feeds_enclose_the_feature_image_and_only_where_there_is_one(
    client, make_post, featured, feed
):
    make_post(title="A post without a photo")
    entries = parsed_feed(client, feed)
    image = featured.feature_image
    [enclosure] = entries["A post with a photo"].enclosures
    assert enclosure.href == "http://testserver" + image.file.url
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == image.file.size
    assert entries["A post without a photo"].enclosures == []


def test_the_rss_feed_offers_the_feature_image_as_media_content(client, make_post, featured):
    make_post(title="A post without a photo")
    entries = parsed_feed(client, "posts:feed_rss")
    [media] = entries["A post with a photo"].media_content
    assert media["url"] == "http://testserver" + featured.feature_image.file.url
    assert (media["medium"], media["type"]) == ("image", "image/jpeg")
    assert (media["width"], media["height"]) == ("1600", "1000")
    assert "media_content" not in entries["A post without a photo"]
