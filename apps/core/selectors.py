"""Reads about the health of the parts the site depends on.

Two questions, two answers: whether this web process can serve (`readiness_failures`: its database), and
whether the whole deployment works (`health_checks`: the database, the broker, the workers' heartbeats, a
beat that schedules, free space under MEDIA_ROOT). The broker, the workers, the beat and the media storage
are shared by every web host, so a load balancer that dropped hosts for them would only take the site
down; they are for monitoring."""

import shutil
from datetime import timedelta
from pathlib import Path

import redis
from django.conf import settings
from django.db import connections
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import liveness
from .models import BeatRun

# A probe answers within a second whatever is down: each check is bounded well below that.
BROKER_TIMEOUT = 0.4
# The beat's most frequent jobs run every BEAT_REDRIVE_SECONDS: no run recorded for three of those, no beat.
BEAT_MISSED_RUNS = 3


def _database() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means the database is not usable
        return False
    return True


def _redis() -> redis.Redis:
    # Short socket timeouts: the broker connection's own retry loop is made for workers (minutes), not for a
    # probe that must answer in a second.
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=BROKER_TIMEOUT,
                                socket_timeout=BROKER_TIMEOUT, retry=Retry(NoBackoff(), 0))


def _broker_and_workers() -> tuple[bool, bool]:
    """Whether the broker answers a PING, and whether any worker process's heartbeat is in it."""
    client = _redis()
    try:
        client.ping()
    except Exception:  # the broker did not answer in time
        return False, False
    try:
        return True, liveness.any_alive(client)
    except Exception:  # it stopped answering in between: the workers cannot be seen
        return True, False
    finally:
        client.close()


def _beat() -> bool:
    """A beat schedules: it recorded a run within the last few intervals of its most frequent jobs."""
    since = timezone.now() - timedelta(seconds=settings.BEAT_REDRIVE_SECONDS * BEAT_MISSED_RUNS)
    try:
        return BeatRun.objects.filter(last_run_at__gte=since).exists()
    except Exception:  # the database does not answer: no beat can be seen either
        return False


def _media_space() -> bool:
    where = Path(settings.MEDIA_ROOT)
    while not where.exists() and where != where.parent:  # made on the first upload: its disk is its parent's
        where = where.parent
    try:
        free = shutil.disk_usage(where).free
    except OSError:  # unreadable: nothing can be stored there
        return False
    return free >= settings.HEALTH_MEDIA_FREE_MB * 1024 * 1024


def health_checks() -> dict[str, bool]:
    """Each named check and whether it passed. Without Redis (jobs run in-process, no beat) only the database
    and the media storage are checked."""
    checks = {"database": _database()}
    if settings.REDIS_URL:
        checks["broker"], checks["workers"] = _broker_and_workers()
        checks["beat"] = _beat()
    checks["media_space"] = _media_space()
    return checks


def readiness_failures() -> list[str]:
    """What keeps this web process from serving: its database."""
    return [] if _database() else ["database"]
