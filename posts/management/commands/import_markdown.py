"""Create or update series and posts from Markdown files with YAML front matter.

DIR/series/*.md hold series (title, slug; the body is the description) and DIR/posts/*.md hold
posts (title, slug, status, published_at, author, summary, tags, series, resources; the body is
the post). Running it twice changes nothing the second time.
"""

import datetime
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from posts.models import (
    Post,
    PreviousSlug,
    Resource,
    Series,
    SeriesPart,
    clean_tag_names,
)
from posts.rendering import RenderError

RESOURCE_FIELDS = ["number", "title", "authors", "venue", "year", "url", "doi", "pmid"]


def read_front_matter(path):
    """The YAML mapping and the Markdown body of a file that starts with a `---` block."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise CommandError(f"{path}: no front matter (the file must start with a '---' line)")
    front, separator, body = text[4:].partition("\n---\n")
    if not separator:
        raise CommandError(f"{path}: the front matter has no closing '---' line")
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as error:
        raise CommandError(f"{path}: front matter is not valid YAML: {error}") from error
    if not isinstance(meta, dict):
        raise CommandError(f"{path}: front matter must be a mapping of fields")
    return meta, body.strip("\n") + "\n"


def _datetime(value, path):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value))
        if moment is None:
            raise CommandError(f"{path}: published_at {value!r} is not a date and time")
    if moment.tzinfo is None:
        raise CommandError(f"{path}: published_at needs a time zone, such as +00:00")
    return moment


def _assign(instance, values):
    """Set the values that differ; say whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _validated(instance, path, exclude=(), *, fields_only=False):
    try:
        if fields_only:
            instance.clean_fields(exclude=list(exclude))
        else:
            instance.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as error:
        messages = "; ".join(
            f"{field}: {' '.join(errs)}" for field, errs in error.message_dict.items()
        )
        raise CommandError(f"{path}: {messages}") from error
    return instance


class Command(BaseCommand):
    help = "Create or update series and posts from Markdown files with front matter in DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}
        with transaction.atomic():
            for path in sorted((directory / "series").glob("*.md")):
                self.import_series(path)
            posts = {
                path: self.import_post(path) for path in sorted((directory / "posts").glob("*.md"))
            }
            # Posts may link to posts later in the directory: check links once all are in.
            for path, post in posts.items():
                _validated(post, path)
                if missing := post.missing_resources():
                    numbers = ", ".join(f"#{number}" for number in missing)
                    raise CommandError(f"{path}: the text cites resource {numbers}, not listed")
        self.stdout.write(
            "Imported {created} new, {updated} updated, {unchanged} unchanged.".format(
                **self.counts
            )
        )

    def count(self, created, changed):
        self.counts["created" if created else "updated" if changed else "unchanged"] += 1

    def import_series(self, path):
        meta, description = read_front_matter(path)
        slug = meta.get("slug") or path.stem
        series = Series.objects.filter(slug=slug).first()
        created = series is None
        series = series or Series(slug=slug)
        changed = _assign(series, {"title": meta.get("title", ""), "description": description})
        if created or changed:
            _validated(series, path, exclude=["description_html"]).save()
        self.count(created, changed)

    def import_post(self, path):
        meta, body = read_front_matter(path)
        slug = meta.get("slug") or path.stem
        username = meta.get("author")
        author = get_user_model().objects.filter(username=username).first()
        if author is None:
            raise CommandError(f"{path}: no user named {username!r} for the author")

        post = Post.objects.filter(slug=slug).first()
        if post is None and (previous := PreviousSlug.objects.filter(slug=slug).first()):
            post = previous.post  # renamed since: the file's slug is the one to keep
        created = post is None
        post = post or Post(slug=slug)
        changed = _assign(
            post,
            {
                "title": meta.get("title", ""),
                "slug": slug,
                "author_id": author.pk,
                "summary": meta.get("summary", "") or "",
                "body": body,
                "status": meta.get("status", Post.Status.DRAFT),
                # Without a date in the file, keep the one the post was published with.
                "published_at": _datetime(meta.get("published_at"), path) or post.published_at,
            },
        )
        if created or changed:
            _validated(post, path, fields_only=True)
            try:
                post.save()
            except RenderError as error:
                raise CommandError(f"{path}: {error}") from error

        changed |= self.sync_tags(post, meta.get("tags") or [], path)
        changed |= self.sync_series(post, meta.get("series") or [], path)
        changed |= self.sync_resources(post, meta.get("resources") or [], path)
        if created:
            # Its content dates from the file, not from this import.
            changed_at = _datetime(meta.get("updated_at"), path) or post.published_at
            if changed_at is not None:
                post.content_changed_at = changed_at
                Post.objects.filter(pk=post.pk).update(content_changed_at=changed_at)
        self.count(created, changed)
        return post

    def sync_tags(self, post, names, path):
        try:
            names = clean_tag_names([str(name) for name in names])
        except ValidationError as error:
            raise CommandError(f"{path}: tags: {' '.join(error.messages)}") from error
        if sorted(tag.name.casefold() for tag in post.tags.all()) == sorted(
            name.casefold() for name in names
        ):
            return False
        post.tags.set(names)
        return True

    def sync_series(self, post, entries, path):
        wanted = set()
        for entry in entries:
            series = Series.objects.filter(slug=entry.get("slug")).first()
            if series is None:
                raise CommandError(f"{path}: no series with slug {entry.get('slug')!r}")
            wanted.add((series.pk, int(entry["position"])))
        existing = set(post.series_parts.values_list("series_id", "position"))
        if wanted == existing:
            return False
        post.series_parts.all().delete()
        SeriesPart.objects.bulk_create(
            SeriesPart(post=post, series_id=series_id, position=position)
            for series_id, position in sorted(wanted)
        )
        return True

    def sync_resources(self, post, entries, path):
        wanted = [
            {
                field: entry.get(field) or ("" if field not in ("number", "year") else None)
                for field in RESOURCE_FIELDS
            }
            for entry in entries
        ]
        existing = list(post.resources.values(*RESOURCE_FIELDS))
        if wanted == existing:
            return False
        resources = [_validated(Resource(post=post, **values), path) for values in wanted]
        post.resources.all().delete()
        Resource.objects.bulk_create(resources)
        post.mark_content_changed()
        return True
