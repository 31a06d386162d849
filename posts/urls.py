from django.urls import path, register_converter

from posts import converters, views

app_name = "posts"

register_converter(converters.YearConverter, "year")
register_converter(converters.MonthConverter, "month")

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("posts/<slug:slug>/", views.post_detail, name="post"),
    # taggit makes Unicode slugs ("über-den-darm"), which <slug:> would not match.
    path("tags/<str:slug>/", views.tag_detail, name="tag"),
    path("series/", views.series_list, name="series_list"),
    path("series/<slug:slug>/", views.series_detail, name="series"),
    path("archive/", views.archive, name="archive"),
    path("archive/<year:year>/", views.archive_year, name="archive_year"),
    path("archive/<year:year>/<month:month>/", views.archive_month, name="archive_month"),
]
