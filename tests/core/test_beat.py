"""Two beats on one database: one schedules, the other stands by; a take-over continues the schedule where
the one before left it (apps/core/beat.py)."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from apps.core.beat import SingleBeatScheduler
from apps.core.models import BeatRun
from privacy_portal.celery import app
from tests.conftest import _missing

pytestmark = pytest.mark.django_db(transaction=True)


class _Beat(SingleBeatScheduler):
    """The real scheduler; only the broker is left out: what it sends is written down."""

    def __init__(self, path: Path) -> None:
        self.sent: list[str] = []
        super().__init__(app, schedule_filename=str(path), lazy=False)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent.append(entry.name)

    def run_due(self) -> list[str]:
        """Tick until nothing more is due now (as beat's loop does); what was sent."""
        before = len(self.sent)
        for _ in range(100):
            if self.tick() != 0:
                break
        return self.sent[before:]


@pytest.fixture
def beats(tmp_path):
    if connection.vendor != "postgresql":
        _missing("PostgreSQL (the beat's lock is a PostgreSQL advisory lock)")
    made = []

    def start(name: str) -> _Beat:
        beat = _Beat(tmp_path / name)
        made.append(beat)
        return beat

    yield start
    for beat in made:
        beat.close()


def test_a_standby_that_takes_over_sends_nothing_the_leader_sent_within_its_interval(beats):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        leader, standby = beats("leader"), beats("standby")
        assert leader.run_due() == [] and standby.run_due() == []  # nothing is due yet; the standby waits

        clock.move_to(start + timedelta(seconds=61))
        sent_by_leader = leader.run_due()
        assert "notifications-redrive" in sent_by_leader and "audit-anchor" in sent_by_leader
        assert standby.run_due() == []  # still standing by

        clock.move_to(start + timedelta(seconds=66))
        leader.close()  # the leader dies; its lock goes with its connection
        assert standby.run_due() == []  # took over: every job was sent 5 s ago, none is due

        clock.move_to(start + timedelta(seconds=92))
        assert "notifications-redrive" in standby.run_due()  # and it schedules from there on
    assert BeatRun.objects.get(name="notifications-redrive").last_run_at == start + timedelta(seconds=92)


def test_a_standby_that_waited_more_than_a_day_does_not_repeat_the_daily_and_hourly_jobs(beats):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        leader, standby = beats("leader"), beats("standby")
        leader.run_due()
        standby.run_due()
        clock.move_to(start + timedelta(hours=25))
        assert {"audit-anchor-email", "intakes-expire"} <= set(leader.run_due())  # a daily and an hourly job
        clock.move_to(start + timedelta(hours=25, seconds=10))
        leader.close()
        assert standby.run_due() == []  # everything ran 10 s ago: nothing again
