"""Create or update series and posts from Markdown files with YAML front matter.

DIR/series/*.md hold series (title, slug; the body is the description) and DIR/posts/*.md hold
posts (see posts/markdown_files.py for the fields, posts/front_matter.py for their checks).
Every file is checked before anything is written: a file with a problem is reported with its
field and skipped, the others are imported, and the command then exits with an error. Nothing
outside DIR is read. Running it twice changes nothing the second time.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from posts import effects, front_matter, markdown_files
from posts.images import Image, validate_image_file
from posts.markdown_files import FileProblem
from posts.models import Post, PreviousSlug, Resource, Series, SeriesPart
from posts.references import format_references
from posts.rendering import RenderError, render
from posts.versions import record_version, resource_copies


@dataclass
class SeriesFile:
    path: Path
    series: Series
    created: bool
    changed: bool


@dataclass
class PostFile:
    path: Path
    post: Post
    created: bool
    changed: bool
    author_name: str
    tags: list
    parts: set  # (series slug, position)
    resources: list  # field dicts
    previous_slugs: list
    updated_at: object = None
    problems: list = field(default_factory=list)


def _assign(instance, values):
    """Set the values that differ; say whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _finder(incoming):
    """Finds posts by slug among those being imported first, then among those already here."""

    def find_posts(slugs):
        found = Post.objects.named(slugs - incoming.keys())
        found.update({slug: incoming[slug] for slug in slugs & incoming.keys()})
        return found

    return find_posts


