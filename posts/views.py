import datetime
from itertools import groupby

from django.conf import settings
from django.core.paginator import InvalidPage
from django.db.models import Count, Prefetch
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import ngettext
from taggit.models import Tag

from posts import cards, citing
from posts.contents import table_of_contents
from posts.links import site_origin
from posts.models import AuthorProfile, Post, PreviousSlug, Series
from posts.page_cache import remembered
from posts.pagination import FromBothEnds
from posts.search import CANDIDATES as search_candidates
from posts.search import UnknownChoice, clean_query, narrowed_to, narrowing_choices, snippets
from posts.search import search as find_posts
from posts.surroundings import series_places, surroundings


def paginate(request, queryset, *, allow_empty=True, count_key=None):
    """The requested page of `queryset`; a bad or out-of-range page number is a 404."""
    paginator = FromBothEnds(
        queryset,
        settings.GUTBRAIN_POSTS_PER_PAGE,
        allow_empty_first_page=allow_empty,
        count_key=count_key,
    )
    try:
        return paginator.page(request.GET.get("page", 1))
    except InvalidPage as error:
        raise Http404(str(error)) from error


def home(request):
    page = paginate(request, Post.objects.published().for_listing(), count_key="home")
    return render(request, "posts/home.html", {"page": page})


def post_detail(request, slug):
    posts = Post.objects.select_related("author__author_profile", "feature_image")
    post = posts.published().filter(slug=slug).order_by().first()
    unpublished = False
    if post is None and request.user.is_staff:
        # Staff read the drafts and scheduled posts they may edit at their future address,
        # marked as such.
        post = posts.editable_by(request.user).filter(slug=slug).order_by().first()
        unpublished = post is not None
    if post is None:
        # A renamed post answers at its old addresses, straight to the current one.
        previous = get_object_or_404(
            PreviousSlug.objects.select_related("post"),
            slug=slug,
            post__in=Post.objects.published(),
        )
        return redirect(previous.post, permanent=True)
    shown = surroundings(post)
    post.tag_list = shown.pop("tags")
    address = site_origin(request) + post.get_absolute_url()
    response = render(
        request,
        "posts/post_detail.html",
        {
            "post": post,
            "unpublished": unpublished,
            "contents": table_of_contents(post.body_html),
            # A third of an uncached page's time to format: kept until content changes.
            "citation": remembered(
                f"citation:{post.pk}:{address}", lambda: citing.formatted(post, address)
            )
            if not unpublished
            else "",
            "scholar_tags": citing.scholar_tags(post, address) if not unpublished else [],
            **shown,
        },
    )
    if unpublished:
        add_never_cache_headers(response)
    return response


