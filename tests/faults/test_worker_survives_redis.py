"""A worker holding messages when Redis stops keeps running (kombu's restore_unacked/ack on a dropped connection are
guarded: privacy_portal/celery.py), and once Redis is back, empty, every message still goes out exactly once."""

import time
from collections import Counter

import pytest

from apps.notifications.models import Notification
from tests.conftest import wait_for
from tests.factories import SubjectFactory
from tests.notifications.fakes import queue_without_sending

pytestmark = pytest.mark.real_services


def test_the_worker_lives_through_redis_stopping_while_it_holds_messages(fault_stack, mailbox, smtp_server):
    collector = smtp_server[0]
    collector.before_accept = lambda message: time.sleep(0.05)  # a provider that takes its time
    subject = SubjectFactory()
    rows = [queue_without_sending(subject=subject, channel="email", template="new_link",
                                  recipient=f"wanjiru{i}@example.org", context={"link": "https://portal.example.org/me/x/"})
            for i in range(120)]
    ids = [str(r.pk) for r in rows]
    fault_stack.manage("shell", "-c", "from apps.notifications.tasks import notifications_send_task as t; "
                       f"ids = {ids!r}; [t.delay(ids[i:i + 10]) for i in range(0, len(ids), 10)]")
    wait_for(lambda: mailbox, timeout=30)
    for _ in range(3):
        fault_stack.redis.stop()  # the worker holds unacknowledged messages now
        time.sleep(3)
        fault_stack.redis.start()
        time.sleep(5)
        assert fault_stack.worker.running, fault_stack.worker.log()[-3000:]

    def all_sent() -> bool:
        fault_stack.manage("redrive_notifications", "--older-than", "0")  # what beat does every 30 s
        return Notification.objects.filter(status="sent").count() == len(rows)

    wait_for(all_sent, timeout=150, interval=5)
    time.sleep(3)
    assert Counter(m["Message-ID"] for m in mailbox) == {f"<{r.pk}@example.org>": 1 for r in rows}
