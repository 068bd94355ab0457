"""Celery workers log through the project's LOGGING, so the private-link redaction works there too."""

import pytest

from apps.core.tasks import ping
from tests.conftest import wait_for

pytestmark = pytest.mark.real_services


def test_the_real_workers_log_never_holds_a_private_link_token(celery_worker):
    token = "eyJzIjoiZmFrZSJ9.secret-token-5f3a9c"
    assert ping.delay(f"https://portal.example.org/me/{token}/data/").get(timeout=20)
    # The result reaches the backend before the worker writes its "succeeded" line: wait for the line.
    # The worker's log is shared by the session: wait for this task's line (redacted or not), not any link.
    log = wait_for(lambda: ("/me/[token]/data/" in (text := celery_worker.log_path.read_text(errors="replace"))
                            or token in text) and text)
    assert "Task apps.core.tasks.ping" in log  # the worker did log the task and its result
    assert token not in log
    assert "/me/[token]/data/" in log
