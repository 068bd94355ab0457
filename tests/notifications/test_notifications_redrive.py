from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from apps.notifications.models import Notification
from apps.notifications.services import notifications_redrive
from tests.factories import SubjectFactory
from tests.notifications.fakes import queue_without_sending

pytestmark = pytest.mark.django_db


def _lost(subject=None) -> Notification:
    """Written, but its queued send never reached a worker (broker down)."""
    return queue_without_sending(subject=subject or SubjectFactory(), channel="email", template="new_link",
                                 recipient="otieno@example.org", context={"link": "https://portal.example.org/me/x/"})


def test_redrive_requeues_pending_rows_older_than_the_cutoff(mailoutbox, django_capture_on_commit_callbacks):
    notification = _lost()
    assert notifications_redrive() == 0  # just queued: the broker may still deliver it

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert notifications_redrive() == 1

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert len(mailoutbox) == 1


def test_redrive_hands_back_a_send_stuck_for_over_ten_minutes(mailoutbox, django_capture_on_commit_callbacks):
    stuck, busy = _lost(), _lost()
    now = timezone.now()
    Notification.objects.filter(pk=stuck.pk).update(status=Notification.Status.SENDING, attempts=1,
                                                    claimed_at=now - timedelta(minutes=11))
    Notification.objects.filter(pk=busy.pk).update(status=Notification.Status.SENDING, attempts=1,
                                                   claimed_at=now - timedelta(minutes=2))

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_redrive() == 1

    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert stuck.status == Notification.Status.SENT and stuck.attempts == 2
    assert busy.status == Notification.Status.SENDING  # its worker may still be at it
    assert len(mailoutbox) == 1


def test_redrive_never_touches_sent_or_failed_rows(django_capture_on_commit_callbacks):
    sent, failed = _lost(), _lost()
    long_ago = timezone.now() - timedelta(hours=1)
    Notification.objects.filter(pk=sent.pk).update(status=Notification.Status.SENT, sent_at=long_ago,
                                                   queued_at=long_ago)
    Notification.objects.filter(pk=failed.pk).update(status=Notification.Status.FAILED, queued_at=long_ago)
    with django_capture_on_commit_callbacks() as callbacks:
        assert notifications_redrive(older_than=timedelta(0)) == 0
    assert callbacks == []


def test_redrive_waits_for_a_retry_that_is_not_yet_due(django_capture_on_commit_callbacks):
    notification = _lost()
    Notification.objects.filter(pk=notification.pk).update(queued_at=timezone.now() + timedelta(minutes=5))
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert notifications_redrive() == 0


def test_redrive_takes_at_most_the_limit_oldest_first(django_capture_on_commit_callbacks):
    subject = SubjectFactory()
    rows = [_lost(subject) for _ in range(3)]
    for minutes, row in zip([30, 20, 10], rows, strict=True):
        Notification.objects.filter(pk=row.pk).update(queued_at=timezone.now() - timedelta(minutes=minutes))
    with django_capture_on_commit_callbacks() as callbacks:
        assert notifications_redrive(limit=2) == 2
    assert len(callbacks) == 1  # one send job for the two
    requeued = set(Notification.objects.filter(queued_at__gt=timezone.now() - timedelta(minutes=1))
                   .values_list("pk", flat=True))
    assert requeued == {rows[0].pk, rows[1].pk}


def test_the_command_runs_the_same_sweep(capsys, mailoutbox, django_capture_on_commit_callbacks):
    _lost()
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("redrive_notifications")
    assert "1 notifications re-queued" in capsys.readouterr().out
    assert len(mailoutbox) == 1


def test_beat_runs_the_sweep_every_30_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-redrive"]
    assert entry == {"task": "apps.notifications.tasks.notifications_redrive_task", "schedule": 30.0}
