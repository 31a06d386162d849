"""Two stateless app servers, one PostgreSQL, one Redis: what A saves, B serves at once.

Usage: .venv/bin/python bench/two_servers.py
Creates the database gutbrain_two_servers (dropped at the end) on POSTGRES_URL (default
postgres://root@127.0.0.1:5432) and uses Redis db 14 of REDIS_BASE_URL (default
redis://127.0.0.1:6379), flushed at the start and the end. Starts two gunicorns with the same
settings, publishes, renames and unpublishes a post through the admin on A, and checks B's home
page, post page and Atom feed after each step. Exits non-zero if B serves anything stale.
"""

import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgres://root@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("REDIS_BASE_URL", "redis://127.0.0.1:6379").rstrip("/") + "/14"
DATABASE = "gutbrain_two_servers"
GRACE_SECONDS = 5  # after a stale answer, how long to keep asking B, to report when it caught up


class Failure(Exception):
    pass


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None  # the caller sees the 302 and its Location


class Client:
    """One browser: its own cookies, talking to one server."""

    def __init__(self, name, port, jar=None):
        self.name, self.base = name, f"http://127.0.0.1:{port}"
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies, NoRedirects)

    def request(self, path, data=None):
        """(status, Location, body) of one GET, or a POST of the form `data`."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers["Location"], response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Location"], error.read().decode()


class FormFields(HTMLParser):
    """What a browser would send from the form with this id: name -> list of values."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, {}
        self.select = self.textarea = None

    def add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "disabled" in attrs:
            return
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if tag == "input" and name and kind not in {"submit", "button", "image", "reset", "file"}:
            if kind not in {"checkbox", "radio"} or "checked" in attrs:
                self.add(name, attrs.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]
        elif tag == "select" and name:
            self.select = [name, "multiple" in attrs, []]
        elif tag == "option" and self.select:
            self.select[2].append((attrs.get("value") or "", "selected" in attrs))

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea:
            name, text = self.textarea
            self.add(name, text.removeprefix("\n"))  # as browsers do: the first newline goes
            self.textarea = None
        elif tag == "select" and self.select:
            name, multiple, options = self.select
            chosen = [value for value, selected in options if selected]
            for value in chosen or ([options[0][0]] if options and not multiple else []):
                self.add(name, value)
            self.select = None


def form_fields(html, form_id):
    parser = FormFields(form_id)
    parser.feed(html)
    if not parser.fields:
        raise Failure(f"no form #{form_id} in the page")
    return parser.fields


def form_errors(html):
    found = re.findall(r'class="(?:errornote|errorlist)[^"]*"[^>]*>(.*?)</(?:p|ul)>', html, re.S)
    return "\n".join(dict.fromkeys(" ".join(re.sub("<[^>]+>", " ", e).split()) for e in found))


def submit(client, path, form_id, **changes):
    """GET the form at `path`, change some fields, POST it; return the redirect's Location."""
    status, _, html = client.request(path)
    if status != 200:
        raise Failure(f"{client.name} GET {path}: status {status}")
    fields = form_fields(html, form_id)
    fields.update({name: [value] for name, value in changes.items()})
    status, location, html = client.request(path, fields)
    if status != 302:
        errors = form_errors(html) or html[:2000]
        raise Failure(f"{client.name} POST {path}: status {status}, not 302\n{errors}")
    return location


