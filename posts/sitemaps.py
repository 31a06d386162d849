"""sitemap.xml: every public page, with when its content last changed."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Count, Max
from django.db.models.functions import Greatest, TruncMonth
from django.urls import reverse
from taggit.models import Tag

from posts.models import AuthorProfile, Post, Series
from posts.page_cache import remembered
from posts.pagination import FromBothEnds


class Sitemap(DjangoSitemap):
    """Addresses on the configured public site, as canonical links are, where one is set.
    The index's sizes and dates, which grow with the archive, are remembered until content
    changes."""

    @property
    def paginator(self):
        return FromBothEnds(self._items(), self.limit, count_key=f"sitemap:{type(self).__name__}")

    def get_latest_lastmod(self):
        return remembered(f"sitemap:{type(self).__name__}:latest", self.newest_change)

    def newest_change(self):
        return super().get_latest_lastmod()

    def get_protocol(self, protocol=None):
        if settings.GUTBRAIN_SITE_URL:
            return urlsplit(settings.GUTBRAIN_SITE_URL).scheme
        return super().get_protocol(protocol)

    def get_domain(self, site=None):
        if settings.GUTBRAIN_SITE_URL:
            return urlsplit(settings.GUTBRAIN_SITE_URL).netloc
        return super().get_domain(site)


# A post counts as changed when it went public, or when its content changed after that.
POST_LASTMOD = Greatest("content_changed_at", "published_at")


class PostSitemap(Sitemap):
    # Pages of 1,000 addresses: each costs the same however many posts there are.
    limit = 1000

    def items(self):
        return (
            Post.objects.published()
            .annotate(lastmod=POST_LASTMOD)
            .only("slug")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, post):
        return post.lastmod

    def newest_change(self):
        return Post.objects.published().aggregate(latest=Max(POST_LASTMOD))["latest"]


class TagSitemap(Sitemap):
    def items(self):
        # Tags of drafts only have no public page yet.
        return (
            Tag.objects.filter(post__in=Post.objects.published())
            .annotate(lastmod=Max(Greatest("post__content_changed_at", "post__published_at")))
            .order_by("slug")
        )

    def location(self, tag):
        return reverse("posts:tag", args=[tag.slug])

    def lastmod(self, tag):
        return tag.lastmod


class SeriesSitemap(Sitemap):
    def items(self):
        return (
            Series.objects.filter(parts__post__in=Post.objects.published())
            .annotate(
                lastmod=Max(
                    Greatest("parts__post__content_changed_at", "parts__post__published_at")
                )
            )
            .order_by("slug")
        )

    def lastmod(self, series):
        return series.lastmod


class AuthorSitemap(Sitemap):
    def items(self):
        # Authors with nothing published yet have no public page.
        return (
            AuthorProfile.objects.filter(user__posts__in=Post.objects.published())
            .annotate(
                lastmod=Greatest(
                    "updated_at",
                    Max(Greatest("user__posts__content_changed_at", "user__posts__published_at")),
                )
            )
            .only("slug")
            .order_by("slug")
        )

    def lastmod(self, profile):
        return profile.lastmod


class ArchiveSitemap(Sitemap):
    """The archive index, and each year and month that has posts."""

    def items(self):
        return remembered("sitemap:archive:items", self._periods)

    def _periods(self):
        months = list(
            Post.objects.published()
            .annotate(month=TruncMonth("published_at"))
            .values("month")
            .annotate(count=Count("id"), lastmod=Max(POST_LASTMOD))
            .order_by("-month")
        )
        years = {}
        for row in months:
            year = row["month"].year
            years[year] = max(years.get(year, row["lastmod"]), row["lastmod"])
        latest = max(years.values(), default=None)
        return (
            [(reverse("posts:archive"), latest)]
            + [(reverse("posts:archive_year", args=[year]), when) for year, when in years.items()]
            + [
                (
                    reverse("posts:archive_month", args=[row["month"].year, row["month"].month]),
                    row["lastmod"],
                )
                for row in months
            ]
        )

    def location(self, item):
        return item[0]

    def lastmod(self, item):
        return item[1]


class PagesSitemap(Sitemap):
    """Pages that list everything: the latest posts, the series and the tags."""

    def items(self):
        return ["posts:home", "posts:series_list", "posts:tag_list"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "pages": PagesSitemap,
    "posts": PostSitemap,
    "tags": TagSitemap,
    "series": SeriesSitemap,
    "authors": AuthorSitemap,
    "archive": ArchiveSitemap,
}


def index(request, **kwargs):
    """Django's sitemap index, its entries as (address, last change in ISO 8601) pairs: with a
    hundred pages of posts, plain pairs cost the template least."""
    response = sitemap_views.index(request, **kwargs)
    response.context_data["sitemaps"] = [
        (entry.location, entry.last_mod.isoformat() if entry.last_mod else None)
        for entry in response.context_data["sitemaps"]
    ]
    return response
