"""What e-mailing a new post to 10,000 subscribers costs: the workers' time and memory, and the
publishing request's time.

Usage: .venv/bin/python bench/email.py [--subscribers 10000] [--workers 1 2]
                                       [--database-url URL | --sqlite]

In a fresh database (PostgreSQL by default: --database-url is dropped and created afresh; or a
SQLite file in a throwaway directory), with the demo series loaded: times the admin's Publish
request for a new post with no subscribers, then with --subscribers confirmed ones (the
median of five each, through Django's test client: the request only queues the work). Then
for each count of workers: announces the seed post to every subscriber and starts that many
`manage.py db_worker` processes, sending through an SMTP server in this process (aiosmtpd,
which keeps nothing but a count), and prints how long until every mail was taken, how long
the announcement (recording the deliveries) and the sending took, mails a second, and each
worker's peak resident memory (VmHWM), beside that of an idle worker.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is not the standard library's email package, which much below imports.
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from bench.databases import drop_database, fresh_database  # noqa: E402
from bench.two_servers import free_ports  # noqa: E402

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/gutbrain_bench_email"
SEED = "the-link-between-mental-health-and-gut-health"
PUBLISHES = 5
SITE = "https://blog.example.org"


class Counting:
    """An SMTP server's handler that keeps only how many mails it took, and when."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count, self.first, self.last = 0, None, None

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        with self.lock:
            self.count += 1
            self.first = self.first or now
            self.last = now
        return "250 OK"

    def reset(self):
        with self.lock:
            self.count, self.first, self.last = 0, None, None


def environment(database_url, workdir, smtp_port):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gutbrain.settings",
        "DJANGO_SECRET_KEY": "benchmark-only",
        "DJANGO_DEBUG": "false",  # DEBUG keeps every query, which costs time and memory
        "DJANGO_PLAIN_STATIC": "true",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "GUTBRAIN_CACHE_DIR": str(workdir / "cache"),
        "DJANGO_EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "GUTBRAIN_SITE_URL": SITE,
    }
    env.pop("REDIS_URL", None)
    return env


