"""Check that pages stay as fast, in as many queries, with 100 times more posts.

Usage: .venv/bin/python bench/scale.py [--small 1000] [--large 100000] [--keep]

Fills two PostgreSQL databases with `manage.py generate_posts`, measures each page uncached
with Django's test client (queries, median time of 60 requests), and compares the sizes: a
page passes with the same number of queries and at most twice the time. Under the table it
lists the sequential scans of big tables that the large database's queries plan for their
values. --keep
leaves the databases for the next run, which reuses them while their post counts match.
The exit status is 1 when a page fails.
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://root@127.0.0.1:5432"
WARMUPS, RUNS = 3, 60  # pages of a millisecond or two need many runs for a steady median
MAX_RATIO = 2.0
BIG_TABLES = (
    "posts_post",
    "posts_taggedpost",
    "posts_post_links",
    "posts_resource",
    "posts_seriespart",
    "posts_searchentry",
)
TAG = "gut-health"
# Made in the process that runs the rest: one folder per database within it.
CACHE_DIR = os.path.join(tempfile.gettempdir(), f"gutbrain-scale-cache-{os.getpid()}")


def django_env(url):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "gutbrain.settings",
        "DJANGO_DEBUG": "false",  # DEBUG keeps every query, which costs time of its own
        "DJANGO_PLAIN_STATIC": "true",  # no collectstatic manifest needed
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUTBRAIN_PAGE_CACHE": "false",
    }
    env.setdefault("DJANGO_SECRET_KEY", "bench-only")
    # A cache of this run's own: a shared one would carry entries from run to run.
    env.pop("REDIS_URL", None)
    env["GUTBRAIN_CACHE_DIR"] = os.path.join(CACHE_DIR, url.rsplit("/", 1)[-1])
    return env


def post_count(url):
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM posts_post").fetchone()[0]
    except psycopg.Error:  # no such database, or not migrated
        return None


def admin(server, *statements):
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def prepare(server, name, size):
    """The URL of database `name`, migrated and holding `size` posts: made, or left over."""
    url = f"{server}/{name}"
    env = django_env(url)
    reused = post_count(url) == size
    if reused:
        print(f"{name}: reusing {size} posts", file=sys.stderr)
    else:
        admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    manage = [sys.executable, "manage.py"]
    # Also on a reused database: it gets the migrations added since it was filled.
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    if not reused:
        subprocess.run([*manage, "generate_posts", str(size)], cwd=ROOT, env=env, check=True)
    # Bulk-inserted rows are not yet marked all-visible, which makes index-only scans visit
    # the table; a live site's tables have been vacuumed. Statistics follow new indexes.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url


def measure(url):
    """Each page's status, queries, median time and big-table Seq Scans, in a subprocess."""
    # Results come back in a file: the project's logging writes to standard output.
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, "-m", "bench.scale", "--measure", out.name]
        subprocess.run(command, cwd=ROOT, env=django_env(url), check=True)
        return json.load(out)


def pages():
    """The paths to measure, chosen from what this database holds."""
    from django.conf import settings
    from django.db.models import Count
    from django.utils import timezone

    from posts.models import Post, Series

    published = Post.objects.published()
    middle = published.order_by("-published_at", "-id")[published.count() // 2]
    tagged = published.filter(tags__slug=TAG).count()
    last_page = math.ceil(tagged / settings.GUTBRAIN_POSTS_PER_PAGE)
    series = (
        Series.objects.annotate(parts_count=Count("parts")).order_by("-parts_count", "slug")
    ).first()
    newest_year = timezone.localtime(published.latest("published_at").published_at).year
    return {
        "home": "/",
        "post (middle)": middle.get_absolute_url(),
        "tag, first page": f"/tags/{TAG}/",
        "tag, last page": f"/tags/{TAG}/?page={last_page}",
        "series (biggest)": series.get_absolute_url(),
        "archive": "/archive/",
        "archive, newest year": f"/archive/{newest_year}/",
        "atom feed": "/feed/atom/",
        "sitemap index": "/sitemap.xml",
        "sitemap of posts": "/sitemap-posts.xml",
        "search, two words": "/search/?q=serotonin+vagus",
        "search, common word": "/search/?q=microbiome",
    }


def seq_scans(plan):
    """Relations that a plan (or any node under it) reads with a Seq Scan."""
    found = [plan["Relation Name"]] if plan["Node Type"] == "Seq Scan" else []
    for child in plan.get("Plans", []):
        found += seq_scans(child)
    return found


def plan_scans(connection, statements):
    """The SELECTs whose plans read big tables with a Seq Scan, and those tables."""
    scans = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plans = {"planned for its values": cursor.fetchone()[0][0]["Plan"]}
            for kind, plan in plans.items():
                tables = [t for t in dict.fromkeys(seq_scans(plan)) if t in BIG_TABLES]
                if tables:
                    sql_text = connection.ops.compose_sql(sql, params)
                    scans.append({"tables": tables, "plan": kind, "sql": sql_text})
    return scans


def measure_page(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUPS):
        client.get(path)
    statements = []

    def record(execute, sql, params, many, context):
        if not many:
            statements.append((sql, params))
        return execute(sql, params, many, context)

    # One request apart from the timed ones, which neither record nor keep queries.
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(record):
        status = client.get(path).status_code
    # Counted now: `captured` reads the connection's log, which the next request clears.
    queries = len(captured)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - start)
    return {
        "path": path,
        "status": status,
        "queries": queries,
        "ms": statistics.median(times) * 1000,
        "scans": plan_scans(connection, statements),
    }


