"""Whatever ended the service, the person erased is told, in their language, with their signed certificate:
staff completing it in the admin, the client company's API, a vacancy closing, an answered enquiry, the
retention sweep (the person's own "delete everything" is in test_erasure_notice.py). Through the real parts:
PostgreSQL, Redis, a Celery worker process and an SMTP server on loopback; the certificate attached to the
mail that reached the server is checked as /verify/ checks it."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.notifications.erasure_notices import erasure_notices_redrive
from apps.notifications.models import ErasureNotice
from apps.staff.services import enquiry_answer
from apps.subjects import services
from apps.subjects.models import ErasureJob, PersonalRecord, ServiceEngagement
from apps.subjects.tasks import enforce_retention_task
from apps.vault.models import DeletionCertificate
from apps.vault.transparency import proof_check
from tests.api.helpers import candidate_body, make_token, make_vacancy
from tests.conftest import wait_for
from tests.factories import ControllerFactory, EngagementFactory, SubjectFactory, VacancyFactory
from tests.staff.helpers import confirmed_action

pytestmark = pytest.mark.real_services


def _text(message) -> str:
    return next(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
                for p in message.walk() if p.get_content_type() == "text/plain")


def _told(mailbox, email: str, subject_id, client, *, subject_words: str = "is deleted") -> tuple[str, dict]:
    """The one deletion notice that reached the SMTP server for this address: its certificate is attached,
    signed by us, about this person, and its /verify/ link says it is valid. Returns (body, payload)."""
    message = wait_for(lambda: next((m for m in mailbox if m["X-Envelope-To"] == email
                                     and subject_words in m["Subject"]), None), timeout=60)
    certificate = DeletionCertificate.objects.get(subject_id=subject_id)
    (attachment,) = [p for p in message.walk() if p.get_filename() == f"deletion-certificate-{certificate.pk}.jws"]
    signed = attachment.get_payload(decode=True).decode()
    check = proof_check(token=signed)
    assert check.valid and check.kind == "deletion-certificate"
    assert check.payload["subject_id"] == str(subject_id) and check.payload["notice"] == "email"
    body = _text(message)
    link = next(word for word in body.split() if "/verify/?certificate=" in word)
    assert link.endswith(str(certificate.pk))
    page = client.get(link.split("127.0.0.1:8000", 1)[-1] if "127.0.0.1:8000" in link else
                      link[link.index("/verify/"):]).content.decode()
    assert "Valid deletion certificate" in page and str(certificate.pk) in page
    # Exactly once, and nothing of the address is left behind.
    wait_for(lambda: not ErasureNotice.objects.filter(subject_id=subject_id).exists(), timeout=10)
    assert [m["X-Envelope-To"] for m in mailbox if subject_words in m["Subject"]].count(email) == 1
    sent = AuditEvent.objects.get(verb="notification.sent", detail__template="erasure_done",
                                  target=str(subject_id))
    assert sent.detail["certificate"] == str(certificate.pk) and email not in str(sent.detail)
    return body, check.payload


def test_staff_completing_a_service_in_the_admin(celery_worker, mailbox, admin_client, client):
    engagement = EngagementFactory()
    email = PersonalRecord.objects.get(subject=engagement.subject).email
    response = confirmed_action(admin_client, "/admin/subjects/serviceengagement/", {
        "action": "complete_selected", "_selected_action": [str(engagement.pk)]})
    assert "Completed; 1 erasure(s) queued." in response.content.decode()
    body, payload = _told(mailbox, email, engagement.subject_id, client)
    assert payload["reason"] == "service-complete"
    assert "The service you gave us your data for has ended" in body


def test_the_client_company_ending_the_service_through_the_api_in_swahili(celery_worker, mailbox, client,
                                                                          demo_purposes):
    controller = ControllerFactory(name="Safari Telecom Ltd")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token(controller)}"}
    handed = client.post("/api/v1/candidates", candidate_body(make_vacancy(controller), n=61, language="sw"),
                         content_type="application/json", **auth)
    assert handed.status_code == 201, handed.content
    public_id, engagement_id = handed.json()["public_id"], handed.json()["engagement"]["id"]
    wait_for(lambda: any(m["X-Envelope-To"] == "achieng61@example.org" for m in mailbox), timeout=30)
    done = client.post(f"/api/v1/engagements/{engagement_id}/complete", {}, content_type="application/json", **auth)
    assert done.status_code == 202, done.content
    body, payload = _told(mailbox, "achieng61@example.org", public_id, client, subject_words="imefutwa")
    assert payload["reason"] == "service-complete"
    assert "Huduma uliyotupatia data yako kwa ajili yake imekwisha" in body


def test_a_vacancy_closing(celery_worker, mailbox, client):
    vacancy = VacancyFactory()
    person = SubjectFactory(email="mwangi.closing@example.org")
    services.engagement_open(subject=person, actor=Actor.system("test"), service="recruitment", vacancy=vacancy)
    services.vacancy_close(vacancy=vacancy, actor=Actor.system("admin-test"))
    _, payload = _told(mailbox, "mwangi.closing@example.org", person.pk, client)
    assert payload["reason"] == "service-complete"


def test_an_answered_enquiry_after_the_answer(celery_worker, mailbox, client, django_user_model, staff_roles):
    subject = SubjectFactory(email="jabali.enquiry@example.org")
    services.engagement_open(subject=subject, actor=Actor.system("test"), service="enquiry")
    enquiry = services.enquiry_add(subject=subject, actor=Actor.system("test"), message="Do you hire in Mombasa?")
    user = django_user_model.objects.create_user("recruiter-1", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="recruiter"))
    enquiry_answer(enquiry=enquiry, staff_user=user, body="Yes, we do.")
    _told(mailbox, "jabali.enquiry@example.org", subject.pk, client)
    # The answer reached the person before the notice that their data is gone.
    order = [m["Subject"] for m in mailbox if m["X-Envelope-To"] == "jabali.enquiry@example.org"]
    assert len(order) == 2 and "is deleted" in order[1]


def test_the_retention_sweep(celery_worker, mailbox, client):
    idle = EngagementFactory()
    email = PersonalRecord.objects.get(subject=idle.subject).email
    now = timezone.now()  # the worker runs with the default periods: 90 days, told 14 days before
    ServiceEngagement.objects.filter(pk=idle.pk).update(last_activity_at=now - timedelta(days=91),
                                                        retention_notice_at=now - timedelta(days=15))
    enforce_retention_task.delay()
    body, payload = _told(mailbox, email, idle.subject_id, client)
    assert payload["reason"] == "retention"
    assert "had not been used for as long as our privacy policy allows" in body


def _settled(measure, quiet: float = 3.0, timeout: float = 90.0) -> None:
    """Wait until measure() has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = measure(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = measure()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
    pytest.fail("still changing")


def test_a_worker_killed_mid_batch_still_tells_everyone_exactly_once(celery_worker, mailbox):
    engagements = [EngagementFactory() for _ in range(80)]
    emails = sorted(r.email for r in PersonalRecord.objects.filter(subject__in=[e.subject_id for e in engagements]))
    with transaction.atomic():  # all at once, as one admin action does
        for engagement in engagements:
            services.engagement_complete(engagement=engagement, actor=Actor.system("test"))
    wait_for(lambda: DeletionCertificate.objects.count() >= 5, timeout=30, interval=0.01)
    celery_worker.kill()  # SIGKILL, as the OOM killer would: mid-erasure, mid-send, or both
    assert DeletionCertificate.objects.count() < len(engagements), "the batch finished before the kill"

    celery_worker.start()
    services.erasure_jobs_redrive(older_than=timedelta(0), published_for=timedelta(0), running_for=timedelta(0))
    wait_for(lambda: not ErasureJob.objects.exclude(state=ErasureJob.State.DONE).exists(), timeout=90)
    # The live worker sends what it was given; what the dead one held (claimed, reserved, or waiting for a release
    # it never made) stays until beat's sweep, which runs here once its cut-offs have passed.
    _settled(lambda: (ErasureNotice.objects.count(), len(mailbox)))
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        erasure_notices_redrive()
    wait_for(lambda: not ErasureNotice.objects.exists(), timeout=60, interval=0.5)
    told = sorted(m["X-Envelope-To"] for m in mailbox if "is deleted" in m["Subject"])
    assert told == emails  # everyone, once
