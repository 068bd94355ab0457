import smtplib
import threading
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from apps.notifications.services import (
    TransientSendError,
    notification_queue,
    notification_send,
    notifications_redrive,
)
from apps.notifications.tasks import notification_send_task
from apps.vault.services import datakey_destroy
from tests.factories import SubjectFactory
from tests.notifications.fakes import queue_without_sending

pytestmark = pytest.mark.django_db

ADDRESS = "achieng@example.org"
LINK = "https://portal.example.org/me/token-123/"


def _queued(subject=None, **overrides) -> Notification:
    """A notification whose send was not run (as if the broker had not delivered it yet)."""
    subject = subject or SubjectFactory()
    kwargs = dict(subject=subject, channel="email", template="new_link", recipient=ADDRESS, context={"link": LINK})
    return queue_without_sending(**{**kwargs, **overrides})


def test_sending_twice_sends_once(mailoutbox):
    notification = _queued()
    assert notification_send(notification_id=notification.pk) is True
    assert notification_send(notification_id=notification.pk) is False
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT and notification.attempts == 1


def test_a_row_another_worker_is_sending_is_left_alone(mailoutbox):
    notification = _queued()
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.SENDING,
                                                           claimed_at=timezone.now())
    assert notification_send(notification_id=notification.pk) is False
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_row_send_it_once(mailoutbox):
    notification = _queued()
    barrier = threading.Barrier(2)
    results = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(notification_send(notification_id=notification.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    assert len(mailoutbox) == 1


def test_the_email_has_text_and_html_parts_and_a_message_id_from_the_row(mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Privacy Portal <privacy@jamii.example>"
    notification = _queued()
    notification_send(notification_id=notification.pk)
    [email] = mailoutbox
    assert email.to == [ADDRESS]
    assert email.from_email == "Privacy Portal <privacy@jamii.example>"
    assert LINK in email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html" and f'href="{LINK}"' in html
    message = email.message()
    assert message["Message-ID"] == f"<{notification.pk}@jamii.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    notification.refresh_from_db()
    assert notification.provider_message_id == f"<{notification.pk}@jamii.example>"


def test_sending_is_audited(mailoutbox):
    notification = _queued()
    notification_send(notification_id=notification.pk)
    event = AuditEvent.objects.get(verb="notification.sent")
    assert event.detail["notification"] == str(notification.pk) and ADDRESS not in str(event.detail)


def test_a_transient_smtp_failure_puts_it_back_to_pending_without_the_address(flaky_email, mailoutbox):
    notification = _queued()
    flaky_email.append(smtplib.SMTPRecipientsRefused({ADDRESS: (451, f"<{ADDRESS}> try later".encode())}))

    with pytest.raises(TransientSendError) as excinfo:
        notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 1
    assert notification.last_error == "SMTPRecipientsRefused"
    assert notification.queued_at > timezone.now()  # the retry is due later (backoff)
    assert ADDRESS not in str(excinfo.value) and excinfo.value.__suppress_context__
    assert mailoutbox == []

    assert notification_send(notification_id=notification.pk) is True  # the retry
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT and notification.attempts == 2
    assert len(mailoutbox) == 1


def test_the_task_asks_celery_to_retry_after_the_backoff(flaky_email, mailoutbox):
    notification = _queued()
    flaky_email.append(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    with mock.patch.object(notification_send_task, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
        notification_send_task.run(str(notification.pk))  # as a worker runs it
    assert retry.call_args.kwargs["countdown"] == 10
    assert isinstance(retry.call_args.kwargs["exc"], TransientSendError)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING


def test_run_in_process_a_transient_failure_is_left_to_the_sweep_without_failing_the_caller(
        flaky_email, mailoutbox, django_capture_on_commit_callbacks):
    subject = SubjectFactory()
    flaky_email.append(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    with django_capture_on_commit_callbacks(execute=True):  # jobs run eagerly: no exception reaches us
        notification = notification_queue(subject=subject, channel="email", template="new_link",
                                          recipient=ADDRESS, context={"link": LINK})
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING and notification.attempts == 1

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert notifications_redrive() == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT and notification.attempts == 2
    assert len(mailoutbox) == 1


def test_after_the_last_attempt_it_is_marked_failed(flaky_email, mailoutbox, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    flaky_email.extend(ConnectionRefusedError() for _ in range(10))
    notification = _queued()
    for _ in range(2):
        with pytest.raises(TransientSendError):
            notification_send(notification_id=notification.pk)
    assert notification_send(notification_id=notification.pk) is False  # the last attempt raises nothing
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 3
    assert notification.last_error == "ConnectionRefusedError"
    assert mailoutbox == []
    assert AuditEvent.objects.filter(verb="notification.failed").count() == 1
    assert notification_send(notification_id=notification.pk) is False  # a failed row stays failed


def test_a_permanent_rejection_fails_at_once(flaky_email, mailoutbox):
    notification = _queued()
    flaky_email.append(smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"no such mailbox")}))
    assert notification_send(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED and notification.attempts == 1
    assert notification.last_error == "SMTPRecipientsRefused"


def test_nothing_is_sent_once_the_persons_key_is_destroyed(mailoutbox):
    notification = _queued()
    datakey_destroy(subject_id=notification.subject_id)
    assert notification_send(notification_id=notification.pk) is False
    # values(): the sealed columns cannot be opened any more, and need not be.
    row = Notification.objects.values("status", "last_error").get(pk=notification.pk)
    assert row == {"status": Notification.Status.FAILED, "last_error": "KeyDestroyed"}
    assert mailoutbox == []


def test_it_renders_in_the_notifications_language(mailoutbox, test_templates):
    notification = _queued(template="language_probe", language="sw", context={})
    notification_send(notification_id=notification.pk)
    [email] = mailoutbox
    assert email.subject == "language=sw"
    assert email.body.strip() == "language=sw Ndiyo"
    assert '<p lang="sw">Ndiyo</p>' in email.alternatives[0][0]


def test_an_sms_goes_through_the_configured_backend(sms_outbox):
    notification = _queued(channel="sms", template="new_link", recipient="+254712000001")
    assert notification_send(notification_id=notification.pk) is True
    [sms] = sms_outbox
    assert sms.to == "+254712000001" and LINK in sms.text and sms.reference == str(notification.pk)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.provider_message_id == f"locmem-{notification.pk}"


def test_an_sms_renders_in_the_notifications_language(sms_outbox, test_templates):
    notification = _queued(channel="sms", template="language_probe", recipient="+254712000001", language="sw")
    notification_send(notification_id=notification.pk)
    assert sms_outbox[0].text == "language=sw"
