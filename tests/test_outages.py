"""Outages of the real services, under a real app server: gunicorn on a PostgreSQL cluster and a
Redis of the test's own, which it stops and starts again while readers keep asking."""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_POST = "/posts/the-link-between-mental-health-and-gut-health/"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing answered on port {port}")


def as_postgres(*command):
    """Run a PostgreSQL server command as the postgres user, which it insists on."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True)


class PostgreSQL:
    """A throwaway cluster on a port of its own."""

    def __init__(self, directory):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        assert binaries, "PostgreSQL's server programs are not installed"
        self.bin = Path(binaries[-1]).parent
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.port = free_port()
        directory.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres")
        as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "gutbrain"
        )

    def start(self):
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        # With a log file of its own, the server holds none of this process's pipes open.
        as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "start",
        )  # fmt: skip

    def stop(self):
        as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self):
        return f"postgres://gutbrain@127.0.0.1:{self.port}/postgres"


class Redis:
    def __init__(self):
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture(scope="module")
def services():
    with contextlib.ExitStack() as cleanup:
        directory = Path(tempfile.mkdtemp(prefix="gutbrain-outage-"))
        cleanup.callback(shutil.rmtree, directory, ignore_errors=True)
        os.chmod(directory, 0o755)
        postgres, redis = PostgreSQL(directory / "postgres"), Redis()
        postgres.start()
        cleanup.callback(stop_quietly, postgres)
        redis.start()
        cleanup.callback(stop_quietly, redis)
        log = directory / "server.log"
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "DJANGO_SECRET_KEY": "outage-test-only",
            "DJANGO_DEBUG": "false",
            "DJANGO_PLAIN_STATIC": "true",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "gutbrain.settings",
        }
        python = sys.executable
        for command in (["migrate", "-v0"], ["load_demo", "-v0"]):
            subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)
        log_file = cleanup.enter_context(open(log, "w"))
        server = subprocess.Popen(
            [python, "-m", "gunicorn", "gutbrain.wsgi", "--workers", "1", "--timeout", "20"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": ""},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        cleanup.callback(stop_server, server)
        wait_for_port(port)
        yield {"postgres": postgres, "redis": redis, "port": port, "log": log}


def stop_quietly(service):
    """Stop a service a test may have left stopped already."""
    with contextlib.suppress(subprocess.CalledProcessError, ProcessLookupError):
        service.stop()


def stop_server(server):
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def get(services, path):
    """(status, body, headers) of a GET, errors included."""
    url = f"http://127.0.0.1:{services['port']}{path}"
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


def test_without_postgresql_readers_get_cached_pages_or_a_503_page(services):
    status, cached_home, _ = get(services, "/")
    assert status == 200
    assert get(services, SEED_POST)[0] == 200
    assert get(services, "/healthz")[0] == 200

    services["postgres"].stop()
    try:
        status, home, _ = get(services, "/")
        assert status == 200
        assert home == cached_home  # from Redis, which still answers
        status, body, headers = get(services, "/tags/neuroscience/")  # never cached
        assert status == 503
        assert headers["Retry-After"]
        assert "Back in a moment" in body
        assert "Traceback" not in body
        assert "OperationalError" not in body
        assert "Content-Security-Policy" in headers
        status, body, _ = get(services, "/healthz")
        assert status == 503
        assert '"database": "unavailable"' in body
    finally:
        services["postgres"].start()

    # Back without restarting the app server.
    status, body, _ = get(services, "/tags/neuroscience/")
    assert status == 200
    assert "How the Gut Talks to the Brain" in body
    assert get(services, "/healthz")[0] == 200


def test_without_redis_every_page_comes_from_the_database(services):
    logged_before = len(services["log"].read_text())
    services["redis"].stop()
    try:
        for path in ("/", SEED_POST, "/archive/", "/search/?q=serotonin", "/feed/atom/"):
            status, body, _ = get(services, path)
            assert status == 200, path
        status, body, _ = get(services, SEED_POST)
        assert "Intestinal Hyperpermeability" in body
        status, body, _ = get(services, "/healthz")
        assert status == 503
        assert '"cache": "unavailable"' in body
        logged = services["log"].read_text()[logged_before:]
        assert "the cache does not answer" in logged
        assert "Traceback" not in logged
    finally:
        services["redis"].start()
    deadline = time.monotonic() + 10
    while get(services, "/healthz")[0] != 200:
        assert time.monotonic() < deadline, "the cache did not come back"
        time.sleep(0.5)