def expect(client, path, since, status=200, has=(), lacks=()):
    """Fail unless `path` answers `status`, showing `has` and not `lacks`, on the first try."""

    def problems():
        code, _, body = client.request(path)
        found = [f"status {code}, expected {status}"] if code != status else []
        found += [f"{text!r} missing" for text in has if text not in body]
        return found + [f"{text!r} still there" for text in lacks if text in body]

    if not (first := problems()):
        return time.perf_counter() - since
    deadline = time.monotonic() + GRACE_SECONDS
    while (later := problems()) and time.monotonic() < deadline:
        time.sleep(0.1)
    caught_up = (
        f"still so {GRACE_SECONDS} s later"
        if later
        else f"B caught up {time.perf_counter() - since:.2f} s after A saved"
    )
    raise Failure(f"{client.name} GET {path}: {'; '.join(first)} ({caught_up})")


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def wait_for(server, port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise Failure(f"gunicorn on port {port} exited with status {server.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise Failure(f"gunicorn did not start on port {port} in {timeout} s")


def manage(env, *args):
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise Failure(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def recreate_database(drop_only=False):
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        if not drop_only:
            connection.execute(f"CREATE DATABASE {DATABASE}")


def run(env, servers, logs):
    started = time.perf_counter()
    recreate_database()
    manage(env, "migrate", "-v0")
    manage(env, "load_demo", "--with-login")
    print(f"Database {DATABASE} migrated, demo loaded ({time.perf_counter() - started:.1f} s)")

    ports = free_ports(2)
    started = time.perf_counter()
    for port, log in zip(ports, logs, strict=True):
        command = ["-m", "gunicorn", "gutbrain.wsgi", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", "2", "--log-level", "warning"]
        servers.append(
            subprocess.Popen(
                [sys.executable, *command],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    for server, port in zip(servers, ports, strict=True):
        wait_for(server, port)
    print(
        f"Server A on :{ports[0]}, server B on :{ports[1]}, 2 gunicorn workers each "
        f"(up in {time.perf_counter() - started:.1f} s)"
    )
    a, b = Client("A", ports[0]), Client("B", ports[1])

    token = secrets.token_hex(4)
    title, renamed = f"Published through server A {token}", f"Renamed on server A {token}"
    slug, pages = f"two-servers-{token}", ["/", "/feed/atom/"]
    started = time.perf_counter()
    for path in pages * 2:
        expect(b, path, started, lacks=[title])
    keys = redis.Redis.from_url(REDIS_URL).dbsize()
    print(f"B: home page and Atom feed read twice each, no {title!r}; {keys} keys in Redis (ok)")

    started = time.perf_counter()
    login = {"username": "demo", "password": "gutbrain-demo", "next": "/admin/"}
    submit(a, "/admin/login/?next=/admin/", "login-form", **login)
    logged_in = time.perf_counter() - started
    # The same browser asking B: the session is in PostgreSQL, signed with the shared key.
    status, location, _ = Client("B", ports[1], a.jar).request("/admin/")
    if status != 200:
        raise Failure(f"B does not accept A's session: /admin/ answers {status} {location}")
    print(f"A: logged in as demo ({logged_in:.2f} s); B accepts the same session cookie (ok)")

    started = time.perf_counter()
    location = submit(
        a,
        "/admin/posts/post/add/",
        "post_form",
        title=title,
        slug=slug,
        summary="Saved on one server, read from the other.",
        body="Two app servers share one database and one cache.",
        status="published",
        tags="gut health",
        _continue="Save and continue editing",
    )
    saved = time.perf_counter()
    match = re.search(r"/admin/posts/post/(\d+)/change/", location or "")
    if not match:
        raise Failure(f"A: after saving, a redirect to {location!r}, not to the change form")
    change = match.group(0)
    print(f"A: published {title!r} as post {match.group(1)} ({saved - started:.2f} s)")
    after = expect(b, "/", saved, has=[title])
    expect(b, f"/posts/{slug}/", saved, has=[title])
    expect(b, "/feed/atom/", saved, has=[title])
    print(f"B serves the new post {after:.3f} s after A saved it: home, post page, Atom feed (ok)")

    started = time.perf_counter()
    submit(a, change, "post_form", title=renamed, _continue="Save and continue editing")
    saved = time.perf_counter()
    print(f"A: renamed it {renamed!r} ({saved - started:.2f} s)")
    after = expect(b, "/", saved, has=[renamed], lacks=[title])
    expect(b, f"/posts/{slug}/", saved, has=[renamed], lacks=[title])
    expect(b, "/feed/atom/", saved, has=[renamed], lacks=[title])
    print(f"B shows the new title {after:.3f} s after A saved it: home, post page, feed (ok)")

    started = time.perf_counter()
    submit(a, change, "post_form", status="draft", _continue="Save and continue editing")
    saved = time.perf_counter()
    print(f"A: unpublished it, back to draft ({saved - started:.2f} s)")
    after = expect(b, f"/posts/{slug}/", saved, status=404)
    expect(b, "/", saved, lacks=[renamed])
    expect(b, "/feed/atom/", saved, lacks=[renamed])
    print(f"B answers 404 for it {after:.3f} s after A saved; home and feed drop it (ok)")


def main():
    store = redis.Redis.from_url(REDIS_URL)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gutbrain.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # one key for both servers
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_PLAIN_STATIC": "true",
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",  # no collectstatic here
        "DATABASE_URL": f"{POSTGRES_URL}/{DATABASE}",
        "REDIS_URL": REDIS_URL,
    }
    servers = []
    with tempfile.TemporaryFile("w+") as log_a, tempfile.TemporaryFile("w+") as log_b:
        try:
            store.flushdb()
            run(env, servers, [log_a, log_b])
            print("All checks passed: what A saved, B served on its next request.")
        except (Failure, psycopg.Error, redis.RedisError) as failure:
            for name, log in [("A", log_a), ("B", log_b)]:
                log.seek(0)
                if output := log.read().strip():
                    print(f"--- server {name} output ---\n{output}", file=sys.stderr)
            sys.exit(f"FAILED: {failure}")
        finally:
            for server in servers:
                if server.poll() is None:
                    os.killpg(server.pid, signal.SIGTERM)
            for server in servers:
                server.wait()
            try:
                recreate_database(drop_only=True)
                store.flushdb()
            except (psycopg.Error, redis.RedisError) as error:
                print(f"Cleanup failed: {error}", file=sys.stderr)


if __name__ == "__main__":
    main()
