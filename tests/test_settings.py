import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django_redis.cache import RedisCache

PROJECT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def load_settings(**environ):
    """Import the settings module in a fresh interpreter with exactly this environment."""
    env = {"PATH": os.environ["PATH"], **environ}
    code = (
        "import json, gutbrain.settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'cache': s.CACHES['default'], "
        "'db': s.DATABASES['default']['ENGINE'], 'hosts': s.ALLOWED_HOSTS, "
        "'db_options': s.DATABASES['default'].get('OPTIONS', {})}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )


def test_missing_secret_key_stops_start_up_with_one_line():
    """With debug off and no secret key, start-up names the variable to set, in one line."""
    result = load_settings()
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_manage_py_stops_the_same_way():
    """`manage.py check` without a secret key fails cleanly."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("gutbrain: DJANGO_SECRET_KEY is not set")


def test_defaults_are_sqlite_and_a_cache_in_files():
    """Without configuration the site runs on a SQLite file and a cache in files, which every
    process on the machine shares."""
    result = load_settings(DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert '"debug": true' in result.stdout
    assert '"db": "django.db.backends.sqlite3"' in result.stdout
    assert "FileBasedCache" in result.stdout
    # An empty variable, as an environment file can leave it, is no variable.
    result = load_settings(DJANGO_DEBUG="true", DATABASE_URL="", REDIS_URL="")
    assert result.returncode == 0, result.stderr
    assert '"db": "django.db.backends.sqlite3"' in result.stdout
    assert "FileBasedCache" in result.stdout


def test_environment_selects_postgresql_redis_and_hosts():
    """DATABASE_URL, REDIS_URL and DJANGO_ALLOWED_HOSTS configure the real services."""
    result = load_settings(
        DJANGO_SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://blog@db.internal:5432/blog",
        REDIS_URL="redis://cache.internal:6379/0",
        DJANGO_ALLOWED_HOSTS="blog.example.org, www.blog.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert '"debug": false' in result.stdout
    assert '"db": "django.db.backends.postgresql"' in result.stdout
    assert '"BACKEND": "django_redis.cache.RedisCache"' in result.stdout
    assert '"LOCATION": "redis://cache.internal:6379/0"' in result.stdout
    assert '"hosts": ["blog.example.org", "www.blog.example.org"]' in result.stdout


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        **settings.CACHES,
        "redis": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"gutbrain-test-{uuid.uuid4().hex}",
        },
    }
    cache = caches["redis"]
    yield cache
    # Delete only this test's keys: clear() would flush the whole Redis database.
    cache.delete_many(["post:1", "post:2"])


def test_redis_cache_backend_stores_expires_and_deletes_values(redis_cache):
    """The Redis backend the settings select works against the real server."""
    assert isinstance(redis_cache, RedisCache)
    redis_cache.set("post:1", {"title": "Gut and Mind"}, timeout=30)
    assert redis_cache.get("post:1") == {"title": "Gut and Mind"}
    server = redis.Redis.from_url(REDIS_URL)
    assert 0 < server.ttl(redis_cache.make_and_validate_key("post:1")) <= 30
    redis_cache.delete("post:1")
    assert redis_cache.get("post:1") is None
    redis_cache.set("post:2", "gone", timeout=0)
    assert redis_cache.get("post:2") is None


def test_the_test_run_uses_the_configured_database():
    """The suite runs against whichever database DATABASE_URL names (SQLite or PostgreSQL)."""
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite3"
    )
    assert settings.DATABASES["default"]["ENGINE"] == f"django.db.backends.{expected}"
