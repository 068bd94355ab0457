"""The shared cache (Redis) with a per-process fallback, so a Redis outage never takes a page down.

The cache holds rate-limit counters and the short-lived keys of deletion confirmations
(apps/notifications/erasure_notices.py: a key kept in a process's memory while Redis is down cannot be
read by a worker, so that confirmation is dropped, never sent in clear). While Redis does not answer,
each process counts in its own memory: a limit still holds, per process (a deployment with N web
processes lets through at most N times the limit), instead of every limited page answering 500.
See README "Rate limits".
"""

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WARN_EVERY = 60  # seconds between two warnings of the same process about the same outage


class RedisCacheWithLocalFallback(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
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
