"""The site as production serves it, for benchmarks that drive a browser: gunicorn with DEBUG
off, collected static files and the demo series, all in a throwaway directory."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def served_demo(prefix, setup_python=None):
    """Yield the site's base URL while gunicorn serves the demo from a throwaway directory.
    `setup_python`, if given, runs in `manage.py shell` before the server starts."""
    sys.path.insert(0, str(ROOT))
    from bench.run import wait_for_port

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "benchmark-only",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "GUTBRAIN_CACHE_DIR": str(workdir / "cache"),
        "GUTBRAIN_SERVE_MEDIA": "true",
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
    }
    for name in ("DJANGO_DEBUG", "DJANGO_PLAIN_STATIC", "DJANGO_SETTINGS_MODULE", "REDIS_URL"):
        env.pop(name, None)
    python = sys.executable
    commands = [["migrate"], ["collectstatic", "--noinput"], ["load_demo", "--with-login"]]
    if setup_python:
        commands.append(["shell", "-c", setup_python])
    for command in commands:
        subprocess.run(
            [python, "manage.py", *command, "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = free_port()
    server = subprocess.Popen(
        [
            *(python, "-m", "gunicorn", "gutbrain.wsgi", "--bind", f"127.0.0.1:{port}"),
            *("--workers", "2", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)
