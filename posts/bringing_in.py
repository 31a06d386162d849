"""How posts.moving_in.bring_in writes an export's posts: authors, slugs, the Markdown with
links between the posts as `post:` links and images from the uploads folder as `image:` ones,
tags, series, and every old address."""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils.text import Truncator, slugify
from django.utils.timezone import now
from taggit.models import Tag

from posts.former_addresses import FormerAddress, ImportedPost, normal_path
from posts.from_html import as_markdown
from posts.images import Image, validate_image_file
from posts.models import AuthorProfile, Post, PreviousSlug, Series, SeriesPart

# Where WordPress and Ghost serve uploads from: the folder given holds what follows.
UPLOADS = ("/wp-content/uploads/", "/content/images/")
# The sizes WordPress makes of an upload: image-300x200.jpg, a copy of image.jpg.
SIZED_COPY = re.compile(r"-\d+x\d+(?=\.\w+$)")
LINK_SCHEMES = ("http", "https", "mailto", "")
MAX_PATH = FormerAddress._meta.get_field("path").max_length
SERIES_TITLE_LENGTH = Series._meta.get_field("title").max_length
TAG_LENGTH = 95  # taggit's name holds 100: room for the "_2" a taken slug gets
PHOTON = re.compile(r"i\d\.wp\.com")
STATUSES = {"published": Post.Status.PUBLISHED, "scheduled": Post.Status.PUBLISHED}


@dataclass(frozen=True)
class Outline:
    """What writing one post needs to know of the others, kept for the whole export while
    each post's text is read, written and let go."""

    source_id: str
    slug: str  # the export's
    title: str
    status: str
    published_at: datetime | None
    old_paths: tuple

    @classmethod
    def of(cls, item):
        fields = ("source_id", "slug", "title", "status", "published_at")
        return cls(*(getattr(item, name) for name in fields), tuple(item.old_paths))


def first_free(base, taken):
    """The base name, or base-2, base-3… whichever is first not `taken`."""
    name, number = base, 1
    while taken(name):
        number += 1
        name = f"{base}-{number}"
    return name


def fitted(text, length):
    return Truncator(text).chars(length)


def host(name):
    """A host name as the same site knows it, with or without its `www.`."""
    return (name or "").lower().removeprefix("www.")