def manage(env, *command):
    subprocess.run(
        [sys.executable, "manage.py", *command, "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_worker(env):
    return subprocess.Popen(
        [
            *(sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"),
            *("--no-startup-delay", "--interval", "0.2"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def peak_rss_mb(pid):
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop(workers):
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)


def idle_worker_mb(env):
    """An idle worker's peak memory: what Django and the app take before any work."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # the publishing's announcements: not measured here
    [worker] = workers = [start_worker(env)]
    time.sleep(5)
    peak = peak_rss_mb(worker.pid)
    stop(workers)
    return peak


def publish_times(client, user, count):
    """Seconds each of `count` Publish requests takes, through the admin's post form."""
    from django.urls import reverse

    times = []
    for number in range(count):
        slug = f"bench-publish-{user.pk}-{time.monotonic_ns()}-{number}"
        data = {
            "title": f"Benchmark post {slug}",
            "slug": slug,
            "author": str(user.pk),
            "summary": "A post the benchmark publishes.",
            "body": "## A heading\n\nSome text, [a link](https://example.org/).",
            "status": "draft",
            "tags": "Benchmark",
            "email_subscribers": "on",
            "_publish": "1",
            "_continue": "1",
        }
        for prefix in ("series_parts", "resources"):
            data |= {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        started = time.perf_counter()
        response = client.post(reverse("admin:posts_post_add"), data)
        times.append(time.perf_counter() - started)
        if response.status_code != 302:
            sys.exit(f"the admin refused the post: {response.status_code}")
    return times


def deliver(env, sink, workers_count, subscribers):
    """Announce the seed post to every subscriber, with this many workers; the figures."""
    from django_tasks_db.models import DBTaskResult

    from posts import mailing
    from posts.models import Announcement, Delivery, Post

    post = Post.objects.get(slug=SEED)
    Delivery.objects.filter(post=post).delete()
    Announcement.objects.filter(post=post).delete()
    DBTaskResult.objects.all().delete()
    sink.reset()
    mailing.announce.enqueue(post.pk)
    started = time.monotonic()
    workers = [start_worker(env) for _ in range(workers_count)]
    sent = Delivery.objects.filter(post=post, state=Delivery.State.SENT)
    try:
        while sink.count < subscribers or sent.count() < subscribers:
            if any(worker.poll() is not None for worker in workers):
                sys.exit("a worker stopped")
            if time.monotonic() - started > 1800:
                sys.exit(f"only {sent.count()} of {subscribers} sent after 30 minutes")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        peaks = [peak_rss_mb(worker.pid) for worker in workers]
    finally:
        stop(workers)
    if Delivery.objects.filter(post=post).exclude(state=Delivery.State.SENT).exists():
        sys.exit("some deliveries were not sent")
    [announce] = DBTaskResult.objects.filter(task_path="posts.mailing.announce")
    return {
        "elapsed": elapsed,
        "announce": (announce.finished_at - announce.started_at).total_seconds(),
        "sending": sink.last - sink.first,
        "received": sink.count,
        "peaks": peaks,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE,
        help=f"a PostgreSQL database to drop and create afresh (default {DEFAULT_DATABASE})",
    )
    where.add_argument("--sqlite", action="store_true", help="a fresh SQLite file instead")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    workdir = Path(tempfile.mkdtemp(prefix="gutbrain-email-"))
    (workdir / "static").mkdir()
    sink = Counting()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_ports(1)[0], server_hostname="sink")
    smtp.start()
    database_url = fresh_database(None if args.sqlite else args.database_url, workdir)
    env = environment(database_url, workdir, smtp.port)
    try:
        print("Migrating and loading the demo…", file=sys.stderr)
        manage(env, "migrate")
        manage(env, "load_demo")
        os.environ.clear()
        os.environ.update(env)
        import django

        django.setup()
        import logging

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.utils import timezone

        from posts.models import Subscriber, Subscription

        user = get_user_model().objects.create_superuser("bench", password="unused")
        client = Client()
        client.force_login(user)
        publish_times(client, user, 1)  # warm-up: templates, forms, first queries
        publishing = {0: publish_times(client, user, PUBLISHES)}
        print(f"Adding {args.subscribers:,} subscribers…", file=sys.stderr)
        subscribers = Subscriber.objects.bulk_create(
            Subscriber(email=f"reader{n}@example.org", state=Subscriber.State.SUBSCRIBED)
            for n in range(args.subscribers)
        )
        now = timezone.now()
        Subscription.objects.bulk_create(
            Subscription(subscriber=subscriber, confirmed_at=now) for subscriber in subscribers
        )
        publishing[args.subscribers] = publish_times(client, user, PUBLISHES)

        idle = idle_worker_mb(env)
        results = {}
        for count in args.workers:
            print(f"Delivering with {count} worker(s)…", file=sys.stderr)
            results[count] = deliver(env, sink, count, args.subscribers)
    finally:
        smtp.stop()
        from django.db import connections

        connections.close_all()
        drop_database(database_url)
        shutil.rmtree(workdir, ignore_errors=True)

    engine = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    print(f"\nOne post to {args.subscribers:,} subscribers, {engine}, {os.cpu_count()} CPUs")
    label = 40
    print(f"{'':{label}}" + "".join(f"{f'{n} worker(s)':>14}" for n in results))
    rows = [
        ("all sent, from the workers' start (s)", lambda r: f"{r['elapsed']:.1f}"),
        ("  announce: deliveries recorded (s)", lambda r: f"{r['announce']:.1f}"),
        ("  first mail to last (s)", lambda r: f"{r['sending']:.1f}"),
        ("mails a second", lambda r: f"{r['received'] / r['sending']:.0f}"),
        ("peak RSS per worker (MB)", lambda r: " / ".join(f"{p:.0f}" for p in r["peaks"])),
    ]
    for name, value in rows:
        print(f"{name:{label}}" + "".join(f"{value(r):>14}" for r in results.values()))
    print(f"{'peak RSS of an idle worker (MB)':{label}}{idle:>14.0f}")
    print(f"\n{'Publish request (ms)':{label}}{'median':>14}{'range':>20}")
    for count, times in publishing.items():
        low, high = min(times) * 1000, max(times) * 1000
        print(
            f"{f'  with {count:,} subscribers':{label}}"
            f"{statistics.median(times) * 1000:>14.0f}{f'{low:.0f} to {high:.0f}':>20}"
        )


if __name__ == "__main__":
    main()
