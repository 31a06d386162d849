from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from taggit.models import Tag

from posts.models import Post, Resource, Series, SeriesPart
from posts.surroundings import series_places

pytestmark = pytest.mark.django_db


def test_published_includes_a_post_whose_time_is_exactly_now(make_post, monkeypatch):
    """A post published at this very moment is public."""
    moment = timezone.now()
    post = make_post(published_at=moment)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert list(Post.objects.published()) == [post]
    assert post.is_published


def test_published_excludes_a_post_scheduled_a_minute_ahead(make_post):
    """A post scheduled a minute from now is not public yet."""
    post = make_post(published_at=timezone.now() + timedelta(minutes=1))
    assert post not in Post.objects.published()
    assert not post.is_published


def test_published_excludes_drafts_even_with_a_past_date(make_post):
    """Status draft wins over a publish date in the past."""
    post = make_post(status=Post.Status.DRAFT)
    assert post not in Post.objects.published()
    assert not post.is_published


def test_publishing_without_a_date_uses_now(make_post):
    """A published post without a date is stamped with the moment of saving."""
    before = timezone.now()
    post = make_post(published_at=None)
    assert before.replace(microsecond=0) <= post.published_at <= timezone.now()
    assert post.is_published


def test_draft_without_a_date_keeps_it_empty(make_post):
    """A draft has no publish date until it is published."""
    assert make_post(status=Post.Status.DRAFT, published_at=None).published_at is None


def test_save_fills_slug_and_renders_body(make_post):
    """The slug comes from the title; body_html and reading time are derived at save."""
    post = make_post(title="The Gut–Brain Axis, Explained", body="## Why\n\n<script>x()</script>")  # noqa: RUF001
    assert post.slug == "the-gutbrain-axis-explained"
    assert post.body_html == (
        '<h2 id="md-why">Why <a aria-label="Link to this section" class="permalink"'
        ' href="#md-why">#</a></h2>\nx()'
    )
    assert post.reading_minutes == 1


def test_body_html_follows_every_edit(make_post):
    """Editing the Markdown re-renders the stored HTML."""
    post = make_post(body="*one*")
    post.body = "**two**"
    post.save()
    post.refresh_from_db()
    assert post.body_html == "<p><strong>two</strong></p>"


def test_slugs_are_unique(make_post):
    """Two posts cannot share an address."""
    make_post(slug="same")
    with pytest.raises(IntegrityError):
        make_post(slug="same")


def test_clean_reports_a_title_without_letters_for_slug(author):
    """A title that gives no slug asks the author for one instead of saving an empty address."""
    post = Post(title="!!!", author=author, body="x")
    with pytest.raises(ValidationError) as error:
        post.full_clean()
    assert "slug" in error.value.message_dict


def test_series_positions_are_unique_within_a_series(make_post):
    """Two posts cannot hold the same position in one series."""
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=make_post(), position=1)
    with pytest.raises(IntegrityError):
        SeriesPart.objects.create(series=series, post=make_post(), position=1)


def test_series_places_skip_unpublished_parts(make_post):
    """Previous and next skip drafts and scheduled parts, and the count is of public parts."""
    series = Series.objects.create(title="Gut and Mind")
    first = make_post(title="First")
    draft = make_post(title="Draft", status=Post.Status.DRAFT)
    middle = make_post(title="Middle")
    scheduled = make_post(title="Later", published_at=timezone.now() + timedelta(days=1))
    last = make_post(title="Last")
    for position, post in enumerate([first, draft, middle, scheduled, last], start=1):
        SeriesPart.objects.create(series=series, post=post, position=position)

    [place] = series_places(middle)
    assert (place.series, place.number, place.total) == (series, 2, 3)
    assert (place.previous, place.next) == (first, last)
    [place] = series_places(first)
    assert (place.number, place.previous, place.next) == (1, None, middle)


