"""What a person does behind their private link goes through services; the bugs found when trying it."""

import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.audit.models import AuditEvent
from apps.selfservice import services as selfservice_services
from apps.subjects import services as subject_services
from apps.subjects.models import ErasureJob, PersonalRecord, ServiceEngagement
from apps.vault.models import DeletionCertificate
from tests.factories import EngagementFactory
from tests.selfservice.helpers import apply_for_link, step_up

pytestmark = pytest.mark.django_db(transaction=True)
FILES = {"id_document", "cv"}  # file inputs: a browser sends them empty; a test leaves them out


@pytest.fixture
def applicant(client, mailoutbox, demo_purposes):
    return apply_for_link(client, mailoutbox, **{"consent_marketing": "on"})


def test_deleting_everything_from_the_link_ends_the_service_too(client, applicant, mailoutbox):
    step_up(client, mailoutbox, applicant)
    page = client.post(applicant + "delete/", {"confirm": "yes"}).content.decode()
    assert "Your data is deleted" in page
    engagement = ServiceEngagement.objects.get()
    assert engagement.status == ServiceEngagement.Status.ENDED_BY_SUBJECT and engagement.completed_at
    assert DeletionCertificate.objects.get().reason == "subject-request"


def test_withdrawing_a_required_consent_is_recorded_as_the_persons_request(client, applicant, mailoutbox):
    step_up(client, mailoutbox, applicant)
    client.post(applicant + "withdraw/recruitment/", {"confirm": "yes"})
    assert DeletionCertificate.objects.get().reason == "subject-request"
    assert ServiceEngagement.objects.get().status == ServiceEngagement.Status.ENDED_BY_SUBJECT


def test_withdrawing_an_optional_consent_does_not_threaten_the_service(client, applicant):
    page = client.get(applicant + "withdraw/marketing/").content.decode()
    assert "This consent is optional" in page
    assert "the service ends and we delete all your data" not in page
    assert "Withdraw and end the service" not in page


def test_a_correction_whose_notice_cannot_be_written_changes_nothing(client, applicant, mailoutbox, monkeypatch):
    """The correction, its audit event and the notices are one transaction: no request commits in pieces."""
    step_up(client, mailoutbox, applicant)
    form = client.get(applicant + "correct/").context["form"]
    data = {n: (form[n].value().as_e164 if hasattr(form[n].value(), "as_e164") else form[n].value())
            for n in form.fields if n not in FILES}
    data["email"] = "amani.new@example.org"

    def broken_queue(**kwargs):
        raise RuntimeError("the notification could not be written")

    monkeypatch.setattr(selfservice_services, "notification_queue", broken_queue)
    with pytest.raises(RuntimeError):
        client.post(applicant + "correct/", data)
    assert PersonalRecord.objects.get().email == "amani.wekesa@example.org"
    assert not AuditEvent.objects.filter(verb="record.corrected").exists()
    assert client.get(applicant).status_code == 200  # the link was not revoked either


def test_erase_subject_reports_the_certificate_when_a_worker_finished_it_first(capsys):
    engagement = EngagementFactory()
    # A worker has claimed it (the row as erasure_request and the worker's claim leave it).
    job = ErasureJob.objects.create(subject_id=engagement.subject_id, reason="retention",
                                    state=ErasureJob.State.RUNNING)

    def worker_finishes() -> None:
        time.sleep(0.5)
        ErasureJob.objects.filter(pk=job.pk).update(state=ErasureJob.State.PENDING)
        subject_services.erasure_job_run(job_id=job.pk)
        connection.close()

    thread = threading.Thread(target=worker_finishes)
    thread.start()
    call_command("erase_subject", str(engagement.subject_id), "--reason", "retention")
    thread.join()
    out = capsys.readouterr().out
    assert "partially erased" not in out
    assert f"certificate {DeletionCertificate.objects.get().pk}" in out
    assert not PersonalRecord.objects.exists()


def test_erase_subject_says_so_when_the_job_is_still_running_elsewhere(settings):
    engagement = EngagementFactory()
    ErasureJob.objects.create(subject_id=engagement.subject_id, reason="retention", state=ErasureJob.State.RUNNING)
    with pytest.raises(CommandError, match="still running"):
        call_command("erase_subject", str(engagement.subject_id), "--wait", "0.2")
