"""Erasure through the real parts: PostgreSQL, Redis, a Celery worker process, pg_dump/pg_restore."""

import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import DataSubject, ErasureJob, IdentityDocument, PersonalRecord, ServiceEngagement
from apps.vault.models import DeletionCertificate
from apps.vault.services import KeyDestroyed
from privacy_portal.celery import app
from tests.conftest import wait_for
from tests.factories import PDF_BYTES, EngagementFactory

pytestmark = pytest.mark.real_services
STAFF = Actor.system("test")


def _complete(engagements: list[ServiceEngagement]) -> None:
    with transaction.atomic():  # all at once, as one admin action or API batch does
        for engagement in engagements:
            services.engagement_complete(engagement=engagement, actor=STAFF)


def test_completing_an_engagement_leads_to_the_certificate_within_seconds(celery_worker):
    engagement = EngagementFactory()
    document = services.document_add(subject=engagement.subject, actor=STAFF, data=PDF_BYTES)
    stored = Path(settings.MEDIA_ROOT) / document.stored_name
    assert stored.exists()
    _complete([engagement])
    certificate = wait_for(lambda: DeletionCertificate.objects.filter(subject_id=engagement.subject_id).first(),
                           timeout=15)
    assert certificate.reason == "service-complete"
    assert not PersonalRecord.objects.filter(subject_id=engagement.subject_id).exists()
    assert not IdentityDocument.objects.filter(subject_id=engagement.subject_id).exists()
    assert not stored.exists()


def test_killing_the_worker_mid_batch_still_erases_everyone_exactly_once(celery_worker):
    engagements = [EngagementFactory() for _ in range(120)]
    _complete(engagements)
    wait_for(lambda: DeletionCertificate.objects.count() >= 5, timeout=30, interval=0.01)
    celery_worker.kill()  # SIGKILL, as the OOM killer would
    done_at_kill = DeletionCertificate.objects.count()
    assert done_at_kill < len(engagements), "the batch finished before the kill; make it bigger"

    celery_worker.start()
    services.erasure_jobs_redrive(older_than=timedelta(0), published_for=timedelta(0),
                                  running_for=timedelta(0))  # what beat does once the cut-offs pass
    wait_for(lambda: not ErasureJob.objects.exclude(state=ErasureJob.State.DONE).exists(), timeout=60)

    subject_ids = [e.subject_id for e in engagements]
    assert DeletionCertificate.objects.filter(subject_id__in=subject_ids).count() == len(engagements)
    assert not PersonalRecord.objects.filter(subject_id__in=subject_ids).exists()
    assert DataSubject.objects.filter(pk__in=subject_ids, status=DataSubject.Status.ERASED).count() == len(engagements)


def test_an_erasure_whose_worker_is_killed_mid_run_is_finished_within_a_minute(celery_worker):
    """Production's cut-offs and beat's 30-second sweep: the run's worker is known dead once its heartbeat stops
    (15 s), so the next sweep hands its jobs back; nobody stays key-less without a certificate for long."""
    engagements = [EngagementFactory() for _ in range(120)]
    _complete(engagements)
    wait_for(lambda: DeletionCertificate.objects.count() >= 5, timeout=30, interval=0.01)
    celery_worker.kill()
    killed_at = time.monotonic()
    running = ErasureJob.objects.filter(state=ErasureJob.State.RUNNING)
    dead = set(running.values_list("claimed_by", flat=True))
    assert dead, "the batch finished before the kill"
    celery_worker.start()

    # Within a minute every job the dead process held is handed back and taken up again (then the batch runs at the
    # machine's speed: on a busy CI machine finishing 120 erasures can take longer than the hand-back).
    next_sweep = time.monotonic()
    while ErasureJob.objects.exclude(state=ErasureJob.State.DONE).exists():
        if time.monotonic() - killed_at >= 60:
            assert not ErasureJob.objects.filter(claimed_by__in=dead).exclude(state=ErasureJob.State.DONE).exists(), \
                "a job of the killed worker was not handed back within a minute of the kill"
        assert time.monotonic() - killed_at < 240, "not finished within four minutes of the kill"
        if time.monotonic() >= next_sweep:
            services.erasure_jobs_redrive()  # what beat does every BEAT_REDRIVE_SECONDS
            next_sweep += settings.BEAT_REDRIVE_SECONDS
        time.sleep(0.5)
    subject_ids = [e.subject_id for e in engagements]
    assert DeletionCertificate.objects.filter(subject_id__in=subject_ids).count() == len(engagements)


