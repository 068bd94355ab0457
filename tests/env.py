"""Loaded with `-p tests.env` before Django reads its settings: the test environment's defaults.

Anything set by the caller (CI's DATABASE_URL, REDIS_URL) wins. Secrets are random per run and
inherited by the worker process the harness starts, so both sides read the same keys.
"""

import base64
import os
import secrets

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
