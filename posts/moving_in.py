"""Moving in from another platform: what a reader of an export (posts.wordpress, posts.ghost)
hands over, and how it is written into gutbrain (`bring_in`).

A reader streams the export as `Incoming` posts; `bring_in` converts each one's HTML to
gutbrain Markdown, rewrites links between imported posts as `post:` links, brings in images,
records each post's former addresses, and writes everything in one transaction (nothing in a
dry run), returning a `Report`.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from posts import effects
from posts.bringing_in import SIZED_COPY, Writer  # noqa: F401 (SIZED_COPY: for the readers)


@dataclass
class Incoming:
    """One post as an export describes it."""

    source: str  # "wordpress" or "ghost"
    source_id: str  # its id there, kept to match it on the next import
    title: str
    slug: str
    author: str  # the display name
    status: str  # "published", "scheduled" or "draft"
    published_at: datetime | None  # aware, UTC
    modified_at: datetime | None
    summary: str
    html: str  # the text as HTML, the platform's own markup (shortcodes, blocks) resolved
    tags: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    old_paths: list[str] = field(default_factory=list)  # e.g. "/2019/05/12/slug/", "/?p=123"
    feature_image: str = ""  # its URL in the export, or ""
    images: dict[str, str] = field(default_factory=dict)  # URL in the text: alt text or title
    shortcodes: list[str] = field(default_factory=list)  # names of those left as text
    warnings: list[str] = field(default_factory=list)


@dataclass
class Export:
    """A whole export, its posts streamed."""

    source: str
    site_url: str  # the old site's address: links to it are links to its posts
    posts: Iterable[Incoming]  # read twice: a list, or an object that reads them afresh
    tag_paths: dict[str, str] = field(default_factory=dict)  # old path: tag name
    series_paths: dict[str, str] = field(default_factory=dict)  # old path: series title
    skipped: Counter = field(default_factory=Counter)  # "pages", "comments", "trash"…
    pages: list[str] = field(default_factory=list)  # each page skipped: "title (address)"
    warnings: list[str] = field(default_factory=list)


@dataclass
class Report:
    """What an import did (or, in a dry run, would do)."""

    source: str
    dry_run: bool = False
    posts: Counter = field(default_factory=Counter)  # by status: published, scheduled, draft
    created: int = 0
    updated: int = 0
    kept: list = field(default_factory=list)  # edited here since: left as they are
    failed: list = field(default_factory=list)  # not imported, with why (in warnings)
    tags: set = field(default_factory=set)
    series: set = field(default_factory=set)
    images_imported: int = 0
    images_missing: dict = field(default_factory=dict)  # URLs left at the old site: None
    links_rewritten: int = 0
    shortcodes: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # pages, comments, trash…
    pages: list = field(default_factory=list)  # the pages skipped, by title and address
    addresses: int = 0  # old addresses that now redirect
    warnings: dict = field(default_factory=dict)  # post slug ("" for the export): [warning]

    def warn(self, where, message):
        self.warnings.setdefault(where, []).append(message)

    def lines(self):
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(self.posts.items()))
        lines = [
            f"{'Would import' if self.dry_run else 'Imported'} from {self.source}: "
            f"{sum(self.posts.values())} posts ({statuses or 'none'}); "
            f"{self.created} new, {self.updated} updated, {len(self.kept)} edited here "
            "since and left as they are (--overwrite replaces them).",
            f"Tags: {len(self.tags)}. Series: {len(self.series)}.",
            f"Images imported: {self.images_imported}; left on the old site: "
            f"{len(self.images_missing)}.",
            *(f"  {url}" for url in self.images_missing),
            f"Links between posts rewritten: {self.links_rewritten}. "
            f"Old addresses redirecting: {self.addresses}.",
        ]
        if self.shortcodes:
            left = ", ".join(f"[{name}] x{n}" for name, n in sorted(self.shortcodes.items()))
            lines.append(f"Shortcodes left as text: {left}.")
        if self.skipped:
            lines.append(
                "Skipped: "
                + ", ".join(f"{n} {what}" for what, n in sorted((+self.skipped).items()))
            )
        if self.pages:
            lines.append("Pages skipped (gutbrain keeps posts; copy any you need by hand):")
            lines += [f"  {page}" for page in self.pages]
        for where, messages in self.warnings.items():
            lines += [f"Warning ({where or 'export'}): {message}" for message in messages]
        return lines


def bring_in(export, *, media=None, overwrite=False, dry_run=False):
    """Write the export's posts into gutbrain, in one transaction (rolled back in a dry run),
    and say what was done. Posts already brought in are matched by their id in the export;
    one edited here since is left alone unless `overwrite`. A post that cannot be written is
    reported and the rest go on."""
    report = Report(source=export.source, dry_run=dry_run)
    report.skipped.update(export.skipped)
    report.pages = list(export.pages)
    for message in export.warnings:
        report.warn("", message)
    with effects.importing(), transaction.atomic():
        Writer(export, report, media=media, overwrite=overwrite, dry_run=dry_run).run()
        if dry_run:
            transaction.set_rollback(True)
    if dry_run:
        effects.forget()
    return report
