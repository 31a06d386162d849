"""What importing a big WordPress blog costs: time and peak memory of `manage.py
import_wordpress`, and the query counts of the site it makes.

Usage: .venv/bin/python bench/import_wordpress.py [--posts 10000] [--words 1200]
                                                  [--database-url URL]

Writes a WXR export of --posts posts of about --words words each (paragraphs, headings, lists,
links to other posts in the old site's permalink forms, tags, nested categories, a few captions
and code shortcodes) to a throwaway directory. On a fresh database (a SQLite file there by
default; --database-url names a PostgreSQL one, dropped and created afresh), migrated, it runs
the import with --dry-run, then for real, each in its own process, and prints the file's size,
the posts, the wall time, posts a second and the child's peak resident memory. Then, on the
imported database, it requests the home page, a post, a tag and a series (categories become
series) with Django's test client, the page cache off, and prints their queries beside the
counts the test suite asserts.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/email.py must not stand for the standard library's email package, which urllib imports.
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from xml.sax.saxutils import escape  # noqa: E402

from bench.databases import drop_database, fresh_database  # noqa: E402

SITE = "https://oldblog.example.org"
WORDS = [
    "gut",
    "brain",
    "microbe",
    "vagus",
    "nerve",
    "serotonin",
    "fibre",
    "immune",
    "signal",
    "barrier",
    "neuron",
    "bacteria",
    "mood",
    "stress",
    "cortisol",
    "inflammation",
    "diet",
    "ferment",
    "kefir",
    "trial",
    "mouse",
    "cohort",
    "placebo",
    "enteric",
    "gland",
    "metabolite",
    "butyrate",
    "receptor",
    "pathway",
    "sample",
    "sequence",
    "diversity",
    "abundance",
    "colon",
    "axis",
]
TAGS = [f"Topic {n}" for n in range(200)]
# Nested categories: parents and their children, as WordPress's addresses nest them.
CATEGORIES = [(f"area-{a}", f"Area {a}", "") for a in range(8)] + [
    (f"area-{a}-field-{f}", f"Area {a} field {f}", f"area-{a}") for a in range(8) for f in range(5)
]
PAGES = ("home", "post", "tag", "series")


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def permalink(post_id, date, slug, rng):
    """An address the old site gave the post, in one of its permalink forms."""
    return rng.choice(
        [
            f"{SITE}/{date:%Y/%m/%d}/{slug}/",
            f"{SITE}/?p={post_id}",
            f"{SITE}/{slug}/",
            f"{SITE}/archives/{post_id}",
        ]
    )


def body(rng, post_id, posts, words):
    """About `words` words of HTML as WordPress stores it: paragraphs, headings, lists, links
    to earlier posts, and in some posts a captioned image and a code shortcode."""
    parts, count = [], 0
    while count < words:
        kind = rng.random()
        if kind < 0.08:
            parts.append(f"<h2>{sentence(rng, 4)[:-1]}</h2>")
            count += 4
        elif kind < 0.16:
            items = "".join(f"<li>{sentence(rng, 8)}</li>" for _ in range(4))
            parts.append(f"<ul>{items}</ul>")
            count += 32
        else:
            text = " ".join(sentence(rng, rng.randint(10, 20)) for _ in range(4))
            if post_id > 1 and rng.random() < 0.5:
                other = rng.randrange(1, post_id)
                url = permalink(other, *posts[other], rng)
                text += f' See <a href="{url}">an earlier post</a>.'
            parts.append(text)
            count += len(text.split())
    if post_id % 10 == 0:
        parts.insert(
            2,
            f'[caption id="attachment_1" align="aligncenter" width="600"]<img '
            f'src="{SITE}/wp-content/uploads/2020/01/figure-{post_id}.jpg" alt="A figure" '
            'width="600" height="400" /> A figure, in its caption[/caption]',
        )
    if post_id % 25 == 0:
        parts.insert(3, '[code lang="python"]\ndef ratio(a, b):\n    return a / b\n[/code]')
    return "\n\n".join(parts)


def export(path, count, words, seed=1):
    """A WXR 1.2 file of `count` posts: its size in bytes."""
    rng = random.Random(seed)
    start = datetime(2012, 1, 1, tzinfo=UTC)
    posts = {}  # id: (date, slug)
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            f"<title>Benchmark blog</title><link>{SITE}</link>\n"
            f"<wp:wxr_version>1.2</wp:wxr_version><wp:base_blog_url>{SITE}</wp:base_blog_url>\n"
            "<wp:author><wp:author_login>writer</wp:author_login>"
            "<wp:author_display_name><![CDATA[Bench Writer]]></wp:author_display_name>"
            "</wp:author>\n"
        )
        for nicename, name, parent in CATEGORIES:
            out.write(
                f"<wp:category><wp:category_nicename>{nicename}</wp:category_nicename>"
                f"<wp:category_parent>{parent}</wp:category_parent>"
                f"<wp:cat_name><![CDATA[{name}]]></wp:cat_name></wp:category>\n"
            )
        for post_id in range(1, count + 1):
            date = start + timedelta(hours=6 * post_id)
            slug = f"post-about-{rng.choice(WORDS)}-{post_id}"
            posts[post_id] = (date, slug)
            html = body(rng, post_id, posts, words).replace("]]>", "]]]]><![CDATA[>")
            nicename, name, _ = rng.choice(CATEGORIES[8:])
            tags = "".join(
                f'<category domain="post_tag" nicename="{tag.lower().replace(" ", "-")}">'
                f"<![CDATA[{tag}]]></category>"
                for tag in rng.sample(TAGS, 4)
            )
            out.write(
                f"<item><title>{escape(sentence(rng, 6)[:-1])}</title>"
                f"<link>{SITE}/{date:%Y/%m/%d}/{slug}/</link>"
                "<dc:creator><![CDATA[writer]]></dc:creator>"
                f"<content:encoded><![CDATA[{html}]]></content:encoded>"
                f"<excerpt:encoded><![CDATA[{sentence(rng, 15)}]]></excerpt:encoded>"
                f"<wp:post_id>{post_id}</wp:post_id>"
                f"<wp:post_date>{date:%Y-%m-%d %H:%M:%S}</wp:post_date>"
                f"<wp:post_date_gmt>{date:%Y-%m-%d %H:%M:%S}</wp:post_date_gmt>"
                f"<wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status>"
                "<wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>"
                f'<category domain="category" nicename="{nicename}"><![CDATA[{name}]]></category>'
                f"{tags}</item>\n"
            )
        out.write("</channel>\n</rss>\n")
    return path.stat().st_size


def environment(database_url, workdir):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gutbrain.settings",
        "DJANGO_DEBUG": "false",  # DEBUG keeps every query, which costs time and memory
        "DJANGO_PLAIN_STATIC": "true",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "GUTBRAIN_CACHE_DIR": str(workdir / "cache"),
        "GUTBRAIN_PAGE_CACHE": "false",
    }
    env.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
    env.pop("REDIS_URL", None)  # a cache of this run's own
    return env


def timed(command, env):
    """(wall seconds, the child's peak resident memory in MB, its output), in a process of
    its own: RUSAGE_CHILDREN's maxrss is the largest of the children waited for, so each
    import runs from a fresh intermediate process that reports only its own child."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "start = time.monotonic()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.monotonic() - start\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([done.returncode, wall, rss, done.stdout, done.stderr]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    code, wall, rss, out, err = json.loads(result.stdout)
    if code:
        sys.exit(f"{' '.join(command)} failed:\n{out}\n{err}")
    return wall, rss, out


def measure_queries():
    """Queries of each page, uncached, the first request after the import; as JSON."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from taggit.models import Tag

    from posts.models import Post, Series
    from tests.test_queries import EXPECTED_QUERIES

    published = Post.objects.published()
    post = published.filter(series_parts__isnull=False).order_by("-published_at").first()
    tag = Tag.objects.annotate(uses=Count("posts_taggedpost_items")).order_by("-uses").first()
    series = Series.objects.annotate(size=Count("parts")).order_by("-size").first()
    urls = {
        "home": reverse("posts:home"),
        "post": post.get_absolute_url(),
        "tag": reverse("posts:tag", args=[tag.slug]),
        "series": series.get_absolute_url(),
    }
    client, counts = Client(), {}
    for page, url in urls.items():
        cache.clear()  # as the test suite measures: nothing remembered yet
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[page] = (len(queries), EXPECTED_QUERIES[page])
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=1200)
    parser.add_argument("--database-url", help="PostgreSQL, dropped and created afresh")
    parser.add_argument("--measure-queries", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_queries:
        print(json.dumps(measure_queries()))
        return

    with tempfile.TemporaryDirectory(prefix="gutbrain-import-") as directory:
        workdir = Path(directory)
        xml = workdir / "export.xml"
        started = time.monotonic()
        size = export(xml, args.posts, args.words)
        print(f"wrote {size / 1e6:.1f} MB in {time.monotonic() - started:.0f} s", file=sys.stderr)
        env = environment(fresh_database(args.database_url, workdir), workdir)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        command = [*manage, "import_wordpress", str(xml), "--categories-as", "series"]
        rows = []
        for label, extra in (("dry run", ["--dry-run"]), ("import", [])):
            wall, rss, out = timed([*command, *extra], env)
            print(out.splitlines()[0], file=sys.stderr)
            rows.append((label, wall, rss))
        print(f"\n{'':8} {'file MB':>8} {'posts':>7} {'seconds':>8} {'posts/s':>8} {'peak MB':>8}")
        for label, wall, rss in rows:
            print(
                f"{label:8} {size / 1e6:8.1f} {args.posts:7} {wall:8.1f} "
                f"{args.posts / wall:8.0f} {rss:8.0f}"
            )
        queries = subprocess.run(
            [sys.executable, "-m", "bench.import_wordpress", "--measure-queries"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        counts = json.loads(queries.stdout.strip().splitlines()[-1])
        print(f"\n{'page':8} {'queries':>8} {'tests':>6}")
        for page in PAGES:
            print(f"{page:8} {counts[page][0]:8} {counts[page][1]:6}")
        if args.database_url:
            drop_database(args.database_url)
        if any(found != expected for found, expected in counts.values()):
            sys.exit(1)


if __name__ == "__main__":
    main()
