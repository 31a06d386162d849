"""Static files as production serves them, and what a reader downloads for a post."""

import gzip
import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

PROJECT = Path(__file__).resolve().parent.parent
SEED_POST = "/posts/the-link-between-mental-health-and-gut-health/"

# Runs with production static settings: collected, hashed and compressed files.
SERVE_COLLECTED = """
import django, json
django.setup()
from django.test import Client
client = Client()
home = client.get("/").content.decode()
css = home.split('rel="stylesheet" href="')[1].split('"')[0]
plain = client.get(css)
compressed = client.get(css, headers={"accept-encoding": "gzip"})
print(json.dumps({
    "css": css,
    "status": plain.status_code,
    "cache_control": plain["Cache-Control"],
    "encoding": compressed.get("Content-Encoding"),
    "plain_size": len(b"".join(plain.streaming_content)),
    "compressed_size": len(b"".join(compressed.streaming_content)),
}))
"""


def test_static_files_have_hashed_names_compression_and_long_cache_headers(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SECRET_KEY": "test-only",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=PROJECT,
        env=env,
        check=True,
    )
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=PROJECT, env=env, check=True)
    result = subprocess.run(
        [python, "-c", SERVE_COLLECTED],
        cwd=PROJECT,
        env={**env, "DJANGO_SETTINGS_MODULE": "gutbrain.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    assert re.fullmatch(r"/static/posts/site\.[0-9a-f]{12}\.css", served["css"])
    assert served["status"] == 200
    assert "max-age=315360000" in served["cache_control"]
    assert "immutable" in served["cache_control"]
    assert served["encoding"] in ("gzip", "br")
    assert served["compressed_size"] < served["plain_size"] / 2


@pytest.mark.django_db
def test_the_seed_post_page_and_its_stylesheet_weigh_under_40_kb(client):
    call_command("load_demo", stdout=StringIO())
    html = client.get(SEED_POST).content
    css = (PROJECT / "static/posts/site.css").read_bytes()
    assert b"Intestinal Hyperpermeability" in html
    assert len(html) + len(css) < 40_000, (len(html), len(css))


@pytest.mark.django_db
def test_pages_are_sent_compressed_to_browsers_that_accept_it(client):
    call_command("load_demo", stdout=StringIO())
    plain = client.get(SEED_POST)
    compressed = client.get(SEED_POST, headers={"accept-encoding": "gzip"})
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(compressed.content).startswith(b"<!doctype html>")
    assert len(compressed.content) < len(plain.content) / 2


def test_static_files_are_left_to_whitenoise_not_compressed_again(client):
    response = client.get("/static/posts/favicon.svg", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert b"<svg" in b"".join(response.streaming_content)
