from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.notifications.models import Notification
from apps.notifications.services import notification_queue
from apps.subjects import services
from apps.subjects.models import DataSubject, Enquiry, ErasureJob, IdentityDocument, PersonalRecord, SubjectLookup
from apps.vault.models import DataKey, DeletionCertificate
from apps.vault.services import KeyDestroyed
from tests.factories import PDF_BYTES, EngagementFactory, SubjectFactory

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def _files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_erasure_destroys_key_rows_files_and_leaves_a_certificate(settings):
    subject = SubjectFactory(email="gone@example.org")
    services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
    stored = _files(settings)
    assert len(stored) == 1 and b"passport scan" not in stored[0].read_bytes()

    certificate = services.subject_erase(subject=subject, reason="subject-request")

    assert not DataKey.objects.filter(subject_id=subject.pk).exists()
    assert not PersonalRecord.objects.filter(subject=subject).exists()
    assert not IdentityDocument.objects.filter(subject=subject).exists()
    assert not SubjectLookup.objects.filter(subject=subject).exists()
    assert _files(settings) == []
    assert services.subjects_find(email="gone@example.org") is None
    subject.refresh_from_db()
    assert subject.status == DataSubject.Status.ERASED
    assert certificate.subject_id == subject.pk and certificate.reason == "subject-request"
    assert certificate.counts == {"messages_sent": 0, "codes": 0, "submissions": 0, "documents": 1,
                                  "record": 1, "enquiries": 0, "lookups": 2, "legal_holds": 0,
                                  "staff_access": 0, "policy_change_notices": 0, "api_handovers": 0}
    assert {"id-document", "identity", "contact", "government-id"} <= set(certificate.categories)
    assert AuditEvent.objects.filter(verb="subject.erased", target=str(subject.pk)).count() == 1


def test_erasing_twice_changes_nothing_and_keeps_one_certificate():
    subject = SubjectFactory()
    first = services.subject_erase(subject=subject, reason="subject-request")
    second = services.subject_erase(subject=subject, reason="retention")
    assert first.pk == second.pk
    assert DeletionCertificate.objects.filter(subject_id=subject.pk).count() == 1
    assert AuditEvent.objects.filter(verb="subject.erased").count() == 1


def test_nothing_in_the_certificate_or_audit_is_personal():
    subject = SubjectFactory(full_name="Zawadi Njeri", email="zawadi@example.org")
    services.subject_erase(subject=subject, reason="subject-request")
    texts = [repr(list(DeletionCertificate.objects.values())), repr(list(AuditEvent.objects.values()))]
    assert not any("Zawadi" in t or "zawadi" in t for t in texts)


def test_completing_the_last_engagement_queues_an_erasure_that_runs_on_commit(django_capture_on_commit_callbacks):
    engagement = EngagementFactory()
    with django_capture_on_commit_callbacks(execute=True):
        job = services.engagement_complete(engagement=engagement, actor=SYSTEM)
    job.refresh_from_db()
    assert job.state == ErasureJob.State.DONE
    assert DeletionCertificate.objects.get(subject_id=engagement.subject_id).reason == "service-complete"


def test_erasure_waits_for_the_persons_last_open_engagement(django_capture_on_commit_callbacks):
    first = EngagementFactory()
    second = EngagementFactory(subject=first.subject)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.engagement_complete(engagement=first, actor=SYSTEM) is None
    assert PersonalRecord.objects.filter(subject=first.subject).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.engagement_complete(engagement=second, actor=SYSTEM) is not None
    assert not PersonalRecord.objects.filter(subject=first.subject).exists()


def test_completing_an_engagement_twice_queues_one_erasure(django_capture_on_commit_callbacks):
    engagement = EngagementFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.engagement_complete(engagement=engagement, actor=SYSTEM)
        services.engagement_complete(engagement=engagement, actor=SYSTEM)
    assert len(callbacks) == 1
    assert ErasureJob.objects.count() == 1


def test_a_job_delivered_twice_runs_once(django_capture_on_commit_callbacks):
    engagement = EngagementFactory()
    with django_capture_on_commit_callbacks(execute=False):
        job = services.engagement_complete(engagement=engagement, actor=SYSTEM)
    assert services.erasure_job_run(job_id=job.pk) is not None
    assert services.erasure_job_run(job_id=job.pk) is None
    assert ErasureJob.objects.get().attempts == 1


def test_the_sweep_redrives_a_job_whose_queueing_was_lost(django_capture_on_commit_callbacks):
    engagement = EngagementFactory()
    with django_capture_on_commit_callbacks(execute=False):  # the broker never got the message
        job = services.engagement_complete(engagement=engagement, actor=SYSTEM)
    assert services.erasure_jobs_redrive() == 0  # not yet a minute old
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.erasure_jobs_redrive() == 1
    job.refresh_from_db()
    assert job.state == ErasureJob.State.DONE