def test_a_post_in_two_series_has_a_place_in_each(make_post):
    """Each series gives its own position and neighbours."""
    gut = Series.objects.create(title="Gut and Mind")
    sleep = Series.objects.create(title="Sleep")
    post, other = make_post(), make_post()
    SeriesPart.objects.create(series=gut, post=post, position=2)
    SeriesPart.objects.create(series=gut, post=other, position=1)
    SeriesPart.objects.create(series=sleep, post=post, position=1)
    places = series_places(post)
    assert [(p.series.title, p.number, p.total) for p in places] == [
        ("Gut and Mind", 2, 2),
        ("Sleep", 1, 1),
    ]
    assert places[0].previous == other


def test_series_description_is_rendered_and_sanitised():
    """A series description is Markdown rendered at save, through the same gate."""
    series = Series.objects.create(title="Gut and Mind", description="*Hi* <img src=x onerror=y>")
    assert series.slug == "gut-and-mind"
    assert (
        series.description_html
        == '<p><em>Hi</em> <img src="x" loading="lazy" decoding="async"></p>'
    )


def test_deleting_a_series_or_tag_keeps_the_posts(make_post):
    """Series and tags are labels: removing one never removes a post."""
    post = make_post(tags=["Gut Health"])
    series = Series.objects.create(title="Gut and Mind")
    SeriesPart.objects.create(series=series, post=post, position=1)
    series.delete()
    Tag.objects.get(name="Gut Health").delete()
    post.refresh_from_db()
    assert list(post.tags.all()) == []
    assert not post.series_parts.exists()


def test_resource_links_and_anchor(make_post):
    """A resource knows its anchor and its doi.org and PubMed addresses."""
    resource = Resource(
        post=make_post(), number=4, title="T", doi="https://doi.org/10.1038/x1", pmid=" 30718848 "
    )
    resource.full_clean()
    assert resource.anchor == "resource-4"
    assert resource.doi_url == "https://doi.org/10.1038/x1"
    assert resource.pubmed_url == "https://pubmed.ncbi.nlm.nih.gov/30718848/"


@pytest.mark.parametrize(
    ("field", "value"), [("doi", "not-a-doi"), ("pmid", "PMC123"), ("url", "javascript:alert(1)")]
)
def test_resource_rejects_malformed_identifiers(make_post, field, value):
    """DOI, PMID and URL are checked before they become links."""
    resource = Resource(post=make_post(), number=1, title="T", **{field: value})
    with pytest.raises(ValidationError) as error:
        resource.full_clean()
    assert field in error.value.message_dict


def test_resource_numbers_are_unique_per_post(make_post):
    """A post cannot list two resources under one number."""
    post = make_post()
    Resource.objects.create(post=post, number=1, title="A")
    with pytest.raises(IntegrityError):
        Resource.objects.create(post=post, number=1, title="B")


def test_tags_are_case_insensitive(make_post):
    """ "Gut Health" and "gut health" are one tag (taggit on this Django version)."""
    first = make_post(tags=["Gut Health"])
    second = make_post(tags=["gut health"])
    assert Tag.objects.count() == 1
    assert list(Post.objects.filter(tags__name__iexact="GUT HEALTH").order_by("pk")) == [
        first,
        second,
    ]


def test_tags_prefetch_in_one_query(make_post, django_assert_num_queries):
    """prefetch_related("tags") loads the tags of any number of posts in one query."""
    for _ in range(5):
        make_post(tags=["Gut Health", "Sleep"])
    with django_assert_num_queries(2):
        names = [
            sorted(t.name for t in p.tags.all()) for p in Post.objects.prefetch_related("tags")
        ]
    assert names == [["Gut Health", "Sleep"]] * 5


def test_taggit_most_common_and_similar_objects(make_post):
    """taggit's own managers work: most_common() and similar_objects()."""
    post = make_post(tags=["Gut Health", "Sleep"])
    similar = make_post(tags=["Gut Health", "Sleep"])
    make_post(tags=["Gut Health"])
    assert [(t.name, t.num_times) for t in Post.tags.most_common()] == [
        ("Gut Health", 3),
        ("Sleep", 2),
    ]
    assert post.tags.similar_objects()[0] == similar