def _pg(*args: str) -> list[str]:
    db = connection.settings_dict
    return [*args, "-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432),
            "-U", db.get("USER") or "postgres"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql_only  # the backup procedure is pg_dump
def test_a_backup_taken_as_the_readme_says_is_unreadable_after_erasure_and_reapply_removes_it(tmp_path, capsys):
    gone, kept = EngagementFactory(), EngagementFactory()
    gone_file = services.document_add(subject=gone.subject, actor=STAFF, data=PDF_BYTES).stored_name
    media = Path(settings.MEDIA_ROOT)
    dump = tmp_path / "main.dump"
    # The README's long-term backup: the main database without the key store, plus the files.
    subprocess.run(_pg("pg_dump", "-Fc", "--exclude-table=vault_datakey", "--exclude-table=vault_deletioncertificate",
                       "--exclude-table=vault_log*", "--exclude-table=vault_treehead",
                       "-f", str(dump), "-d", connection.settings_dict["NAME"]), check=True)
    shutil.copytree(media, tmp_path / "media-backup")

    services.subject_erase(subject=gone.subject, reason="subject-request")

    # Disaster: restore the main database and the files from that backup.
    connection.close()
    subprocess.run(_pg("pg_restore", "--clean", "--if-exists", "--single-transaction", "-d",
                       connection.settings_dict["NAME"], str(dump)), check=True)
    shutil.copytree(tmp_path / "media-backup", media, dirs_exist_ok=True)

    restored = PersonalRecord.objects.get(subject_id=gone.subject_id)  # the ciphertext is back...
    with pytest.raises(KeyDestroyed):  # ...and unreadable with the full keyring and current key store
        restored.full_name  # noqa: B018
    document = IdentityDocument.objects.get(subject_id=gone.subject_id)
    with pytest.raises(KeyDestroyed):
        b"".join(services.document_read(document=document))
    raw_files = b"".join(p.read_bytes() for p in media.rglob("*") if p.is_file())
    assert b"passport scan" not in raw_files

    call_command("reapply_erasures")
    assert "1 people erased again" in capsys.readouterr().out
    call_command("verify_transparency_log")  # the key store (certificates and their log) was never restored
    assert not PersonalRecord.objects.filter(subject_id=gone.subject_id).exists()
    assert not (media / gone_file).exists()
    assert PersonalRecord.objects.get(subject_id=kept.subject_id).full_name  # others are untouched


def test_a_batch_completion_killed_mid_way_still_erases_everyone_exactly_once(celery_worker):
    engagements = [EngagementFactory() for _ in range(450)]  # three erasure batches
    subject_ids = [e.subject_id for e in engagements]
    jobs = services.engagements_complete(engagement_ids=[e.pk for e in engagements], actor=STAFF)
    assert len(jobs) == 450
    wait_for(lambda: DeletionCertificate.objects.exists(), timeout=30, interval=0.01)
    celery_worker.kill()
    assert DeletionCertificate.objects.count() < 450, "the batches finished before the kill"

    celery_worker.start()

    def all_done() -> bool:  # beat re-drives every 30 s; here, as soon as the cut-offs pass
        services.erasure_jobs_redrive(older_than=timedelta(0), published_for=timedelta(0), running_for=timedelta(0))
        return not ErasureJob.objects.exclude(state=ErasureJob.State.DONE).exists()

    wait_for(all_done, timeout=90, interval=2)
    assert DeletionCertificate.objects.filter(subject_id__in=subject_ids).count() == 450
    assert not PersonalRecord.objects.filter(subject_id__in=subject_ids).exists()
    assert AuditEvent.objects.filter(verb="subject.erased").count() == 450  # each person erased once


def test_an_erasure_whose_message_was_lost_with_a_broker_restart_is_published_again(celery_worker, settings):
    """Redis restarted empty after the job was published: the sweep publishes it again once its message
    would have expired unstarted (ERASURE_REQUEUE_SECONDS), so the person is erased within a minute or so."""
    engagement = EngagementFactory()
    celery_worker.stop()  # nobody takes the message before the "restart"
    _complete([engagement])
    job = ErasureJob.objects.get(subject_id=engagement.subject_id)
    assert job.queued_at is not None  # the broker had it...
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # ...and lost it: restarted empty
    celery_worker.start()
    assert services.erasure_jobs_redrive() == 0  # not yet: it could still be waiting in a queue
    services.erasure_jobs_redrive(published_for=timedelta(seconds=0))  # ERASURE_REQUEUE_SECONDS later
    wait_for(lambda: DeletionCertificate.objects.filter(subject_id=engagement.subject_id).exists(), timeout=30)