class Writer:
    """Reads the export's posts twice: first their outlines (links between posts are
    rewritten from every post's addresses), then each post to write it, so that an export
    is never held whole."""

    def __init__(self, export, report, *, media, overwrite, dry_run):
        self.export, self.report = export, report
        self.media = Path(media).resolve() if media else None
        self.overwrite, self.dry_run = overwrite, dry_run
        self.site = urlsplit(export.site_url)
        self.imported = {}  # source id: its ImportedPost, for posts brought in before
        self.images = {}  # URL: image id, for this import and those before
        self.files = {}  # path in the uploads folder: image id
        self.added = []  # (cache, key) for each image the post being written brought in
        self.saved = []  # and the files it stored
        self.slugs = {}  # source id: the slug here
        self.taken = set()  # and the slugs given, to find one taken in a step
        self.paths = {}  # old path: slug here
        self.scheduled = {}  # slug here: the scheduled post's outline
        self.left_out = set()  # positions of items without an id of their own

    def run(self):
        self.outline()
        for position, item in enumerate(self.export.posts):
            if position in self.left_out:
                continue
            self.added, self.saved = [], []
            try:
                with transaction.atomic():
                    self.write(item)
            except Exception as error:  # whatever one post holds, the others come in
                self.forget_images()
                self.report.failed.append(item.source_id)
                self.report.warn(item.slug, f"not imported: {error}")
        self.old_addresses_of_tags_and_series()

    def outline(self):
        outlines, seen = [], set()
        for position, item in enumerate(self.export.posts):
            why = (
                "it has no id" if not item.source_id
                else "another post in the export has its id" if item.source_id in seen
                else "its id is longer than 100 characters" if len(item.source_id) > 100
                else ""
            )  # fmt: skip
            if why:
                self.left_out.add(position)
                self.report.warn(item.slug, f"not imported: {why} {item.source_id[:100]!r}")
                continue
            seen.add(item.source_id)
            outlines.append(Outline.of(item))
        self.imported = {
            row.source_id: row
            for row in ImportedPost.objects.filter(
                source=self.export.source, source_id__in=seen
            ).select_related("post")
        }
        for row in ImportedPost.objects.filter(source=self.export.source):
            self.images.update(row.images)
        for outline in outlines:
            slug = self.slugs[outline.source_id] = self.slug_for(outline)
            if outline.status == "scheduled":
                self.scheduled[slug] = outline
            for path in outline.old_paths:
                self.paths[normal_path(path)] = slug

    def forget_images(self):
        """A post that failed took its images with it (rolled back): no other post may use
        them, and their files go too."""
        self.report.images_imported -= sum(cache is self.files for cache, _ in self.added)
        for cache, key in self.added:
            cache.pop(key, None)
        for file in self.saved:
            # Files are named by their content: another image may share this one's.
            if not Image.objects.filter(file=file.name).exists():
                file.storage.delete(file.name)

    def slug_for(self, item):
        self.taken.add(slug := self.unique_slug(item))
        return slug

    def unique_slug(self, item):
        """Its slug here: kept for a post brought in before (it may have been renamed), else
        the export's, made unique among this site's posts and their former addresses."""
        if row := self.imported.get(item.source_id):
            return row.post.slug
        base = slugify(item.slug)[:190] or slugify(f"post-{item.source_id}")
        slug = first_free(base, lambda slug: slug in self.taken or self.slug_taken(slug))
        if slug != base:
            self.report.warn(item.slug, f"the slug {base!r} is taken here: written as {slug!r}")
        return slug

    @staticmethod
    def slug_taken(slug):
        return (
            Post.objects.filter(slug=slug).exists()
            or PreviousSlug.objects.filter(slug=slug).exists()
        )

    def write(self, item):
        for message in item.warnings:
            self.report.warn(item.slug, message)
        self.report.shortcodes.update(item.shortcodes)
        row = self.imported.get(item.source_id)
        post = row.post if row else Post()
        if row and row.version != post.version and not self.overwrite:
            self.report.kept.append(post.slug)
            return
        images = dict(row.images) if row else {}
        body = as_markdown(
            item.html,
            lambda href: self.link_for(href, item),
            lambda src, alt: self.image_for(src, item, images, alt),
        )
        post.title = self.fitted(item, "title", item.title, 200)
        post.title = post.title or item.slug.replace("-", " ").capitalize()
        post.slug = self.slugs[item.source_id]
        post.body = body
        post.summary = self.fitted(item, "summary", item.summary, 300)
        post.status = STATUSES.get(item.status, Post.Status.DRAFT)
        post.published_at = item.published_at if post.status == Post.Status.PUBLISHED else None
        post.email_subscribers = False  # published there already
        post.author = self.author(item.author)
        if item.feature_image:
            image = self.image_for(item.feature_image, item, images)[0]
            post.feature_image_id = int(image[6:]) if image.startswith("image:") else None
            if image in self.report.images_missing:
                self.report.warn(item.slug, "its feature image is not in the uploads folder")
        if post.pk is None:  # when it last changed there: feeds' and the page's updated date
            changed = item.modified_at or item.published_at
            post.content_changed_at = max(
                filter(None, [changed, item.published_at]), default=now()
            )
        # Links are resolved once all posts are written: the text is not checked here.
        post.clean_fields(exclude=["body", "slug", "feature_image", "author"])
        created = post.pk is None
        post.save()
        # A tag's address gets a number when taken: its name leaves room for one.
        tags = list(dict.fromkeys(self.fitted(item, "tag", tag, TAG_LENGTH) for tag in item.tags))
        post.tags.set(tags)
        self.report.tags.update(tags)
        series = [self.fitted(item, "series", title, SERIES_TITLE_LENGTH) for title in item.series]
        self.place_in_series(post, series)
        for path in item.old_paths:
            self.keep_address(path, slug=item.slug, post=post)
        ImportedPost.objects.update_or_create(
            source=item.source,
            source_id=item.source_id,
            defaults={"post": post, "version": post.version, "images": images},
        )
        self.report.posts[item.status] += 1
        self.report.created += created
        self.report.updated += not created

    def fitted(self, item, what, text, length):
        """The text cut to the length a field holds, saying so when it had to be."""
        if len(text) > length:
            self.report.warn(
                item.slug, f"its {what} is longer than {length} characters: shortened"
            )
        return fitted(text, length)

    def link_for(self, href, item):
        """`post:slug` for a link to another post of the export; other links on the old site
        made absolute; links with another scheme (javascript:) dropped."""
        try:
            parts = urlsplit(href.strip())
        except ValueError:
            return None
        if parts.scheme.lower() not in LINK_SCHEMES:
            return None
        if href.startswith("#") or parts.scheme == "mailto":
            return href
        if parts.netloc and host(parts.hostname) != host(self.site.hostname):
            return href
        path = normal_path(parts.path + (f"?{parts.query}" if parts.query else ""))
        slug = self.paths.get(path) or self.paths.get(normal_path(parts.path))
        if slug is None and "\x00" not in path:  # a post brought in by an earlier import
            earlier = FormerAddress.objects.filter(path__in={path, normal_path(parts.path)})
            slug = earlier.exclude(post=None).values_list("post__slug", flat=True).first()
        if slug:
            self.report.links_rewritten += 1
            self.warn_of_link_to_later(item, slug)
            return f"post:{slug}" + (f"#{parts.fragment}" if parts.fragment else "")
        return urljoin(self.export.site_url + "/", href)

    def warn_of_link_to_later(self, item, slug):
        """A link from a public post to one scheduled after it leads to a page that is not
        there until then, which the admin would refuse to publish: said, and kept."""
        target = self.scheduled.get(slug)
        goes_public = item.published_at if item.status != "draft" else None
        if target and goes_public and target.published_at and target.published_at > goes_public:
            message = (
                f"links to “{target.title}”, scheduled for {target.published_at:%Y-%m-%d %H:%M} "
                "UTC, later than this post: the link leads to no page until then"
            )
            if message not in self.report.warnings.get(item.slug, []):
                self.report.warn(item.slug, message)

    def image_for(self, src, item, images, alt_here=""):
        """(`image:ID`, alt text) for an image found in the uploads folder, else its absolute
        address on the old site, listed as missing. The alt text is the library's, else the
        one the post gives it."""
        alt = item.images.get(src) or alt_here
        if src.startswith("data:"):
            self.report.warn(
                item.slug, "an image pasted into the text (a data: address) was left out"
            )
            return "", alt
        if not src:
            return "", alt
        url = urljoin(self.export.site_url + "/", src)
        if url in self.images and Image.objects.filter(pk=self.images[url]).exists():
            images[url] = self.images[url]
            return f"image:{self.images[url]}", alt
        path = self.uploaded_file(url)
        if path is None:
            self.report.images_missing.setdefault(url)
            return url, alt
        if (known := self.files.get(path)) is not None:  # a sized copy of one brought in
            images[url] = self.images[url] = known
            self.added.append((self.images, url))
            return (f"image:{known}" if known else url), alt
        if self.dry_run:
            self.report.images_imported += 1
            self.files[path] = 0
            self.added.append((self.files, path))
            return url, alt
        with path.open("rb") as file:
            upload = File(file, name=path.name)
            validate_image_file(upload)
            # Saved as an upload is, so that where and with what it was taken is left behind.
            image = Image(alt_text=(alt or item.title or path.stem)[:300], file=upload)
            image.save()
        self.report.images_imported += 1
        self.images[url] = images[url] = self.files[path] = image.pk
        self.added += [(self.images, url), (self.files, path)]
        self.saved.append(image.file)
        return f"image:{image.pk}", alt

    def serves_uploads(self, parts):
        """Whether the address is the old site's own upload: on its host or a subdomain, or
        through WordPress's image CDN (i0.wp.com/its-host/…); another site's uploads are not
        in its folder, whatever their path."""
        site, asked = host(self.site.hostname), host(parts.hostname)
        if asked == site or asked.endswith(f".{site}"):
            return True
        return bool(PHOTON.fullmatch(asked)) and parts.path.startswith(f"/{site}/")

    def uploaded_file(self, url):
        """The file in the uploads folder that the URL serves (its full size, if the sized
        copy is missing), never anything outside the folder."""
        parts = urlsplit(url)
        prefix = next((prefix for prefix in UPLOADS if prefix in parts.path), None)
        if self.media is None or prefix is None or not self.serves_uploads(parts):
            return None
        path = parts.path
        relative = unquote(path.split(prefix, 1)[1])
        for candidate in (relative, SIZED_COPY.sub("", relative)):
            found = (self.media / candidate).resolve()
            if found.is_relative_to(self.media) and found.is_file():
                try:
                    with found.open("rb") as file:
                        validate_image_file(File(file, name=found.name))
                except ValidationError as error:
                    self.report.warn("", f"{url}: not imported ({' '.join(error.messages)})")
                    return None
                return found
        return None

    def author(self, name):
        """The user whose author profile has that display name, or one an import made with
        that name, else a new one without a password."""
        name = str(name or "").strip() or "Imported author"
        profile = AuthorProfile.objects.filter(display_name=name).select_related("user").first()
        if profile:
            return profile.user
        User = get_user_model()
        first, _, last = name.partition(" ")
        username = slugify(name)[:140]
        matching = Q(first_name=first, last_name=last)
        if username:
            # By login, only one an import made, which has no password: an old site's "admin"
            # is not this site's administrator.
            matching |= Q(username=username, password__startswith=UNUSABLE_PASSWORD_PREFIX)
        if found := User.objects.filter(matching).first():
            return found
        # A name in another script has no ASCII slug: each such author a login of their own.
        taken = User.objects.filter
        username = first_free(
            username or "imported-author", lambda name: taken(username=name).exists()
        )
        user = User(username=username, first_name=first[:150])
        user.last_name = last[:150]
        user.set_unusable_password()
        user.save()
        return user

    def place_in_series(self, post, titles):
        for title in titles:
            series = Series.objects.filter(title=title).first() or Series.objects.create(
                title=title, slug=self.series_slug(title)
            )
            self.report.series.add(title)
            if not SeriesPart.objects.filter(series=series, post=post).exists():
                last = series.parts.order_by("-position").first()
                SeriesPart.objects.create(
                    series=series, post=post, position=(last.position + 1) if last else 1
                )

    @staticmethod
    def series_slug(title):
        taken = Series.objects.filter
        return first_free(slugify(title)[:190] or "series", lambda slug: taken(slug=slug).exists())

    def old_addresses_of_tags_and_series(self):
        for path, name in self.export.tag_paths.items():
            name = fitted(name, TAG_LENGTH)  # as `write` shortened it
            if tag := Tag.objects.filter(name__iexact=name).first():
                self.keep_address(path, tag=tag)
        for path, title in self.export.series_paths.items():
            title = fitted(title, SERIES_TITLE_LENGTH)
            if series := Series.objects.filter(title=title).first():
                self.keep_address(path, series=series)

    def keep_address(self, path, *, slug="", **target):
        """Keep an old address for what it leads to now (one of post, tag or series)."""
        path = normal_path(path)
        if len(path) > MAX_PATH:
            self.report.warn(slug, f"the old address {path[:80]}… is too long to keep")
            return
        leads_to = {"post": None, "tag": None, "series": None, **target}
        FormerAddress.objects.update_or_create(path=path, defaults=leads_to)
        self.report.addresses += 1