def post_citation(request, slug, kind):
    """The post's reference for a reference manager: BibTeX, RIS or CSL-JSON."""
    post = Post.objects.published().select_related("author__author_profile")
    post = get_object_or_404(post, slug=slug)
    if kind not in citing.WRITERS:
        raise Http404("Citations come as .bib, .ris or .json.")
    item = citing.csl_item(post, site_origin(request) + post.get_absolute_url())
    content_type = citing.FORMATS[kind][0]
    response = HttpResponse(
        citing.WRITERS[kind](item), content_type=f"{content_type}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{post.slug}.{kind}"'
    return response


def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    # A tag used only by drafts is not public yet.
    page = paginate(
        request,
        Post.objects.published().filter(tags=tag).for_listing(),
        allow_empty=False,
        count_key=f"tag:{tag.pk}",
    )
    return render(request, "posts/tag_detail.html", {"tag": tag, "page": page})


def tag_list(request):
    tags = (
        Tag.objects.filter(post__in=Post.objects.published())
        .annotate(published_posts=Count("post"))
        .only("name", "slug")
    )
    # Alphabetical as readers read it: "microbiome" among the Ms, not after "Zinc".
    tags = sorted(tags, key=lambda tag: (tag.name.casefold(), tag.name))
    return render(request, "posts/tag_list.html", {"tags": tags})


def author_detail(request, slug):
    profile = get_object_or_404(AuthorProfile.objects.select_related("photo"), slug=slug)
    # An author with nothing published yet has no public page, as a tag or series has not.
    page = paginate(
        request,
        Post.objects.published().filter(author_id=profile.user_id).for_listing(),
        allow_empty=False,
        count_key=f"author:{profile.pk}",
    )
    return render(request, "posts/author_detail.html", {"profile": profile, "page": page})


def series_list(request):
    series_list = (
        Series.objects.filter(parts__post__in=Post.objects.published())
        .annotate(published_parts=Count("parts"))
        .order_by("title")
    )
    return render(request, "posts/series_list.html", {"series_list": series_list})


def series_detail(request, slug):
    series = get_object_or_404(Series, slug=slug)
    parts = (
        series.parts.filter(post__in=Post.objects.published())
        .select_related("post__author")
        .prefetch_related(Prefetch("post__tags", to_attr="tag_list"))
        .order_by("position")
    )
    # A series whose parts are all drafts is not public yet: no first page.
    page = paginate(request, parts, allow_empty=False, count_key=f"series:{series.pk}")
    return render(request, "posts/series_detail.html", {"series": series, "page": page})


def archive_months():
    """Published posts counted by month, newest first; remembered until content changes."""
    return remembered(
        "archive-months",
        lambda: list(
            Post.objects.published()
            .annotate(month=TruncMonth("published_at"))
            .values("month")
            .annotate(count=Count("*"))  # from the index alone
            .order_by("-month")
        ),
    )


def archive(request):
    # Years only, each year's page lists its months; remembered, so that a hundred years cost
    # little more than one.
    def year_rows():
        for year, months in groupby(archive_months(), key=lambda row: row["month"].year):
            count = sum(row["count"] for row in months)
            yield {
                "year": year,
                # Written here once, rather than by a filter on every row of every rendering.
                "posts": ngettext("%(count)d post", "%(count)d posts", count) % {"count": count},
                "url": reverse("posts:archive_year", args=[year]),
            }

    years = remembered("archive-year-counts", lambda: list(year_rows()))
    return render(request, "posts/archive.html", {"years": years})


def _local_datetime(year, month):
    try:
        return timezone.make_aware(datetime.datetime(year, month, 1))
    except (ValueError, OverflowError) as error:
        raise Http404("No such date.") from error


def archive_year(request, year):
    start, end = _local_datetime(year, 1), _local_datetime(year + 1, 1)
    posts = Post.objects.published().filter(published_at__gte=start, published_at__lt=end)
    page = paginate(request, posts.for_listing(), allow_empty=False, count_key=f"year:{year}")
    months = [row for row in archive_months() if row["month"].year == year]
    return render(
        request,
        "posts/archive_period.html",
        {"page": page, "period": start, "by": "year", "months": reversed(months)},
    )


def archive_month(request, year, month):
    start = _local_datetime(year, month)
    end = _local_datetime(year + month // 12, month % 12 + 1)
    posts = Post.objects.published().filter(published_at__gte=start, published_at__lt=end)
    count_key = f"month:{year}:{month}"
    page = paginate(request, posts.for_listing(), allow_empty=False, count_key=count_key)
    return render(
        request, "posts/archive_period.html", {"page": page, "period": start, "by": "month"}
    )


def search(request):
    # A query repeated in the address counts once: the last, as in a form.
    query = clean_query(request.GET.get("q", ""))
    choices = narrowing_choices()
    context = {"query": query, "choices": choices, "candidates": search_candidates}
    try:
        within = narrowed_to(choices, request.GET.get("tag", ""), request.GET.get("series", ""))
    except UnknownChoice as error:
        context.update(within={}, problem=str(error))
        return render(request, "posts/search.html", context, status=404)
    page = None
    if query:
        ids = {kind: choice.pk for kind, choice in within.items() if choice}
        page = paginate(request, find_posts(query, **ids))
        found = snippets(query, page)
        for post in page:
            # Where only the title or tags match, the summary says more than the text's start.
            snippet = found.get(post.pk, "")
            post.snippet = snippet if "<mark>" in snippet else ""
    # Pages of results keep the narrowing.
    narrowing = {kind: choice.slug for kind, choice in within.items() if choice}
    context.update(page=page, within=within, narrowing=narrowing)
    return render(request, "posts/search.html", context)


def robots_txt(request):
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
        f"Sitemap: {site_origin(request)}{reverse('posts:sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


# A card's address names what it shows, so it never changes: readers and crawlers keep it.
CARD_CACHE_CONTROL = "public, max-age=31536000, immutable"


def post_card(request, slug, name):
    """The link-preview image of a published post (posts.cards); an address made for an
    earlier title or image sends on to the current card."""
    post = Post.objects.published().select_related("feature_image").filter(slug=slug).first()
    if post is None:
        raise Http404("No such post.")
    return card_response(cards.for_post(post, series_places(post)), name)


def site_card(request, name):
    """The link-preview image of the site's own pages."""
    return card_response(cards.for_site(), name)


def card_response(card, name):
    if name != card.address.rsplit("/", 1)[-1]:
        return redirect(card.address)
    image, lasting = cards.content(card)
    response = HttpResponse(image, content_type=CARD_TYPES[card.name[-3:]])
    response["Cache-Control"] = CARD_CACHE_CONTROL if lasting else "public, max-age=600"
    return response


CARD_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return redirect(static("posts/favicon.svg"), permanent=True)
