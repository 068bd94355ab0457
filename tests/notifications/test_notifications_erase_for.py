import pytest

from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from apps.notifications.services import notifications_erase_for
from tests.factories import SubjectFactory
from tests.notifications.fakes import queue_without_sending

pytestmark = pytest.mark.django_db


def _queue(subject, template: str) -> None:
    queue_without_sending(subject=subject, channel="email", template=template, recipient="juma@example.org",
                          context={"link": "https://portal.example.org/me/x/"})


def test_erase_for_deletes_every_notification_of_that_person_only():
    gone, kept = SubjectFactory(), SubjectFactory()
    _queue(gone, "new_link")
    _queue(gone, "email_changed_notice")
    _queue(kept, "new_link")

    assert notifications_erase_for(subject_id=gone.pk) == 2

    assert not Notification.objects.filter(subject=gone).exists()
    assert Notification.objects.filter(subject=kept).count() == 1
    event = AuditEvent.objects.get(verb="notifications.erased")
    assert event.target == str(gone.pk) and event.detail == {"count": 2}


def test_erasing_twice_changes_nothing():
    subject = SubjectFactory()
    _queue(subject, "new_link")
    assert notifications_erase_for(subject_id=subject.pk) == 1
    assert notifications_erase_for(subject_id=subject.pk) == 0
    assert AuditEvent.objects.filter(verb="notifications.erased").count() == 1
