"""The broker down when a person's last engagement completes: the completion still succeeds (the erasure
job is a row), and the sweep erases them once Redis is back. The Redis stopped is the harness's own, never
the one REDIS_URL names (others may be using it)."""


import pytest

from apps.subjects.models import ErasureJob, PersonalRecord
from apps.vault.models import DeletionCertificate
from tests.conftest import log_dir, wait_for
from tests.factories import EngagementFactory

from .conftest import _stack

pytestmark = pytest.mark.real_services

COMPLETE = """
from django.db import transaction
from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import ServiceEngagement
with transaction.atomic():
    services.engagement_complete(engagement=ServiceEngagement.objects.get(pk="{pk}"), actor=Actor.system("test"))
"""
# What beat does once the cut-off has passed.
REDRIVE = """
from datetime import timedelta
from apps.subjects import services
services.erasure_jobs_redrive(older_than=timedelta(0))
"""


def test_with_the_broker_down_at_completion_the_sweep_erases_once_it_is_back(fault_redis, transactional_db,
                                                                              smtp_server, tmp_path):
    stack = _stack(redis=fault_redis, smtp_port=smtp_server[1], media=tmp_path / "media",
                   log_dir=log_dir() / "faults")
    stack.worker.start()
    try:
        engagement = EngagementFactory()
        fault_redis.stop()
        try:
            stack.manage("shell", "-c", COMPLETE.format(pk=engagement.pk))  # the request still succeeds
            job = ErasureJob.objects.get(subject_id=engagement.subject_id)
            assert job.state == ErasureJob.State.PENDING
            assert PersonalRecord.objects.filter(subject_id=engagement.subject_id).exists()
        finally:
            fault_redis.start()  # empty, as a restart without persistence leaves it
        stack.manage("shell", "-c", REDRIVE)  # the worker reconnects by itself and takes the job
        wait_for(lambda: DeletionCertificate.objects.filter(subject_id=engagement.subject_id).exists(), timeout=60)
        assert DeletionCertificate.objects.filter(subject_id=engagement.subject_id).count() == 1
        assert not PersonalRecord.objects.filter(subject_id=engagement.subject_id).exists()
    finally:
        stack.worker.stop()
