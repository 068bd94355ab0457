from unittest import mock

import pytest
from django.db import connection

from apps.audit.models import AuditEvent
from apps.notifications import tasks
from apps.notifications.models import Notification
from apps.notifications.services import notification_queue
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db

LINK = "https://portal.example.org/me/s3cr3t-token-abc/"


def _queue(subject, **overrides) -> Notification:
    kwargs = dict(subject=subject, channel="email", template="new_link", recipient="wanjiku@example.org",
                  context={"link": LINK})
    return notification_queue(**{**kwargs, **overrides})


def test_the_row_is_written_before_the_send_is_queued(django_capture_on_commit_callbacks, mailoutbox):
    subject = SubjectFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        notification = _queue(subject)
        row = Notification.objects.get(pk=notification.pk)
        assert row.status == Notification.Status.PENDING
        assert row.queued_at is not None and row.attempts == 0
    assert len(callbacks) == 1 and mailoutbox == []  # nothing leaves before the commit

    callbacks[0]()

    row.refresh_from_db()
    assert row.status == Notification.Status.SENT and row.sent_at is not None
    assert len(mailoutbox) == 1


def test_the_task_gets_the_notification_id_and_nothing_else(django_capture_on_commit_callbacks):
    subject = SubjectFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        notification = _queue(subject)
    with mock.patch.object(tasks.notification_send_task, "delay") as delay:
        callbacks[0]()
    delay.assert_called_once_with(str(notification.pk))


def test_the_recipient_and_context_are_sealed_in_the_database(django_capture_on_commit_callbacks):
    subject = SubjectFactory()
    with django_capture_on_commit_callbacks():
        notification = _queue(subject, template="stepup_code", context={"code": "493817", "link": LINK})
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM notifications_notification")
        rows = cursor.fetchall()
    assert len(rows) == 1
    raw = repr(rows[0]).encode() + b"".join(bytes(v) for v in rows[0] if isinstance(v, bytes | memoryview))
    for secret in [b"wanjiku@example.org", b"493817", b"s3cr3t-token"]:
        assert secret not in raw
    fresh = Notification.objects.get(pk=notification.pk)
    assert fresh.recipient == "wanjiku@example.org"
    assert fresh.context == {"code": "493817", "link": LINK}


def test_queueing_is_audited_without_personal_data(django_capture_on_commit_callbacks):
    subject = SubjectFactory()
    with django_capture_on_commit_callbacks():
        notification = _queue(subject)
    event = AuditEvent.objects.get(verb="notification.queued")
    assert event.target == str(subject.pk)
    assert event.detail == {"notification": str(notification.pk), "channel": "email", "template": "new_link"}


def test_a_phone_number_is_stored_in_e164(django_capture_on_commit_callbacks):
    subject = SubjectFactory()
    with django_capture_on_commit_callbacks():
        notification = _queue(subject, channel="sms", recipient="0712 000 001")
    assert Notification.objects.get(pk=notification.pk).recipient == "+254712000001"


def test_lazy_translations_in_the_context_become_text_in_the_message_language(django_capture_on_commit_callbacks):
    from django.utils.translation import gettext_lazy

    subject = SubjectFactory()
    with django_capture_on_commit_callbacks():
        notification = _queue(subject, language="sw", context={"link": LINK, "answer": gettext_lazy("Yes")})
    assert Notification.objects.get(pk=notification.pk).context["answer"] == "Ndiyo"


@pytest.mark.parametrize(
    "overrides",
    [
        {"channel": "fax"},
        {"template": "no_such_template"},
        {"template": "../base"},
        {"channel": "sms", "template": "email_changed_notice"},  # there is no SMS version
        {"language": "fr"},
        {"recipient": "not-an-address"},
        {"channel": "sms", "recipient": "12345"},
    ],
)
def test_it_refuses_what_it_cannot_send_and_writes_nothing(overrides):
    subject = SubjectFactory()
    with pytest.raises(ValueError) as excinfo:
        _queue(subject, **overrides)
    assert "12345" not in str(excinfo.value) and "not-an-address" not in str(excinfo.value)
    assert not Notification.objects.exists()


def test_a_regional_language_variant_is_stored_as_the_supported_language(django_capture_on_commit_callbacks):
    subject = SubjectFactory()
    with django_capture_on_commit_callbacks():
        notification = _queue(subject, language="en-us")
    assert notification.language == "en"