class Command(BaseCommand):
    help = "Create or update series and posts from Markdown files with front matter in DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        self.directory, self.errors = directory, []
        images = self.read_images(directory)
        self.known_images = {entry["id"] for entry in images}
        self.known_images |= set(Image.objects.values_list("pk", flat=True))
        series_files = self.read_all(directory / "series", self.read_series)
        known_series = {plan.series.slug for plan in series_files}
        known_series |= set(Series.objects.values_list("slug", flat=True))
        post_files = self.read_all(directory / "posts", lambda p: self.read_post(p, known_series))
        post_files = self.check_slugs(post_files)
        post_files = self.check_links(post_files)

        # Published where they come from: not news, so nobody is e-mailed about them.
        with effects.importing(), transaction.atomic():
            created_images = self.write_images(images)
            for plan in series_files:
                if plan.created or plan.changed:
                    plan.series.save()
            for plan in post_files:
                try:
                    with transaction.atomic():
                        self.write_post(plan)
                except IntegrityError as error:  # a conflict the checks did not foresee
                    self.errors.append((plan.path, FileProblem(None, f"not saved: {error}")))
                    plan.created = plan.changed = False

        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for plan in [*series_files, *post_files]:
            counts["created" if plan.created else "updated" if plan.changed else "unchanged"] += 1
        self.stdout.write(
            "Imported {created} new, {updated} updated, {unchanged} unchanged.".format(**counts)
        )
        if created_images:
            self.stdout.write(f"Added {created_images} images.")
        if self.errors:
            for path, problem in self.errors:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(f"{len(self.errors)} file(s) not imported; see above.")

    def read_images(self, directory):
        """The entries of images.yaml whose files are in DIR and are images we accept."""
        listing = directory / markdown_files.IMAGES_FILE
        if not listing.exists():
            return []
        try:
            text = markdown_files.read_text(markdown_files.inside(directory, listing))
            entries = markdown_files.load_yaml(text, "the list of images") or []
            if not isinstance(entries, list):
                raise FileProblem(None, "must be a list of images")
        except FileProblem as problem:
            self.errors.append((listing, problem))
            return []
        valid = []
        for number, entry in enumerate(entries, 1):
            try:
                valid.append(self.read_image(directory, entry))
            except FileProblem as problem:
                known = isinstance(entry, dict) and "id" in entry
                which = f"image {entry['id']}" if known else f"entry {number}"
                self.errors.append((f"{listing} ({which})", problem))
        return valid

    def read_image(self, directory, entry):
        """An entry of images.yaml whose file is in DIR and is an image we accept."""
        fields = front_matter.image_fields(entry)
        path = markdown_files.inside(directory, directory / fields["file"], "file")
        if not path.is_file():
            raise FileProblem("file", f"no file at {fields['file']}")
        with path.open("rb") as file:
            try:
                validate_image_file(File(file))
            except ValidationError as error:
                raise FileProblem("file", " ".join(error.messages)) from error
        return {**fields, "path": path}

    def write_images(self, entries):
        """Create the images this site lacks, under their own ids so posts find them."""
        created = 0
        for entry in entries:
            described = {
                "alt_text": entry["description"],
                "credit": entry["credit"],
                "credit_url": entry["credit_url"],
            }
            image = Image.objects.filter(pk=entry["id"]).first()
            if image is not None:
                if _assign(image, described):
                    image.save(update_fields=list(described))
                continue
            image = Image(pk=entry["id"], **described)
            with entry["path"].open("rb") as file:
                name = Path(entry["file"]).name.split("-", 1)[-1]
                image.file.save(name, File(file), save=True)
            if entry["uploaded_at"]:
                Image.objects.filter(pk=image.pk).update(uploaded_at=entry["uploaded_at"])
            created += 1
        if created:
            # Ids given by hand leave PostgreSQL's counter behind: bring it up to date.
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), [Image]):
                    cursor.execute(statement)
        return created

    def read_all(self, folder, read):
        plans = []
        for path in sorted(folder.glob("*.md")):
            try:
                plans.append(read(path))
            except FileProblem as problem:
                self.errors.append((path, problem))
        return plans

    def read_series(self, path):
        meta, description = markdown_files.read(path, self.directory)
        fields = front_matter.series_fields(meta)
        slug = fields["slug"] or path.stem
        series = Series.objects.filter(slug=slug).first()
        created = series is None
        series = series or Series(slug=slug)
        changed = _assign(series, {"title": fields["title"], "description": description})
        front_matter.check_fields(series, exclude=["description_html"])
        try:
            render(description)
        except RenderError as error:
            raise FileProblem("description", str(error)) from error
        return SeriesFile(path, series, created, changed)

    def read_post(self, path, known_series):
        meta, body = markdown_files.read(path, self.directory)
        fields = front_matter.post_fields(meta)
        slug, guid = fields["slug"] or path.stem, fields["guid"]
        post = (
            (guid and Post.objects.filter(guid=guid).first())
            or Post.objects.filter(slug=slug).first()
            or getattr(PreviousSlug.objects.filter(slug=slug).first(), "post", None)
        )
        created = post is None
        post = post or Post()
        User = get_user_model()
        author = User.objects.filter(username=fields["author"]).first()
        if author is None:  # to be created: a name the site accepts
            front_matter.check_value(User, "username", fields["author"], "author")
        values = {
            "title": fields["title"],
            "slug": slug,
            "summary": fields["summary"],
            "body": body,
            "status": fields["status"] or Post.Status.DRAFT,
            # Without a date in the file, keep the one the post was published with.
            "published_at": fields["published_at"] or post.published_at,
            "reviewed_on": fields["reviewed_on"],
            **{name: fields[name] for name in front_matter.REVIEW_TEXT_FIELDS},
        }
        if author is not None:
            values["author_id"] = author.pk
        if (image := fields["feature_image"]) is not None and image not in self.known_images:
            raise FileProblem("feature_image", f"no image has the id {image}")
        values["feature_image_id"] = image
        if guid is not None:
            values["guid"] = guid
        changed = _assign(post, values)
        if post.published_at is not None:
            post.published_at = post.published_at.replace(microsecond=0)
        # The feature image may be written by this import: checked against its list above.
        front_matter.check_fields(post, exclude=["author", "feature_image"])

        parts = set()
        for series_slug, position in fields["series"]:
            if series_slug in {slug for slug, _ in parts}:
                raise FileProblem("series", f"{series_slug!r} is listed twice")
            if series_slug not in known_series:
                raise FileProblem("series", f"no series with slug {series_slug!r}")
            parts.add((series_slug, position))
        try:
            cited = render(body, resolve_images=front_matter.check_image_ids).citations
        except RenderError as error:
            raise FileProblem("body", str(error)) from error
        numbers = {resource["number"] for resource in fields["resources"]}
        if missing := sorted(set(cited) - numbers):
            listed = ", ".join(f"#{number}" for number in missing)
            raise FileProblem("body", f"the text cites resource {listed}, not listed")
        return PostFile(
            path=path,
            post=post,
            created=created,
            changed=changed,
            author_name=fields["author"],
            tags=fields["tags"],
            parts=parts,
            resources=fields["resources"],
            previous_slugs=fields["previous_slugs"],
            updated_at=fields["updated_at"],
        )

    def check_slugs(self, plans):
        """A slug, a former slug and a place in a series each belong to one post."""
        valid, slugs, places = [], set(), set()
        importing = {plan.post.pk for plan in plans if plan.post.pk}
        for plan in plans:
            slug, post = plan.post.slug, plan.post
            taken = Post.objects.filter(slug=slug).exclude(pk=post.pk).exists()
            live = Post.objects.filter(slug__in=plan.previous_slugs).exclude(pk=post.pk)
            occupied = (
                SeriesPart.objects.filter(
                    Q(*[Q(series__slug=s, position=p) for s, p in plan.parts], _connector=Q.OR)
                )
                .exclude(post__in=importing)
                .exclude(post=post.pk)
                if plan.parts
                else SeriesPart.objects.none()
            )
            problem = None
            if slug in slugs or taken:
                problem = FileProblem("slug", f"{slug!r} is taken")
            elif live.exists():
                problem = FileProblem("previous_slugs", f"{live.first().slug!r} is a live post's")
            elif plan.parts & places or occupied.exists():
                problem = FileProblem("series", "a position there is another post's")
            if problem:
                self.errors.append((plan.path, problem))
                continue
            slugs.add(slug)
            places |= plan.parts
            valid.append(plan)
        return valid

    def check_links(self, plans):
        """Published posts may only link to posts that will be public: those here or imported.

        A file that fails takes its post out of what others may link to, so check again
        until nothing changes.
        """
        while True:
            incoming = {slug: plan.post for plan in plans for slug in plan.previous_slugs}
            incoming.update({plan.post.slug: plan.post for plan in plans})
            find_posts = _finder(incoming)
            failing = {}
            for plan in plans:
                published = plan.post.status == Post.Status.PUBLISHED
                if published and (problems := plan.post.link_problems(find_posts)):
                    failing[plan.path] = problems
            if not failing:
                return plans
            for path, problems in failing.items():
                self.errors.append((path, FileProblem("body", " ".join(problems))))
            plans = [plan for plan in plans if plan.path not in failing]

    def write_post(self, plan):
        post = plan.post
        if post.author_id is None:
            # Importing into a new site: the author gets an account without a password.
            author, _ = get_user_model().objects.get_or_create(username=plan.author_name)
            if author.has_usable_password():
                author.set_unusable_password()
                author.save(update_fields=["password"])
            post.author = author
            plan.changed = True
        if plan.created or plan.changed:
            post.save()
        plan.changed |= self.sync_tags(post, plan.tags)
        plan.changed |= self.sync_series(post, plan.parts)
        plan.changed |= self.sync_resources(post, plan.resources)
        plan.changed |= self.sync_previous_slugs(post, plan.previous_slugs)
        if plan.created or plan.changed:
            record_version(post)
        if plan.created:
            # Its content dates from the file, not from this import.
            changed_at = plan.updated_at or post.published_at or timezone.now()
            post.content_changed_at = changed_at
            Post.objects.filter(pk=post.pk).update(content_changed_at=changed_at)

    def sync_tags(self, post, names):
        if sorted(tag.name.casefold() for tag in post.tags.all()) == sorted(
            name.casefold() for name in names
        ):
            return False
        post.tags.set(names)
        return True

    def sync_series(self, post, parts):
        existing = set(post.series_parts.values_list("series__slug", "position"))
        if parts == existing:
            return False
        post.series_parts.all().delete()
        series = {s.slug: s for s in Series.objects.filter(slug__in=[slug for slug, _ in parts])}
        SeriesPart.objects.bulk_create(
            SeriesPart(post=post, series=series[slug], position=position)
            for slug, position in sorted(parts)
        )
        return True

    def sync_resources(self, post, wanted):
        existing = resource_copies(post)
        if sorted(wanted, key=lambda r: r["number"]) == existing:
            return False
        post.resources.all().delete()
        resources = [Resource.from_copy(values, post=post) for values in wanted]
        format_references(resources)  # as each save would
        Resource.objects.bulk_create(resources)
        post.mark_content_changed()
        return True

    def sync_previous_slugs(self, post, slugs):
        """Add the file's former addresses; never drop a redirect that readers may follow."""
        have = set(post.previous_slugs.values_list("slug", flat=True))
        new = [slug for slug in slugs if slug not in have and slug != post.slug]
        for slug in new:
            PreviousSlug.objects.update_or_create(slug=slug, defaults={"post": post})
        return bool(new)
