"""Loaded with `-p tests.env` before Django reads its settings: the test environment's defaults.

Anything set by the caller (CI's DATABASE_URL, REDIS_URL) wins. Secrets are random per run and
inherited by the worker process the harness starts, so both sides read the same keys.
"""

import base64
import os
import secrets
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# Production refuses to start without it (core.E002); tests that start the site with DEBUG=0 inherit it.
os.environ.setdefault("CONTROLLER_REGISTRATION", "ODPC/DC/TEST/0001")
# Tests send many SMS to the same few numbers; the limits per number are tested on their own
# (tests/notifications/test_sms_limits.py), with the product's defaults.
os.environ.setdefault("SMS_PER_NUMBER_HOUR", "1000")
os.environ.setdefault("SMS_PER_NUMBER_DAY", "1000")
# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous, so Django's async-safety guard does not apply.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# This run's keys in Redis (cache, counters, heartbeats, the broker's queues) are its own, whoever else uses
# the same Redis database; the parts the harness starts inherit it (their DATABASE_URL names the test database).
os.environ.setdefault("REDIS_KEY_PREFIX", f"pp-test-{secrets.token_hex(4)}")


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


os.environ.setdefault("PII_MASTER_KEYS", f"test1:{_key()}")
os.environ.setdefault("PII_INDEX_KEY", _key())
os.environ.setdefault("PROOF_SIGNING_KEYS", f"test1:{_key()}")
os.environ.setdefault("AUDIT_KEY", _key())


def _worker_redis_url(url: str, worker: str) -> str:
    """pytest-xdist worker gwN uses the Redis database N after the one REDIS_URL names (its queue, rate-limit
    counters and flushes are its own), or the Nth of TEST_REDIS_DBS (e.g. "15,10") where the numbers after it
    are someone else's on a shared Redis. Each worker has its own test database too (pytest-django's suffix)."""
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    index = int(worker[2:])
    listed = [int(n) for n in os.environ.get("TEST_REDIS_DBS", "").split(",") if n.strip()]
    number = listed[index] if index < len(listed) else int(parts.path.strip("/") or 0) + index
    if listed and index >= len(listed) or number > 15:
        raise RuntimeError(f"xdist worker {worker} has no Redis database of its own: name more in TEST_REDIS_DBS, "
                           "a lower one in REDIS_URL, or run fewer workers")
    return urlunsplit(parts._replace(path=f"/{number}"))


if os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _worker_redis_url(os.environ["REDIS_URL"], os.environ.get("PYTEST_XDIST_WORKER", ""))
