"""Reads about the health of the parts the site depends on."""

import redis
from django.conf import settings
from django.db import connections
from redis.backoff import NoBackoff
from redis.retry import Retry

# A probe answers within a second whatever is down: each check is bounded well below that.
BROKER_TIMEOUT = 0.4


def health_check_failures() -> list[str]:
    """Names of the parts that did not answer: 'database', 'broker'."""
    failed = []
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means the database is not usable
        failed.append("database")
    if settings.REDIS_URL:
        # A plain PING with short socket timeouts: the broker connection's own retry loop is
        # made for workers (minutes), not for a probe that must answer in a second.
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=BROKER_TIMEOUT,
                                      socket_timeout=BROKER_TIMEOUT, retry=Retry(NoBackoff(), 0))
        try:
            client.ping()
        except Exception:  # the broker did not answer in time
            failed.append("broker")
        finally:
            client.close()
    return failed
