"""A notification through the real parts: committed transaction, Redis, a worker process, SMTP."""

import pytest
from django.db import transaction

from apps.notifications.models import Notification
from apps.notifications.services import notification_queue
from tests.conftest import wait_for
from tests.factories import SubjectFactory

pytestmark = pytest.mark.real_services

LINK = "https://portal.example.org/me/real-token-42/"


def _parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            for part in message.walk() if not part.is_multipart()}


def test_a_confirmation_queued_in_a_committed_transaction_arrives_with_html_text_and_the_link(
        celery_worker, mailbox):
    subject = SubjectFactory()
    with transaction.atomic():
        notification = notification_queue(
            subject=subject, channel="email", template="confirmation", recipient="wairimu@example.org",
            context={"fields": ["Full name", "Email address"], "purposes": ["Recruitment for a client"],
                     "link": LINK, "link_expires_days": 30, "full_name": "Wairimu Kamau"},
        )
        assert mailbox == []  # nothing is sent before the commit

    message = wait_for(lambda: mailbox and mailbox[0], timeout=30)
    assert message["X-Envelope-To"] == "wairimu@example.org"
    assert message["Message-ID"] == f"<{notification.pk}@example.org>"
    parts = _parts(message)
    assert set(parts) == {"text/plain", "text/html"}
    assert LINK in parts["text/plain"] and f'href="{LINK}"' in parts["text/html"]
    assert "Recruitment for a client" in parts["text/plain"]

    row = wait_for(lambda: Notification.objects.filter(pk=notification.pk, status="sent").first(), timeout=15)
    assert row.attempts == 1 and row.sent_at is not None
    assert row.provider_message_id == f"<{notification.pk}@example.org>"
    assert len(mailbox) == 1
