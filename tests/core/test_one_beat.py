"""Exactly one beat per deployment: a second one started by mistake schedules nothing."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import ROOT, _missing, _test_database_url, wait_for

pytestmark = pytest.mark.real_services

SENT = "Sending due task"


class Beat:
    def __init__(self, name: str, tmp: Path, env: dict[str, str]) -> None:
        self.log = tmp / f"beat-{name}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "privacy_portal", "beat", "--loglevel=INFO",
                 "-s", str(tmp / f"schedule-{name}")],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def sent(self) -> int:
        return self.text().count(SENT)

    def stop(self, signal: int = 15) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal)
            self.proc.wait(timeout=20)


@pytest.fixture
def beat_env(transactional_db, tmp_path) -> dict[str, str]:
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql") or not settings.REDIS_URL:
        _missing("PostgreSQL and Redis (the beat lock and the broker)")
    return dict(os.environ, DATABASE_URL=_test_database_url(), BEAT_REDRIVE_SECONDS="1", PYTHONUNBUFFERED="1")


def test_a_second_beat_stands_by_and_takes_over_when_the_first_dies(beat_env, tmp_path):
    first = Beat("first", tmp_path, beat_env)
    second = None
    try:
        wait_for(lambda: first.sent() >= 2, timeout=60)
        second = Beat("second", tmp_path, beat_env)
        wait_for(lambda: "standing by" in second.text(), timeout=60)
        before = first.sent()
        time.sleep(4)
        assert first.sent() > before  # the first one goes on scheduling
        assert second.sent() == 0  # and the second sends nothing at all

        first.stop(9)  # killed, as an OOM kill or a lost host would: its lock goes with its connection
        wait_for(lambda: "holding the scheduler lock" in second.text(), timeout=30)
        wait_for(lambda: second.sent() >= 1, timeout=30)
    finally:
        first.stop()
        if second is not None:
            second.stop()
