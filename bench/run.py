"""Measure pages, cached and uncached, against a bare Django view served in the same run.

Usage: .venv/bin/python bench/run.py [--posts 1000] [--seconds 5] [--rounds 3]
                                     [--connections 4] [PATH ...]

Fills a throwaway database (SQLite, or the PostgreSQL database DATABASE_URL names, empty or
left by an earlier run) with the demo series plus `--posts` synthetic posts, then starts
gunicorn (2 workers) twice on it: with the page cache in Redis (REDIS_URL, default
redis://127.0.0.1:6379/13, flushed first) and with the page cache off. Each page is
measured with wrk on both, and a bare Django view that returns a page of the same size is
measured on each server as the ceiling, in turns with the page (3 rounds; medians).
Prints requests per second, p99 latency, the server's CPU milliseconds per request
(gunicorn workers' user and system time over the requests served) and the ratio to the
bare view.
Needs wrk (Debian: apt-get install wrk) and a Redis server.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
DEFAULT_PATHS = [
    "/",
    "/posts/the-link-between-mental-health-and-gut-health/",
    "/tags/gut-health/",
    "/feed/atom/",
]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def populate(posts):
    """The demo series, then `posts` synthetic posts: tagged, linked and cited. A database
    left by an earlier run keeps what it has and gets only the posts it lacks, so that runs
    measure the same archive."""
    import django

    django.setup()
    from django.core.management import call_command

    from posts.management.commands.generate_posts import SLUG_PREFIX
    from posts.models import Post

    call_command("load_demo", with_login=True, verbosity=0)
    present = Post.objects.filter(slug__startswith=SLUG_PREFIX).count()
    if present:
        print(f"reusing {present} synthetic posts", file=sys.stderr)
    if posts > present:
        call_command("generate_posts", posts - present)


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    sys.exit(f"gunicorn did not start on port {port}")


def workers_cpu_seconds(master_pid):
    """User and system CPU time of gunicorn's workers so far."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def measure(server, path, seconds, connections):
    """(requests per second, p99 latency in ms, CPU ms per request) for `path`."""
    cpu_before = workers_cpu_seconds(server.pid)
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = workers_cpu_seconds(server.pid) - cpu_before
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        sys.exit(f"{path}: {errors.group(1)} error responses\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return rate, p99, 1000 * cpu / max(requests, 1)


def medians(measurements):
    """The median of each figure (rate, p99, CPU) over rounds."""
    return tuple(statistics.median(figures) for figures in zip(*measurements, strict=True))


def start_server(env, workers):
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "gutbrain.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            # Workers recycled mid-run would take their CPU time with them.
            "--max-requests",
            "0",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    wait_for_port(PORT)
    return server


def stop_server(server):
    os.killpg(server.pid, signal.SIGTERM)
    server.wait()
    # The port is free again before the next server binds it.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", PORT)) != 0:
                return
        time.sleep(0.1)


def page_bytes(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}") as response:
        return len(response.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="gutbrain-bench-"))
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": "bench-only",
        "DJANGO_PLAIN_STATIC": "true",
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    engine = env["DATABASE_URL"].split(":", 1)[0]
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [python, "-c", f"import bench.run as b; b.populate({args.posts})"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    import redis

    redis.Redis.from_url(redis_url).flushdb()

    setups = {
        "cached": {**env, "REDIS_URL": redis_url, "GUTBRAIN_PAGE_CACHE": "true"},
        "uncached": {**env, "GUTBRAIN_PAGE_CACHE": "false"},
    }
    results = {}
    try:
        for name, setup in setups.items():
            server = start_server(setup, args.workers)
            try:
                sizes = {path: page_bytes(path) for path in args.paths}
                for path in ["/bare/", *args.paths]:  # warm up every worker and the cache
                    measure(server, path, 1, args.connections)
                for path in args.paths:
                    bare = f"/bare/?bytes={sizes[path]}"
                    # Page and bare view in turns, each figure the median of its rounds: a
                    # shared machine's speed drifts by more than the differences measured.
                    rounds = []
                    for number in range(args.rounds):
                        # Neither always goes first, when the machine may be warmer.
                        order = [path, bare] if number % 2 == 0 else [bare, path]
                        measured = {
                            url: measure(server, url, args.seconds, args.connections)
                            for url in order
                        }
                        rounds.append((measured[path], measured[bare]))
                    results[name, path] = medians(page for page, _ in rounds)
                    results[name, path, "bare"] = medians(bare for _, bare in rounds)
                    results[name, path, "ratio"] = statistics.median(
                        page[0] / bare[0] for page, bare in rounds
                    )
            finally:
                stop_server(server)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\n{args.posts} synthetic posts + demo on {engine}, gunicorn {args.workers} workers, "
        f"wrk {args.connections} connections, median of {args.rounds} rounds of {args.seconds} s"
    )
    header = f"{'page':56} {'cache':9} {'req/s':>8} {'p99 ms':>8} {'CPU ms':>7}"
    print(f"{header} {'bare req/s':>10} {'ratio':>6}")
    for path in args.paths:
        for name in setups:
            rate, p99, cpu = results[name, path]
            bare_rate = results[name, path, "bare"][0]
            print(
                f"{path:56} {name:9} {rate:8.1f} {p99:8.1f} {cpu:7.2f} "
                f"{bare_rate:10.1f} {results[name, path, 'ratio']:6.2f}"
            )


if __name__ == "__main__":
    main()
