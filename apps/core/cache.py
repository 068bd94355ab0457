"""The shared cache (Redis) with a per-process fallback, so a Redis outage never takes a page down.

The cache holds rate-limit counters, page content (below) and the short-lived keys of deletion
confirmations (apps/notifications/erasure_notices.py: a key kept in a process's memory while Redis is
down cannot be read by a worker, so that confirmation is dropped, never sent in clear). While Redis does
not answer, each process counts in its own memory: a limit still holds, per process (a deployment with N
web processes lets through at most N times the limit), instead of every limited page answering 500.
See README "Rate limits".
"""

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WARN_EVERY = 60  # seconds between two warnings of the same process about the same outage


# Add to a counter only if it exists (an expired one must not come back without its expiry), in one round trip.
_INCR_EXISTING = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end"


class ReusedRedisClient(RedisCacheClient):
    """Django's Redis cache client with one redis.Redis per connection pool, kept, instead of a new one for
    every command (building one, with its table of reply callbacks, costs about as much as the command
    itself), and `incr` in one round trip instead of EXISTS then INCRBY (atomic, too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:  # redis.Redis is safe to share: each command takes a connection from the pool
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key: Any, delta: int) -> int:
        value = self.get_client(key, write=True).eval(_INCR_EXISTING, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCacheWithLocalFallback(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisClient
        self._local = LocMemCache(f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._warned_at = 0.0

    def _fall_back(self, operation: str, exc: Exception) -> LocMemCache:
        now = time.monotonic()
        if now - self._warned_at > WARN_EVERY:
            self._warned_at = now
            # The class name only: a connection error's text names the host, never personal data,
            # but keys (which hold an IP's hash) must not reach the log either.
            logger.warning("cache unavailable (%s on %s); counting in this process until it answers",
                           type(exc).__name__, operation)
        return self._local

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except RedisError as exc:
            return self._fall_back("add", exc).add(key, value, timeout, version)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            return self._fall_back("get", exc).get(key, default, version)

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except RedisError as exc:
            self._fall_back("set", exc).set(key, value, timeout, version)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except RedisError as exc:
            return self._fall_back("incr", exc).incr(key, delta, version)

    def delete(self, key: str, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except RedisError as exc:
            return self._fall_back("delete", exc).delete(key, version)


# --- page content that changes only when staff change it ------------------------------------------
# Purposes and their notices, the policy in force, the cookie catalogue: read on every page, changed
# by a handful of services. Each kind of content has a version (a random token in the cache); its
# entries are keyed by that version, and the services that change the content bump it, both at once
# and when their transaction commits (so an entry computed from the old rows meanwhile is never used
# again). No signals: a change made outside the services (a shell, a fixture) shows within CONTENT_TTL.
# The cache is Redis when REDIS_URL is set, local memory otherwise (settings.CACHES).
CONTENT_TTL = 600  # seconds
_MISSING = object()
_names: set[str] = set()  # the kinds of content this process has used (content_reset)


def _content_cache() -> Any:
    return caches["default"]


def _version_key(name: str) -> str:
    return f"content-version:{name}"


def content_version(name: str) -> str:
    _names.add(name)
    cache = _content_cache()
    version = cache.get(_version_key(name))
    if version is None:  # never set, or evicted: a new token, so no entry of an older version is ever read
        cache.add(_version_key(name), uuid.uuid4().hex[:12], timeout=None)
        version = cache.get(_version_key(name)) or "unversioned"
    return version


def content_bump(name: str) -> None:
    """The content changed: entries of the old version are never read again. Call inside the change's
    transaction; bumped again after it commits."""
    def bump() -> None:
        _content_cache().set(_version_key(name), uuid.uuid4().hex[:12], timeout=None)

    _names.add(name)
    bump()
    transaction.on_commit(bump)


def content_reset() -> None:
    """Every kind of content this process has cached is read afresh (tests: each starts with a new database)."""
    for name in list(_names):
        _content_cache().set(_version_key(name), uuid.uuid4().hex[:12], timeout=None)


# Values this process has read, by their versioned key: a page then asks the shared cache only for the
# version (a short string), not for the value too (a pickled list of model rows each time). An entry of an
# old version is never read again (the key changes with the version); the dict is emptied when it grows.
_read: dict[str, tuple[float, Any]] = {}
_READ_MAX = 256


def content_cached(name: str, parts: tuple, compute: Callable[[], Any], *, timeout: int = CONTENT_TTL) -> Any:
    """The value for this kind of content (and these key parts, e.g. a language), computed once per version.
    Callers treat it as read-only: within a process the same object is handed out again."""
    cache = _content_cache()
    key = f"content:{name}:{content_version(name)}:{':'.join(str(p) for p in parts)}"
    now = time.monotonic()
    held = _read.get(key)
    if held is not None and held[0] > now:
        return held[1]
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, timeout)
    if len(_read) >= _READ_MAX:
        _read.clear()
    _read[key] = (now + timeout, value)
    return value
