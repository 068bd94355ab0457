"""Which worker processes are alive, and short-lived facts kept outside the database.

Each worker process writes a heartbeat key in Redis every HEARTBEAT_EVERY seconds, expiring after
HEARTBEAT_TTL. Work claimed by a process (its `process_id()` stored on the row) can then be
handed back as soon as that process is known to be gone, instead of after a long timeout.

A missing heartbeat is trusted only when Redis has been up longer than HEARTBEAT_TTL: a Redis
restarted empty has lost every heartbeat, including those of live processes.

Everything here fails soft: with Redis down or not configured, liveness is unknown (None) and
callers fall back to their timeouts.
"""

import logging
import os
import socket
import threading
import uuid

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5  # seconds
HEARTBEAT_TTL = 15  # seconds: three missed beats and the process counts as gone


def _prefix(kind: str) -> str:
    """This deployment's keys of a kind (REDIS_KEY_PREFIX: deployments sharing a Redis never meet)."""
    return f"{settings.REDIS_KEY_PREFIX}:{kind}:"

_state: dict = {"pid": None, "id": "", "client": None, "thread": None}
_lock = threading.Lock()


def process_id() -> str:
    """This process, unique across hosts and restarts (host:pid:nonce). Not personal data."""
    if _state["pid"] != os.getpid():  # first call, or a forked child
        _state.update(pid=os.getpid(), id=f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
                      client=None, thread=None)
    return _state["id"]


def beating_process_id() -> str:
    """This process's id if its heartbeat runs (a worker process), else "" (a web process running a job itself:
    nobody can tell whether it is alive, so its claims wait for their timeouts)."""
    return process_id() if _state["thread"] is not None else ""


def _client() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    process_id()  # resets the client in a forked child
    if _state["client"] is None:
        _state["client"] = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5,
                                                socket_timeout=0.5, retry=Retry(NoBackoff(), 0))
    return _state["client"]


def _beat_forever(client: redis.Redis, key: str) -> None:
    event = threading.Event()
    while True:
        try:
            client.set(key, "1", ex=HEARTBEAT_TTL)
        except redis.RedisError:
            pass  # Redis down: liveness is unknown meanwhile, and callers fall back to timeouts
        event.wait(HEARTBEAT_EVERY)


def heartbeat_start() -> None:
    """Start this process's heartbeat (once per process). Called when a worker process starts."""
    with _lock:
        client = _client()
        if client is None or _state["thread"] is not None:
            return
        key = _prefix("alive") + process_id()
        try:
            client.set(key, "1", ex=HEARTBEAT_TTL)  # alive before it claims anything
        except redis.RedisError:
            pass
        thread = threading.Thread(target=_beat_forever, args=(client, key), name="heartbeat", daemon=True)
        thread.start()
        _state["thread"] = thread


def any_alive(client: redis.Redis) -> bool:
    """Whether any process's heartbeat is in Redis (raises redis.RedisError if Redis does not answer)."""
    return next(iter(client.scan_iter(match=_prefix("alive") + "*", count=1000)), None) is not None


def processes_alive(ids: set[str]) -> set[str] | None:
    """The subset of `ids` whose process is alive, or None if that cannot be known now."""
    client = _client()
    if client is None or not ids:
        return None if client is None else set()
    try:
        if client.info("server").get("uptime_in_seconds", 0) <= HEARTBEAT_TTL:
            return None  # restarted moments ago: live processes have not beaten yet
        ordered = sorted(ids)
        found = client.mget([_prefix("alive") + i for i in ordered])
    except redis.RedisError:
        return None
    return {i for i, value in zip(ordered, found, strict=True) if value is not None}


def fact_set(key: str, value: str, *, ttl: int) -> bool:
    """Keep a small fact (ids only) for `ttl` seconds. Returns False if Redis did not take it."""
    client = _client()
    if client is None:
        return False
    try:
        client.set(_prefix("fact") + key, value, ex=ttl)
    except redis.RedisError:
        return False
    return True


def fact_get(key: str) -> str | None:
    client = _client()
    if client is None:
        return None
    try:
        value = client.get(_prefix("fact") + key)
    except redis.RedisError:
        return None
    return value.decode() if value is not None else None
