"""Exactly one beat per deployment, kept by the database rather than by the operator's care.

Every beat process runs this scheduler. Before it sends anything it must hold a PostgreSQL advisory
lock, taken on a connection of its own and held for as long as that connection lives. A second beat
started by mistake (another host, a unit started twice) finds the lock taken, sends nothing and
asks again every few seconds; when the first one stops or dies, its connection closes, the lock is
free and the standby takes over. Without PostgreSQL (the embedded mode has no beat) it just runs.
"""

import logging

import psycopg
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

# pg_try_advisory_lock key: "privacy-portal beat" (any constant unique to this application)
LOCK_KEY = 0x70705F62656174
STANDBY_SECONDS = 5.0


def _conninfo() -> dict:
    db = settings.DATABASES["default"]
    return {"dbname": db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None, "port": db.get("PORT") or None, "autocommit": True,
            "application_name": "privacy-portal-beat-lock"}


class SingleBeatScheduler(PersistentScheduler):
    _lock_connection: psycopg.Connection | None = None
    _leading: bool | None = None

    def holds_lock(self) -> bool:
        if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            return True
        connection = self._lock_connection
        try:
            if connection is not None and not connection.closed:
                connection.execute("SELECT 1")  # still ours while the session lives
                return True
            connection = psycopg.connect(**_conninfo())
            got = connection.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]
        except psycopg.Error:
            logger.warning("beat: cannot reach the database to hold the scheduler lock; sending nothing")
            got = False
        if not got and connection is not None and not connection.closed:
            connection.close()
        self._lock_connection = connection if got else None
        return got

    def tick(self, *args, **kwargs) -> float:
        leading = self.holds_lock()
        if leading != self._leading:
            logger.warning("beat: %s", "holding the scheduler lock; scheduling" if leading else
                           "another beat holds the scheduler lock; standing by, sending nothing")
            self._leading = leading
        if not leading:
            return STANDBY_SECONDS
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        super().close()
        if self._lock_connection is not None and not self._lock_connection.closed:
            self._lock_connection.close()
