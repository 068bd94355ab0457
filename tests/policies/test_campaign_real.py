"""A change campaign through the real parts: a worker process, Redis, the SMTP server; a worker killed mid-way."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import transaction

from apps.notifications import services as notification_services
from apps.notifications.models import Notification
from apps.policies.models import Campaign
from apps.policies.selectors import campaign_call_list
from apps.policies.services import campaigns_redrive, policy_version_publish
from tests.conftest import wait_for
from tests.factories import EngagementFactory, SubjectFactory
from tests.policies.helpers import BACKGROUND, HIRING, SYSTEM, draft

pytestmark = pytest.mark.real_services


def test_two_hundred_people_are_told_exactly_once_even_when_the_worker_is_killed(
        celery_worker, mailbox, smtp_server, demo_purposes, monkeypatch, settings):
    settings.NOTIFICATION_DEAD_CLAIM_GRACE = 0  # hand back a dead worker's claims once its heartbeat stops
    with_mobile = [EngagementFactory(subject=SubjectFactory()).subject for _ in range(150)]
    email_only = [EngagementFactory(subject=SubjectFactory(mobile=None)).subject for _ in range(47)]
    unreachable = [EngagementFactory(subject=SubjectFactory(mobile=None, email=f"gone{i}@example.org")).subject
                   for i in range(3)]
    smtp_server[0].refused.update(f"gone{i}@example.org" for i in range(3))
    version = draft(summary="We now check certificates.", disclosures=[HIRING, BACKGROUND])

    with transaction.atomic():
        campaign = policy_version_publish(version=version, actor=SYSTEM).campaign
    wait_for(lambda: len(mailbox) >= 20, timeout=60, interval=0.01)
    celery_worker.kill()  # SIGKILL, as the OOM killer would
    assert len(mailbox) < 200 or Notification.objects.filter(status="pending").exists(), "finished before the kill"

    # What beat does once its cut-offs pass: messages the dead worker held, and the campaign's next batch.
    monkeypatch.setattr(notification_services, "SENDING_TIMEOUT", timedelta(0))
    notification_services.notifications_redrive(older_than=timedelta(0))
    campaigns_redrive(older_than=timedelta(0))
    celery_worker.start()

    def all_done() -> bool:  # beat, every second: the campaign's batches and sends whose worker died
        campaigns_redrive(older_than=timedelta(0))
        notification_services.notifications_redrive(older_than=timedelta(0))
        campaign.refresh_from_db()
        in_flight = Notification.objects.filter(template="policy_changed", status__in=["pending", "sending"])
        return campaign.status == Campaign.Status.FANNED_OUT and not in_flight.exists()

    wait_for(all_done, timeout=180, interval=1)
    wait_for(lambda: len(mailbox) >= 197, timeout=30)

    by_address = defaultdict(set)
    for message in mailbox:
        by_address[message["X-Envelope-To"]].add(message["Message-ID"])
    people = with_mobile + email_only
    assert len(by_address) == len(people) == 197
    assert all(len(ids) == 1 for ids in by_address.values())  # one message each (a resend keeps its Message-ID)
    rows = Notification.objects.filter(template="policy_changed")
    assert rows.filter(channel="email").count() == 200 and rows.filter(channel="sms").count() == 150
    assert rows.filter(channel="sms", status="sent").count() == 150
    assert rows.filter(channel="email", status="failed").count() == 3
    assert {r.subject_id for r in campaign_call_list(campaign)} == {p.pk for p in unreachable}
