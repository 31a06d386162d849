"""Production settings, the health check, and start-up with bad configuration."""

import contextlib
import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import DatabaseError

from tests.test_outages import free_port, wait_for_port

PROJECT = Path(__file__).resolve().parent.parent

# What README's "Deploying" section sets.
PRODUCTION = {
    "DJANGO_SECRET_KEY": "k7#Qm2@vX9!pL4$wR8^tZ1&nB6*cY3(hJ5)dF0-gS+eU~aI%oP_yT=",
    "DJANGO_ALLOWED_HOSTS": "blog.example.org",
    "DJANGO_HTTPS": "true",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
    "DATABASE_URL": "postgres://gutbrain@db.internal:5432/gutbrain",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "GUTBRAIN_SITE_URL": "https://blog.example.org",
    "DJANGO_EMAIL_URL": "smtp://gutbrain:password@mail.internal:587?tls=True",
}


def manage(*args, **environ):
    env = {"PATH": os.environ["PATH"], **environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True
    )


def test_check_deploy_reports_nothing_for_the_documented_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_complains_without_https():
    environ = {**PRODUCTION, "DJANGO_HTTPS": "false"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **environ)
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no redirect to HTTPS


def test_check_deploy_asks_for_the_public_address_that_e_mail_links_to():
    environ = {name: value for name, value in PRODUCTION.items() if name != "GUTBRAIN_SITE_URL"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **environ)
    assert result.returncode != 0
    assert "gutbrain.W001" in result.stderr
    assert "GUTBRAIN_SITE_URL is not set" in result.stderr


def mailers(**environ):
    """MAILERS as the settings make it of this environment."""
    code = "import json, gutbrain.settings as s; print(json.dumps(s.MAILERS))"
    env = {"PATH": os.environ["PATH"], "DJANGO_SECRET_KEY": "x", **environ}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_an_e_mail_url_configures_the_mail_server():
    environ = {"DJANGO_EMAIL_URL": "smtp://postman:s3cret@mail.example.org:587?tls=True"}
    mailer = mailers(**environ)["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] == {
        "host": "mail.example.org",
        "port": 587,
        "username": "postman",
        "password": "s3cret",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 30,
    }


def test_the_usual_email_settings_configure_the_mail_server_too():
    mailer = mailers(EMAIL_HOST="relay.internal", EMAIL_PORT="465", EMAIL_USE_SSL="true")
    assert mailer["default"]["OPTIONS"]["host"] == "relay.internal"
    assert mailer["default"]["OPTIONS"]["port"] == 465
    assert mailer["default"]["OPTIONS"]["use_ssl"] is True


def test_without_a_mail_server_e_mail_is_printed_to_the_console():
    assert mailers() == {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}


def test_check_deploy_refuses_e_mail_printed_to_the_console():
    environ = {name: value for name, value in PRODUCTION.items() if name != "DJANGO_EMAIL_URL"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **environ)
    assert result.returncode != 0
    assert "mail.E001" in result.stderr


def test_a_bad_e_mail_url_stops_start_up_with_one_line():
    result = manage("check", DJANGO_SECRET_KEY="x", DJANGO_EMAIL_URL="carrier-pigeon://loft")
    assert result.returncode == 1
    assert result.stderr.startswith("gutbrain: DJANGO_EMAIL_URL is not an e-mail URL")
    assert "Traceback" not in result.stderr


def test_a_database_url_without_a_scheme_stops_start_up_with_one_line():
    result = manage("check", DJANGO_SECRET_KEY="x", DATABASE_URL="db.internal/gutbrain")
    assert result.returncode == 1
    assert result.stderr.startswith("gutbrain: DATABASE_URL is not a database URL such as")
    assert "Traceback" not in result.stderr


def test_settings_read_https_from_the_environment():
    code = (
        "import json, gutbrain.settings as s; print(json.dumps([s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER, s.LOGGING['handlers']['console']['stream']]))"
    )
    env = {"PATH": os.environ["PATH"], **PRODUCTION}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == (
        '[true, true, true, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"], "ext://sys.stdout"]'
    )


@pytest.mark.django_db
def test_behind_the_proxy_https_requests_are_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/robots.txt").status_code == 301
    assert client.get("/robots.txt", headers={"x-forwarded-proto": "https"}).status_code == 200
    # Load balancers ask over plain HTTP.
    assert client.get("/healthz").status_code == 200


def test_gunicorn_configuration_loads():
    code = (
        "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
        "print(c['workers'] >= 3, c['timeout'], c['accesslog'], c['errorlog'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True
    )
    assert result.stdout.split() == ["True", "30", "-", "-"]


@pytest.mark.django_db
def test_healthz_answers_200_when_database_and_cache_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_without_the_database(client, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("gutbrain.views.connection.cursor", refuse)
    with caplog.at_level(logging.ERROR, logger="gutbrain.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "cache": "ok"}
    assert "the database does not answer" in caplog.text


@pytest.mark.django_db
def test_healthz_answers_503_without_the_cache(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "unavailable"}


@contextlib.contextmanager
def gunicorn(tmp_path, **environ):
    """gunicorn serving the site with gunicorn.conf.py, on a port of its own."""
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SECRET_KEY": "gunicorn-test-only",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_PLAIN_STATIC": "true",
        "GUTBRAIN_PAGE_CACHE": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": "",
        **environ,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "gutbrain.wsgi"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers):
    """(status, body, headers) of a GET that follows no redirect."""
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=15) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


FORWARDED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"}


def test_without_the_proxy_setting_no_forwarded_header_makes_a_request_https(tmp_path):
    """gunicorn, asked from its own host, does not let X-Forwarded-Proto or X-Forwarded-Ssl
    switch the redirect to HTTPS off, nor make the site's own links https."""
    with gunicorn(tmp_path, DJANGO_HTTPS="true") as server:
        status, _, headers = fetch(f"{server}/robots.txt", FORWARDED_HTTPS)
        assert status == 301
        assert headers["Location"] == f"{server.replace('http:', 'https:')}/robots.txt"
    with gunicorn(tmp_path, DJANGO_HTTPS="false") as server:
        status, robots, _ = fetch(f"{server}/robots.txt", FORWARDED_HTTPS)
        assert status == 200
        assert "Sitemap: http://127.0.0.1:" in robots
    assert not (tmp_path / ".gunicorn").exists()  # no control socket in the home folder


def test_behind_the_proxy_its_forwarded_proto_makes_a_request_https(tmp_path):
    environ = {"DJANGO_HTTPS": "true", "DJANGO_SECURE_PROXY_SSL_HEADER": "true"}
    with gunicorn(tmp_path, **environ) as server:
        status, robots, _ = fetch(f"{server}/robots.txt", {"X-Forwarded-Proto": "https"})
        assert status == 200
        assert "Sitemap: https://127.0.0.1:" in robots
        # X-Forwarded-Ssl is not the header Django is told to trust.
        assert fetch(f"{server}/robots.txt", {"X-Forwarded-Ssl": "on"})[0] == 301
