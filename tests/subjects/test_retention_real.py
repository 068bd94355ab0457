"""Retention through the real parts: the worker closes, erases and warns; the SMTP server gets the notice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.selfservice.tasks import retention_notices_task
from apps.subjects.models import ServiceEngagement
from apps.subjects.tasks import enforce_retention_task
from apps.vault.models import DeletionCertificate
from tests.conftest import wait_for
from tests.factories import EngagementFactory

pytestmark = pytest.mark.real_services


def test_the_worker_erases_an_idle_application_and_warns_one_nearing_its_end(celery_worker, mailbox):
    idle, nearing, fresh = EngagementFactory(), EngagementFactory(), EngagementFactory()
    now = timezone.now()  # the worker runs with the default periods: 90 days, told 14 days before
    ServiceEngagement.objects.filter(pk=idle.pk).update(last_activity_at=now - timedelta(days=91),
                                                        retention_notice_at=now - timedelta(days=15))  # told
    ServiceEngagement.objects.filter(pk=nearing.pk).update(last_activity_at=now - timedelta(days=80))

    retention_notices_task.delay()
    enforce_retention_task.delay()

    wait_for(lambda: DeletionCertificate.objects.filter(subject_id=idle.subject_id).exists(), timeout=30)
    notices = wait_for(lambda: [m for m in mailbox if "We will soon delete your data" in m["Subject"]], timeout=30)
    nearing_email = nearing.subject.record.email
    assert [m["X-Envelope-To"] for m in notices] == [nearing_email]
    assert not DeletionCertificate.objects.filter(subject_id__in=[nearing.subject_id, fresh.subject_id]).exists()
    assert ServiceEngagement.objects.get(pk=idle.pk).status == ServiceEngagement.Status.EXPIRED