def test_the_sweep_hands_back_a_job_whose_worker_died(django_capture_on_commit_callbacks):
    engagement = EngagementFactory()
    with django_capture_on_commit_callbacks(execute=False):
        job = services.engagement_complete(engagement=engagement, actor=SYSTEM)
    ErasureJob.objects.filter(pk=job.pk).update(state=ErasureJob.State.RUNNING, started_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):  # may still be running
        assert services.erasure_jobs_redrive() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):  # past the hard time limit
        with django_capture_on_commit_callbacks(execute=True):
            services.erasure_jobs_redrive()
    assert DeletionCertificate.objects.filter(subject_id=engagement.subject_id).count() == 1


def test_a_legal_hold_keeps_named_fields_until_it_ends(django_capture_on_commit_callbacks, settings):
    subject = SubjectFactory(full_name="Held Person", legal_id_number="11112222")
    services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
    services.enquiry_add(subject=subject, actor=SYSTEM, message="Please call me on 0712 000 111")
    with django_capture_on_commit_callbacks(execute=False):
        notification_queue(subject=subject, channel="email", template="new_link", recipient="held@example.org",
                           context={"link": "https://example.org/me/x/"})
    engagement = EngagementFactory(subject=subject)
    services.legal_hold_place(subject=subject, actor=SYSTEM, basis="Tax Procedures Act s.23",
                              fields=["full_name", "legal_id_number"], until=timezone.now() + timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        services.engagement_complete(engagement=engagement, actor=SYSTEM)
    record = PersonalRecord.objects.get(subject=subject)
    assert (record.full_name, record.legal_id_number) == ("Held Person", "11112222")
    assert not Enquiry.objects.filter(subject=subject).exists()
    assert not Notification.objects.filter(subject=subject).exists()
    assert record.address == "" and record.mobile is None and record.referees == []
    assert not IdentityDocument.objects.filter(subject=subject).exists() and _files(settings) == []
    assert DataKey.objects.filter(subject_id=subject.pk).exists()
    assert not DeletionCertificate.objects.filter(subject_id=subject.pk).exists()

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.enforce_retention() == 1
    assert DeletionCertificate.objects.get(subject_id=subject.pk).reason == "retention"
    assert not DataKey.objects.filter(subject_id=subject.pk).exists()


def test_retention_erases_people_left_without_a_service(settings, django_capture_on_commit_callbacks):
    settings.ABANDONED_RECORD_DAYS = 30
    abandoned = SubjectFactory()
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        recent = SubjectFactory()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("enforce_retention")
    assert DeletionCertificate.objects.get(subject_id=abandoned.pk).reason == "retention"
    assert not DeletionCertificate.objects.filter(subject_id=recent.pk).exists()


def test_erase_subject_command_prints_the_certificate(capsys):
    subject = SubjectFactory()
    call_command("erase_subject", str(subject.pk), "--reason", "subject-request")
    certificate = DeletionCertificate.objects.get(subject_id=subject.pk)
    assert str(certificate.pk) in capsys.readouterr().out


def test_a_restored_row_of_an_erased_person_cannot_be_read_and_reapply_removes_it(capsys):
    subject, survivor = SubjectFactory(), SubjectFactory(full_name="Still Here")
    with connection.cursor() as cursor:  # the "backup": raw rows, as a dump would hold them
        cursor.execute("SELECT * FROM subjects_personalrecord")
        columns = [c[0] for c in cursor.description]
        backup = cursor.fetchall()
    services.subject_erase(subject=subject, reason="subject-request")
    with connection.cursor() as cursor:  # the "restore"
        cursor.execute("DELETE FROM subjects_personalrecord")
        for row in backup:
            cursor.execute(f"INSERT INTO subjects_personalrecord ({', '.join(columns)}) "  # noqa: S608
                           f"VALUES ({', '.join(['%s'] * len(columns))})", row)
    with pytest.raises(KeyDestroyed):
        PersonalRecord.objects.get(subject=subject).full_name  # noqa: B018

    call_command("reapply_erasures")
    assert "1 people erased again" in capsys.readouterr().out
    assert not PersonalRecord.objects.filter(subject=subject).exists()
    assert PersonalRecord.objects.get(subject=survivor).full_name == "Still Here"


@pytest.mark.parametrize(("data", "code"), [(b"MZ\x90\x00" * 10, "type"), (b"", "empty"),
                                             (b"%PDF-" + b"0" * (10 * 1024 * 1024), "too-large")])
def test_documents_are_sniffed_and_bounded(data, code):
    subject = SubjectFactory()
    with pytest.raises(services.DocumentRejected) as excinfo:
        services.document_add(subject=subject, actor=SYSTEM, data=data)
    assert excinfo.value.code == code
    assert not IdentityDocument.objects.exists()


def test_a_document_reads_back_decrypted():
    subject = SubjectFactory()
    document = services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
    assert document.content_type == "application/pdf"
    assert b"".join(services.document_read(document=document)) == PDF_BYTES


def test_people_are_found_by_email_or_phone_without_decrypting():
    subject = SubjectFactory(email="Find.Me@Example.org", mobile="+254712000999")
    assert services.subjects_find(email="  find.me@example.ORG ") == subject
    assert services.subjects_find(phone="0712 000999") == subject
    assert services.subjects_find(email="other@example.org") is None


def test_correcting_the_email_moves_the_lookup_and_audits_field_names_only():
    subject = SubjectFactory(email="old@example.org")
    changed = services.record_update(subject=subject, actor=SYSTEM, changes={"email": "new@example.org"})
    assert changed == ["email"]
    assert services.subjects_find(email="old@example.org") is None
    assert services.subjects_find(email="new@example.org") == subject
    event = AuditEvent.objects.get(verb="record.corrected")
    assert event.detail == {"fields": ["email"]}


def test_files_and_keys_left_by_a_rolled_back_submission_are_removed(settings):
    from django.db import transaction

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        subject = SubjectFactory()
        services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
        raise Boom
    kept = SubjectFactory()
    kept_doc = services.document_add(subject=kept, actor=SYSTEM, data=PDF_BYTES)
    assert len(_files(settings)) == 2  # the rolled-back one is still on disk
    assert services.orphans_remove() == {"files": 0, "keys": 0}  # too young to be sure
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        removed = services.orphans_remove()
    assert removed["files"] == 1
    assert [p.name for p in _files(settings)] == [Path(kept_doc.stored_name).name]


def test_a_published_job_is_published_again_only_once_its_message_expired_unstarted(
        django_capture_on_commit_callbacks, settings):
    from unittest import mock

    settings.ERASURE_REQUEUE_SECONDS = 60
    engagement = EngagementFactory()
    with mock.patch("apps.subjects.tasks.subjects_erase_task.delay") as delay:  # the broker took it
        with django_capture_on_commit_callbacks(execute=True):
            job = services.engagement_complete(engagement=engagement, actor=SYSTEM)
    assert delay.call_count == 1
    job.refresh_from_db()
    assert job.queued_at is not None and job.state == ErasureJob.State.PENDING
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):  # still live in the queue
        assert services.erasure_jobs_redrive() == 0
    # Lost with a broker restart, or expired unstarted behind a backlog: published again.
    with time_machine.travel(timezone.now() + timedelta(seconds=90)):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.erasure_jobs_redrive() == 1
    assert DeletionCertificate.objects.filter(subject_id=engagement.subject_id).exists()


