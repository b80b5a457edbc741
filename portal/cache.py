"""The portal's Redis cache, soft when Redis is down: the database stays the source of truth (sessions are
`cached_db`, the family summary is recomputed), so a cache that cannot be reached behaves as an empty one instead of
failing every signed-in page with a 500. Only connection and timeout errors are softened; each outage is logged (at
most once a minute per process). Counters fail open (`incr` answers `delta`): a rate limit does not count while Redis
is away, and `add` answers True (a lock taken), which is the price of keeping the portal up."""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
LOG_EVERY_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 2.0
_last_logged = 0.0


def _soft(call: Callable[[], Any], fallback: Any, operation: str) -> Any:
    global _last_logged
    try:
        return call()
    except UNREACHABLE as error:
        now = time.monotonic()
        if now - _last_logged >= LOG_EVERY_SECONDS:
            _last_logged = now
            logger.warning("Cache unreachable (%s: %s): working from the database", operation, error)
        return fallback


class FailSoftRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT_SECONDS)  # an unreachable host: not minutes
        options.setdefault("socket_timeout", CONNECT_TIMEOUT_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})

    def add(self, key, value, timeout=None, version=None):
        # True: "as if added", so that a cache lock (allauth's rate limit) or a counter's first step goes on.
        return _soft(lambda: super(FailSoftRedisCache, self).add(key, value, timeout, version), True, "add")

    def get(self, key, default=None, version=None):
        return _soft(lambda: super(FailSoftRedisCache, self).get(key, default, version), default, "get")

    def set(self, key, value, timeout=None, version=None):
        return _soft(lambda: super(FailSoftRedisCache, self).set(key, value, timeout, version), None, "set")

    def touch(self, key, timeout=None, version=None):
        return _soft(lambda: super(FailSoftRedisCache, self).touch(key, timeout, version), False, "touch")

    def delete(self, key, version=None):
        return _soft(lambda: super(FailSoftRedisCache, self).delete(key, version), False, "delete")

    def get_many(self, keys, version=None):
        return _soft(lambda: super(FailSoftRedisCache, self).get_many(keys, version), {}, "get_many")

    def has_key(self, key, version=None):
        return _soft(lambda: super(FailSoftRedisCache, self).has_key(key, version), False, "has_key")

    def incr(self, key, delta=1, version=None):
        return _soft(lambda: super(FailSoftRedisCache, self).incr(key, delta, version), delta, "incr")

    def set_many(self, data, timeout=None, version=None):
        return _soft(lambda: super(FailSoftRedisCache, self).set_many(data, timeout, version), list(data), "set_many")

    def delete_many(self, keys, version=None):
        return _soft(lambda: super(FailSoftRedisCache, self).delete_many(keys, version), None, "delete_many")

    def clear(self):
        return _soft(lambda: super(FailSoftRedisCache, self).clear(), None, "clear")
