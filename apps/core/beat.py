"""Exactly one beat per deployment, kept by the database rather than by the operator's care.

Every beat process runs this scheduler. Before it sends anything it must hold a PostgreSQL advisory
lock, taken on a connection of its own and held for as long as that connection lives. A second beat
started by mistake (another host, a unit started twice) finds the lock taken, sends nothing and
asks again every few seconds; when the first one stops or dies, its connection closes, the lock is
free and the standby takes over. Without PostgreSQL (the embedded mode has no beat) it just runs.

The schedule is kept in step across beats: the one that schedules writes the time it sent each entry
to PostgreSQL (`core_beatrun`, on the lock's connection, in the step that sends it), and a beat that
takes the lock (a standby taking over, or a beat started again) first reads those times into its own
schedule. So a take-over never sends again a job sent within its interval, however long the standby
waited (without this, every entry whose interval had passed since the standby started was due at once,
the daily ones included).
"""

import logging

import psycopg
from celery.beat import PersistentScheduler
from celery.utils.time import maybe_make_aware
from django.conf import settings

from .models import BeatRun

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
            if leading:
                self.take_over()
        if not leading:
            return STANDBY_SECONDS
        return super().tick(*args, **kwargs)

    def take_over(self) -> None:
        """Bring each entry's last run up to the newest one any beat recorded, before sending anything."""
        runs = self._runs_recorded()
        moved = 0
        for name, entry in self.schedule.items():
            recorded = runs.get(name)
            if recorded is None:
                continue
            recorded = maybe_make_aware(recorded).astimezone(maybe_make_aware(entry.default_now()).tzinfo)
            if entry.last_run_at is None or maybe_make_aware(entry.last_run_at) < recorded:
                entry.last_run_at = recorded
                moved += 1
        if moved:
            self._heap = None  # computed again from the last runs on the next tick
            logger.warning("beat: took over; %s entries continue from the last runs recorded", moved)

    def _runs_recorded(self) -> dict:
        if self._lock_connection is None:
            return {}
        try:
            rows = self._lock_connection.execute(
                f"SELECT name, last_run_at FROM {BeatRun._meta.db_table}").fetchall()  # noqa: S608 (a constant)
        except psycopg.Error:
            logger.warning("beat: cannot read the last runs recorded; continuing from this beat's own schedule")
            return {}
        return dict(rows)

    def apply_entry(self, entry, producer=None) -> None:
        super().apply_entry(entry, producer=producer)
        self._record_run(entry.name)

    def _record_run(self, name: str) -> None:
        """The entry's new last run (reserve() set it before sending), for a beat that takes over."""
        if self._lock_connection is None or name not in self.schedule:
            return
        try:
            self._lock_connection.execute(
                f"INSERT INTO {BeatRun._meta.db_table} (name, last_run_at) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (name) DO UPDATE SET last_run_at = EXCLUDED.last_run_at",
                [name, maybe_make_aware(self.schedule[name].last_run_at)])
        except psycopg.Error:
            logger.warning("beat: cannot record the run of %s; a take-over may send it again", name)

    def close(self) -> None:
        super().close()
        if self._lock_connection is not None and not self._lock_connection.closed:
            self._lock_connection.close()
