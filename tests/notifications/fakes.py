"""Test doubles: a locmem email backend that fails on demand, and a queue whose send never runs."""

from unittest import mock

from django.core.mail.backends import locmem

from apps.notifications.models import Notification
from apps.notifications.services import notification_queue


class FlakyEmailBackend(locmem.EmailBackend):
    """Raises the queued exceptions, one per send, then delivers to django.core.mail.outbox."""

    failures: list[Exception] = []

    def send_messages(self, messages):
        if FlakyEmailBackend.failures:
            raise FlakyEmailBackend.failures.pop(0)
        return super().send_messages(messages)


def queue_without_sending(**kwargs) -> Notification:
    """notification_queue as if the broker never delivered the send (down, or the task was lost)."""
    with mock.patch("apps.notifications.services.enqueue_on_commit"):
        return notification_queue(**kwargs)
