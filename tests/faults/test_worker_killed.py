"""A worker killed in the middle of a send. The provider's acceptance is noted before anything
else can fail, and a claim whose worker is gone is handed back by the next sweep (not after the
10-minute timeout): a message the server accepted is not sent again, one it never got is sent
once, promptly, with the same Message-ID."""

import time
from collections import Counter

import psycopg
import pytest

from apps.notifications.models import Notification
from tests.conftest import _test_database_url, wait_for
from tests.factories import SubjectFactory
from tests.notifications.fakes import queue_without_sending

from .harness import Visitor

pytestmark = pytest.mark.real_services


def _confirmation(email: str) -> Notification:
    return wait_for(lambda: Notification.objects.filter(template="intake_code", channel="email").first(), timeout=30)


def _sweep_until(stack, predicate, timeout: float = 90):
    def swept() -> object:
        stack.manage("redrive_notifications")  # what beat does every 30 s
        return predicate()

    return wait_for(swept, timeout=timeout, interval=1)


def test_a_worker_killed_after_the_server_accepted_the_message_does_not_send_it_again(
        fault_stack, mailbox, smtp_server):
    collector = smtp_server[0]
    held: list[psycopg.Connection] = []

    def accept_then_hold_the_row(message) -> None:
        # The message is accepted; the worker's write of "sent" then waits on this row lock.
        notification_id = message["Message-ID"].strip("<>").split("@")[0]
        conn = psycopg.connect(_test_database_url())
        conn.execute("SELECT 1 FROM notifications_notification WHERE id = %s FOR UPDATE", [notification_id])
        held.append(conn)

    collector.before_accept = accept_then_hold_the_row
    assert Visitor(fault_stack.site.url).contact("enquirer@example.org").status_code == 302
    wait_for(lambda: mailbox, timeout=30)
    time.sleep(1)  # the worker is now waiting to record the send
    fault_stack.worker.kill()
    collector.before_accept = None
    held[0].rollback()
    held[0].close()
    notification = Notification.objects.get(template="intake_code", channel="email")
    assert notification.status == Notification.Status.SENDING  # the record of the send died with the worker

    fault_stack.worker.start()
    started = time.monotonic()
    _sweep_until(fault_stack, lambda: Notification.objects.filter(pk=notification.pk, status="sent").exists())
    assert time.monotonic() - started < 60
    time.sleep(3)  # a second send would arrive now
    assert Counter(m["X-Envelope-To"] for m in mailbox) == {"enquirer@example.org": 1}
    notification.refresh_from_db()
    assert notification.attempts == 1 and notification.provider_message_id == f"<{notification.pk}@example.org>"


def test_a_worker_killed_before_the_server_accepted_the_message_is_sent_again_within_a_minute(
        fault_stack, mailbox, smtp_server):
    collector = smtp_server[0]
    worker = fault_stack.worker

    def kill_the_sender(message) -> str:
        collector.before_accept = None
        worker.kill()  # dies mid-DATA: the server never accepted this message
        return "451 4.3.0 Try again later"

    collector.before_accept = kill_the_sender
    assert Visitor(fault_stack.site.url).contact("enquirer@example.org").status_code == 302
    wait_for(lambda: not worker.running, timeout=30)
    notification = Notification.objects.get(template="intake_code", channel="email")
    assert notification.status == Notification.Status.SENDING and mailbox == []

    worker.start()
    started = time.monotonic()
    _sweep_until(fault_stack, lambda: mailbox)
    assert time.monotonic() - started < 60  # not the 10-minute timeout
    wait_for(lambda: Notification.objects.filter(pk=notification.pk, status="sent").exists(), timeout=30)
    time.sleep(3)
    assert Counter(m["X-Envelope-To"] for m in mailbox) == {"enquirer@example.org": 1}
    assert mailbox[0]["Message-ID"] == f"<{notification.pk}@example.org>"


def test_a_worker_killed_mid_batch_and_a_broker_restarted_empty_send_each_message_once(
        fault_stack, mailbox, smtp_server):
    """The acceptances of the batch's first messages live in PostgreSQL: Redis restarted empty (its notes and
    the queue gone) makes nobody send them again; the message the worker died on is sent once, after."""
    collector = smtp_server[0]
    worker = fault_stack.worker
    subject = SubjectFactory()
    rows = [queue_without_sending(subject=subject, channel="email", template="new_link",
                                  recipient=f"otieno{i}@example.org", context={"link": "https://portal.example.org/me/x/"})
            for i in range(8)]

    def kill_on_the_fifth(message) -> str | None:
        if len(collector.messages) < 4:
            return None
        collector.before_accept = None
        worker.kill()  # dies mid-DATA of the fifth: the server never accepted it
        return "451 4.3.0 Try again later"

    collector.before_accept = kill_on_the_fifth
    fault_stack.manage("shell", "-c", "from apps.notifications.tasks import notifications_send_task as t; "
                       f"t.delay({[str(r.pk) for r in rows]!r})")
    wait_for(lambda: not worker.running, timeout=30)
    assert len(mailbox) == 4
    assert Notification.objects.filter(status="sending").count() == 8  # none recorded SENT yet

    fault_stack.redis.stop()  # the notes in Redis, the queue and every heartbeat are gone
    fault_stack.redis.start()
    worker.start()
    _sweep_until(fault_stack, lambda: Notification.objects.filter(status="sent").count() == 8, timeout=120)
    time.sleep(3)  # a second send would arrive now
    received = Counter(m["Message-ID"] for m in mailbox)
    assert received == {f"<{r.pk}@example.org>": 1 for r in rows}