def measure_here(out):
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # allows the host `testserver`
    # WhiteNoise's, about the STATIC_ROOT that DJANGO_PLAIN_STATIC does without.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    client = Client()
    results = []
    for name, path in pages().items():
        result = {"page": name, **measure_page(client, path)}
        results.append(result)
        print(
            f"  {path:45} {result['status']} {result['queries']:3} queries {result['ms']:9.1f} ms",
            file=sys.stderr,
        )
    Path(out).write_text(json.dumps(results))


def shorten(sql, limit=200):
    # The column list says least about a plan: cut it, to keep the FROM and WHERE in view.
    sql = re.sub(r"^(SELECT (?:DISTINCT )?)(.{40,}?) FROM ", r"\1… FROM ", " ".join(sql.split()))
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def verdict(small, large):
    problems = [f"HTTP {p['status']}" for p in (small, large) if p["status"] != 200]
    if small["queries"] != large["queries"]:
        problems.append("QUERIES")
    if large["ms"] / small["ms"] > MAX_RATIO:
        problems.append("SLOW")
    return " ".join(dict.fromkeys(problems)) or "ok"


def report(sizes, results):
    small_size, large_size = sizes
    pairs = list(zip(results[small_size], results[large_size], strict=True))
    width = max(len(f"{large['page']}  {large['path']}") for _, large in pairs)
    numbers = "{:>9} {:>9} {:>10} {:>10} {:>7}"
    titles = [f"{title}@{size}" for title in ("q", "ms") for size in sizes]
    print(f"{'page':{width}}", numbers.format(*titles, "ratio"))
    verdicts = []
    for small, large in pairs:
        ratio = large["ms"] / small["ms"]
        verdicts.append(verdict(small, large))
        print(
            f"{large['page'] + '  ' + large['path']:{width}}",
            numbers.format(
                small["queries"],
                large["queries"],
                f"{small['ms']:.1f}",
                f"{large['ms']:.1f}",
                f"{ratio:.2f}",
            ),
            verdicts[-1],
        )

    print(f"\nSequential scans of big tables at {large_size} posts:")
    scanned = [page for page in results[large_size] if page["scans"]]
    for page in scanned:
        print(f"\n{page['page']}  {page['path']}")
        for scan in page["scans"]:
            print(f"  {', '.join(scan['tables'])} ({scan['plan']}): {shorten(scan['sql'])}")
    if not scanned:
        print("  none")
    return all(v == "ok" for v in verdicts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100000)
    parser.add_argument("--keep", action="store_true", help="leave the databases for next time")
    parser.add_argument(
        "--server",
        default=os.environ.get("POSTGRES_URL", SERVER),
        help=f"PostgreSQL that lets us create databases (default: $POSTGRES_URL or {SERVER})",
    )
    parser.add_argument("--measure", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the subprocess, in the environment of one database
        return measure_here(args.measure)

    started = time.perf_counter()
    sizes = (args.small, args.large)
    names = {size: f"gutbrain_scale_{size}" for size in sizes}
    results = {}
    try:
        for size, name in names.items():
            url = prepare(args.server, name, size)
            print(f"{name}: measuring", file=sys.stderr)
            results[size] = measure(url)
    finally:
        if not args.keep:
            drop = [f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in names.values()]
            admin(args.server, *drop)
    passed = report(sizes, results)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
