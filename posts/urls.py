from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, register_converter

from posts import converters, feeds, sitemaps, subscribing, views
from posts.sitemaps import SITEMAPS

app_name = "posts"

register_converter(converters.YearConverter, "year")
register_converter(converters.MonthConverter, "month")
register_converter(converters.TagSlugConverter, "tag")

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        sitemaps.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "posts:sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<slug:section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("posts/<slug:slug>/", views.post_detail, name="post"),
    path("posts/<slug:slug>/card/<str:name>", views.post_card, name="post_card"),
    path("posts/<slug:slug>/cite.<str:kind>", views.post_citation, name="post_citation"),
    path("card/<str:name>", views.site_card, name="site_card"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/<tag:slug>/", views.tag_detail, name="tag"),
    path("series/", views.series_list, name="series_list"),
    path("series/<slug:slug>/", views.series_detail, name="series"),
    path("authors/<slug:slug>/", views.author_detail, name="author"),
    path("search/", views.search, name="search"),
    path("subscribe/", subscribing.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", subscribing.confirm, name="confirm"),
    path("subscriptions/<str:token>/", subscribing.subscriptions, name="subscriptions"),
    path("subscriptions/<str:token>/unsubscribe/", subscribing.unsubscribe, name="unsubscribe"),
    path("archive/", views.archive, name="archive"),
    path("archive/<year:year>/", views.archive_year, name="archive_year"),
    path("archive/<year:year>/<month:month>/", views.archive_month, name="archive_month"),
    path("feed/rss/", feeds.site_rss, name="feed_rss"),
    path("feed/atom/", feeds.site_atom, name="feed_atom"),
    path("feed/json/", feeds.site_json, name="feed_json"),
    path("tags/<tag:slug>/feed/rss/", feeds.tag_rss, name="tag_feed_rss"),
    path("tags/<tag:slug>/feed/atom/", feeds.tag_atom, name="tag_feed_atom"),
    path("tags/<tag:slug>/feed/json/", feeds.tag_json, name="tag_feed_json"),
    path("series/<slug:slug>/feed/rss/", feeds.series_rss, name="series_feed_rss"),
    path("series/<slug:slug>/feed/atom/", feeds.series_atom, name="series_feed_atom"),
    path("series/<slug:slug>/feed/json/", feeds.series_json, name="series_feed_json"),
    path("authors/<slug:slug>/feed/rss/", feeds.author_rss, name="author_feed_rss"),
    path("authors/<slug:slug>/feed/atom/", feeds.author_atom, name="author_feed_atom"),
    path("authors/<slug:slug>/feed/json/", feeds.author_json, name="author_feed_json"),
]
