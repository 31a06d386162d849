"""Django's Redis cache, made optional: when Redis does not answer, pages are built from the
database instead, and the log says why, at most once a minute."""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient, RedisSerializer
from redis.exceptions import RedisError

logger = logging.getLogger("gutbrain.cache")

LOG_EVERY_SECONDS = 60
_last_logged = -LOG_EVERY_SECONDS


def _log(operation, error):
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        logger.error(
            "The cache (Redis) did not answer a %s: %s. Pages are built from the database "
            "until it does.",
            operation,
            error,
        )


def _tolerant(name, fallback):
    """RedisCache's `name`, answering what `fallback` gives when Redis fails."""
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def tolerant(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as error:
            _log(name, error)
            return fallback(*args, **kwargs)

    return tolerant


class TolerantSerializer(RedisSerializer):
    """A value that cannot be read back, written by something else or pickled by another
    version of a class, is a miss rather than an error on every page that reads it."""

    def loads(self, data):
        try:
            return super().loads(data)
        except Exception as error:  # unpickling can raise almost any exception
            logger.warning("Ignored a cache value that cannot be read: %r", error)
            return None


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django makes a redis client, with its table of reply parsers, for every command: a
    third of a cached page's cost. A client is safe to share; keep one per connection pool."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("serializer", TolerantSerializer)
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    # When Redis cannot answer: a miss, or nothing stored.
    get = _tolerant("get", lambda key, default=None, version=None: default)
    get_many = _tolerant("get_many", lambda *args, **kwargs: {})
    has_key = _tolerant("has_key", lambda *args, **kwargs: False)
    set = _tolerant("set", lambda *args, **kwargs: None)
    set_many = _tolerant("set_many", lambda data, *args, **kwargs: list(data))
    add = _tolerant("add", lambda *args, **kwargs: False)
    touch = _tolerant("touch", lambda *args, **kwargs: False)
    delete = _tolerant("delete", lambda *args, **kwargs: False)
    delete_many = _tolerant("delete_many", lambda *args, **kwargs: None)
    clear = _tolerant("clear", lambda *args, **kwargs: False)
