"""Measure pages against a bare Django view, both served by gunicorn in the same run.

Usage: .venv/bin/python bench/run.py [--posts 500] [--seconds 10] [PATH ...]
Default paths: /feed/atom/ and /tags/gut-health/feed/rss/. Needs `wrk` (Debian: apt-get install
wrk). The data lives in a throwaway SQLite file unless DATABASE_URL is set.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
DEFAULT_PATHS = ["/feed/atom/", "/tags/gut-health/feed/rss/"]


def populate(posts):
    """`posts` published posts from `manage.py generate_posts`, tagged, linked and cited."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("generate_posts", posts)


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    sys.exit(f"gunicorn did not start on port {port}")


def requests_per_second(path, seconds, connections):
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        sys.exit(f"{path}: {errors.group(1)} error responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="gutbrain-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": "bench-only",
        "DJANGO_PLAIN_STATIC": "true",
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [python, "-c", f"import bench.run as b; b.populate({args.posts})"],
        cwd=ROOT,
        env=env,
        check=True,
    )

    server = subprocess.Popen(
        [
            python,
            "-m",
            "gunicorn",
            "gutbrain.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_for_port(PORT)
        for path in ["/bare/", *args.paths]:  # warm up every worker
            requests_per_second(path, 1, args.connections)
        bare = requests_per_second("/bare/", args.seconds, args.connections)
        print(
            f"{args.posts} posts, {args.workers} gunicorn workers, {args.connections} connections"
        )
        print(f"{'/bare/':40} {bare:9.1f} req/s  1.00")
        for path in args.paths:
            rate = requests_per_second(path, args.seconds, args.connections)
            print(f"{path:40} {rate:9.1f} req/s  {rate / bare:.2f} of bare ({bare / rate:.1f}x)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
