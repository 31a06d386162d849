"""Readers and authors at once: wrk loads the public pages while an author publishes and edits
posts through the admin; nothing may fail and every write must be in the database afterwards.

Usage: .venv/bin/python bench/load.py [--seconds 60] [--connections 64] [--posts 1000] [--warmup 5]
Creates the database gutbrain_load (dropped at the end) on POSTGRES_URL (default
postgres://root@127.0.0.1:5432) and uses Redis db 12 of REDIS_BASE_URL (default
redis://127.0.0.1:6379), flushed before and after. Serves the demo plus --posts synthetic posts
with gunicorn as gunicorn.conf.py configures it (workers from the CPU count), warmed up by
--warmup seconds of the same reading first. wrk requests
home, a post, a tag, the archive, a search and the Atom feed in turn, while one author logs in
and publishes, then renames, one post after another. Prints wrk's figures, the writes made and
whether each is in the database; exits non-zero on any socket error, any 5xx, any refused form
or any write missing.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.two_servers import Client, Failure, free_ports, manage, submit, wait_for

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgres://root@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("REDIS_BASE_URL", "redis://127.0.0.1:6379").rstrip("/") + "/12"
DATABASE = "gutbrain_load"
PATHS = [
    "/",
    "/posts/the-link-between-mental-health-and-gut-health/",
    "/tags/gut-health/",
    "/archive/",
    "/search/?q=serotonin",
    "/feed/atom/",
    "/posts/synthetic-500/",
    "/tags/gut-health/?page=20",
]
# Each wrk thread walks the paths in turn and counts answers of 500 and above.
WRK_SCRIPT = """
local paths = {%s}
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  server_errors = 0
  counter = id
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[counter %% #paths + 1])
end
function response(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("server_errors") end
  io.write(string.format("Server errors: %%d\\n", total))
end
"""


def author(port, stop, writes, problems):
    """Publish a post, then rename it, again and again until told to stop."""
    client = Client("author", port)
    login = {"username": "demo", "password": "gutbrain-demo", "next": "/admin/"}
    try:
        submit(client, "/admin/login/?next=/admin/", "login-form", **login)
        number = 0
        while not stop.is_set():
            number += 1
            token = f"{number}-{secrets.token_hex(3)}"
            slug = f"under-load-{token}"
            location = submit(
                client,
                "/admin/posts/post/add/",
                "post_form",
                title=f"Written under load {token}",
                slug=slug,
                summary="Published while readers kept the servers busy.",
                body=f"Post {number}, written under load. See [the seed post]"
                "(post:the-link-between-mental-health-and-gut-health).",
                status="published",
                tags="gut health, load",
                _continue="Save and continue editing",
            )
            change = re.search(r"/admin/posts/post/\d+/change/", location or "").group(0)
            title = f"Renamed under load {token}"
            submit(client, change, "post_form", title=title, _continue="Save and continue")
            writes.append((slug, title))
    except (Failure, AttributeError) as failure:
        problems.append(f"the author's write {len(writes) + 1} failed: {failure}")


def run(args, env, log):
    started = time.perf_counter()
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    manage(env, "migrate", "-v0")
    manage(env, "load_demo", "--with-login")
    manage(env, "generate_posts", str(args.posts))
    print(f"Demo + {args.posts} posts in {DATABASE} ({time.perf_counter() - started:.0f} s)")

    (port,) = free_ports(1)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "gutbrain.wsgi", "--log-level", "warning"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(server, port)
        script = Path(log.name).with_suffix(".lua")  # removed with the log's directory
        script.write_text(WRK_SCRIPT % ", ".join(f'"{path}"' for path in PATHS))

        def load(seconds):
            return subprocess.run(
                [
                    *("wrk", "-t2", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s"),
                    *("--latency", "-s", str(script), f"http://127.0.0.1:{port}/"),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout

        # Warm up first, as a running site is: each worker's first requests load its code
        # and templates, and would otherwise be the slowest percent of the measured run.
        load(args.warmup)
        stop, writes, problems = threading.Event(), [], []
        writer = threading.Thread(target=author, args=(port, stop, writes, problems))
        writer.start()
        output = load(args.seconds)
        stop.set()
        writer.join(timeout=60)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    print(output.strip())

    with psycopg.connect(f"{POSTGRES_URL}/{DATABASE}") as connection:
        stored = dict(
            connection.execute(
                "SELECT slug, title FROM posts_post WHERE slug LIKE %s AND status = 'published'",
                ["under-load-%"],
            ).fetchall()
        )
    missing = [(slug, title) for slug, title in writes if stored.get(slug) != title]
    socket_errors = re.search(r"Socket errors: (.*)", output)
    server_errors = int(re.search(r"Server errors: (\d+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    print(
        f"\nWrites: {len(writes)} posts published and renamed through the admin during the run; "
        f"{len(writes) - len(missing)} of them in the database with their new titles."
    )
    print(f"Socket errors: {socket_errors.group(1) if socket_errors else 'none'}")
    print(f"5xx answers: {server_errors}; other non-2xx/3xx: {non_2xx.group(1) if non_2xx else 0}")
    problems += [f"{len(missing)} writes missing: {missing[:5]}"] if missing else []
    problems += [f"socket errors: {socket_errors.group(1)}"] if socket_errors else []
    problems += [f"{server_errors} answers of 500 or more"] if server_errors else []
    problems += [f"{non_2xx.group(1)} answers not 2xx or 3xx"] if non_2xx else []
    problems += ["no write was made"] if not writes else []
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before measuring")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--posts", type=int, default=1000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gutbrain.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_PLAIN_STATIC": "true",
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",
        "DATABASE_URL": f"{POSTGRES_URL}/{DATABASE}",
        "REDIS_URL": REDIS_URL,
    }
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    with (
        tempfile.TemporaryDirectory() as directory,
        open(Path(directory, "server.log"), "w+") as log,
    ):
        try:
            problems = run(args, env, log)
        finally:
            store.flushdb()
            with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        log.seek(0)
        if problems:
            if output := log.read().strip():
                print(f"--- server output ---\n{output[-5000:]}", file=sys.stderr)
            sys.exit("FAILED: " + "; ".join(problems))
    print("All checks passed.")


if __name__ == "__main__":
    main()