def test_a_person_certified_but_not_erased_is_erased_when_the_job_runs_again(settings):
    """With the key store in its own database, its commit (certificate, log) can land and the main
    transaction then fail: the re-driven job must finish the erasure, keeping the one certificate."""
    subject = SubjectFactory()
    services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
    job = ErasureJob.objects.create(subject=subject, reason="subject-request")
    first = services.subject_erase(subject=SubjectFactory(), reason="retention")  # a certificate to copy
    DeletionCertificate.objects.create(id=job.pk, subject_id=subject.pk, reason="subject-request",
                                       categories=[], counts={}, key_destroyed_at=first.key_destroyed_at,
                                       completed_at=first.completed_at, job_id=str(job.pk))
    services.erasure_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ErasureJob.State.DONE and job.certificate_id == job.pk
    assert not PersonalRecord.objects.filter(subject=subject).exists()
    assert not IdentityDocument.objects.filter(subject=subject).exists()
    assert not DataKey.objects.filter(subject_id=subject.pk).exists()
    assert DataSubject.objects.get(pk=subject.pk).is_erased
    assert DeletionCertificate.objects.filter(subject_id=subject.pk).count() == 1


@pytest.mark.parametrize(("reason", "status"), [("service-complete", "completed"), ("retention", "expired"),
                                                ("subject-request", "ended-by-subject")])
def test_an_erasure_for_any_reason_ends_the_persons_open_services(reason, status, capsys):
    engagement = EngagementFactory()
    call_command("erase_subject", str(engagement.subject_id), "--reason", reason)
    engagement.refresh_from_db()
    assert engagement.status == status and engagement.completed_at


def test_the_clients_reference_does_not_outlive_the_person():
    engagement = EngagementFactory(reference="CAND-4471-WANJIKU")
    services.subject_erase(subject=engagement.subject, reason="service-complete")
    engagement.refresh_from_db()
    assert engagement.reference == "" and engagement.service == "recruitment"  # the service history stays


def test_a_certificate_names_only_the_categories_the_person_held():
    """Read without the key (sealed lengths, document kinds): someone who only wrote to us is not certified
    to have had an address, referees, an ID, a CV or work experience erased; an applicant with a CV is."""
    enquirer = SubjectFactory(mobile=None, address="", referees=[], legal_id_type="", legal_id_number="")
    applicant = SubjectFactory(experience="Six years as a theatre nurse")
    services.document_add(subject=applicant, actor=SYSTEM, data=PDF_BYTES, kind=IdentityDocument.Kind.CV)

    enquirer_certificate = services.subject_erase(subject=enquirer, reason="service-complete")
    applicant_certificate = services.subject_erase(subject=applicant, reason="service-complete")

    assert enquirer_certificate.categories == ["identity", "contact", "lookup-index"]
    assert {"address", "referee", "government-id", "professional"} <= set(applicant_certificate.categories)
    assert "id-document" not in applicant_certificate.categories  # a CV, no ID scan
