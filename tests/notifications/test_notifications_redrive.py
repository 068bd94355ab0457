from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.notifications import services
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


def test_redrive_takes_batches_of_the_limit_oldest_first_until_its_time_is_up(django_capture_on_commit_callbacks):
    subject = SubjectFactory()
    rows = [_lost(subject) for _ in range(3)]
    for minutes, row in zip([30, 20, 10], rows, strict=True):
        Notification.objects.filter(pk=row.pk).update(queued_at=timezone.now() - timedelta(minutes=minutes))
    with django_capture_on_commit_callbacks() as callbacks:
        assert notifications_redrive(limit=2, time_limit=0) == 2  # one batch, then the time is up
    assert len(callbacks) == 1  # one send job for the two
    requeued = set(Notification.objects.filter(queued_at__gt=timezone.now() - timedelta(minutes=1))
                   .values_list("pk", flat=True))
    assert requeued == {rows[0].pk, rows[1].pk}


def test_one_redrive_catches_up_a_backlog_larger_than_a_batch(django_capture_on_commit_callbacks):
    subject = SubjectFactory()
    rows = [_lost(subject) for _ in range(5)]
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(queued_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert notifications_redrive(limit=2) == 5  # three batches in one run
    assert len(callbacks) == 3
    assert not Notification.objects.filter(queued_at__lt=timezone.now() - timedelta(minutes=1)).exists()


def test_the_command_runs_the_same_sweep(capsys, mailoutbox, django_capture_on_commit_callbacks):
    _lost()
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("redrive_notifications")
    assert "1 notifications re-queued" in capsys.readouterr().out
    assert len(mailoutbox) == 1


def test_beat_runs_the_sweep_every_30_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-redrive"]  # privacy_portal/beat.py
    assert entry == {"task": "apps.notifications.tasks.notifications_redrive_task", "schedule": 30.0}


class _WorkerKilled(BaseException):
    """What SIGKILL does to a worker mid-batch, as far as the rows can tell: nothing after this runs."""


def test_a_batch_cut_short_after_the_provider_accepted_two_messages_never_sends_those_again(
        mailoutbox, django_capture_on_commit_callbacks):
    # Without Redis (this run has none): the acceptance must be in the database, not in a note that a broker
    # restarted empty would have lost.
    subject = SubjectFactory()
    rows = [_lost(subject) for _ in range(3)]
    real_deliver = services._deliver

    def dies_on_the_third(notification, **kwargs):
        if len(mailoutbox) == 2:
            raise _WorkerKilled
        return real_deliver(notification, **kwargs)

    with mock.patch.object(services, "_deliver", dies_on_the_third), pytest.raises(_WorkerKilled):
        services.notifications_send(notification_ids=[r.pk for r in rows])
    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.SENDING}
    assert Notification.objects.filter(accepted_at__isnull=False).count() == 2

    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):  # the claim's timeout
        with django_capture_on_commit_callbacks(execute=True):
            notifications_redrive()

    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.SENT}
    assert sorted(m.extra_headers["Message-ID"] for m in mailoutbox) == sorted(
        services.message_id_for(r) for r in rows)  # each once: two before the death, the third after
    assert AuditEvent.objects.filter(verb="notification.sent", detail__recorded_by="sweep").count() == 2
