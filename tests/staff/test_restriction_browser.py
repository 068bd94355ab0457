"""As staff do it, in Chromium against the live server, with the real sign-in (password and TOTP code), a real
Celery worker on Redis and a real SMTP server: the privacy officer restricts a person's processing and lifts it;
a recruiter answers an enquiry, which closes it and erases the person once the answer has gone."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import DataSubject, ErasureJob, ServiceEngagement
from apps.vault.models import DeletionCertificate
from tests.conftest import wait_for
from tests.factories import EngagementFactory, SubjectFactory
from tests.staff.helpers import current_code

pytestmark = pytest.mark.real_services
PASSWORD = "a long staff password 42"


def _sign_in(page, django_user_model, username: str, role: str) -> None:
    user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="People", exact=True)).to_be_visible()


def _find(page, email: str, subject: DataSubject) -> None:
    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_label("Find a person").fill(email)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=str(subject.pk)[:8], exact=True).click()


def _addressed_to(mailbox, address: str) -> list:
    return [m for m in mailbox if address in m["To"]]


def test_the_officer_restricts_processing_and_lifts_it(page, live_server, celery_worker, staff_roles,
                                                       django_user_model, mailbox):
    subject = SubjectFactory(full_name="Akinyi Otieno", email="akinyi@example.org")
    EngagementFactory(subject=subject, reference="REQ-310")
    _sign_in(page, django_user_model, "wairimu", "privacy officer")
    _find(page, "akinyi@example.org", subject)

    page.get_by_label("Ground (Data Protection Act, s.34(1))").select_option("accuracy-contested")
    page.get_by_role("button", name="Restrict processing").click()
    expect(page.get_by_text("Processing is restricted: the data is only stored")).to_be_visible()
    expect(page.get_by_text("Restricted since")).to_be_visible()
    told = wait_for(lambda: _addressed_to(mailbox, "akinyi@example.org"), timeout=30)
    assert "restricted the use of your data" in told[0]["Subject"]

    # Completing the service would erase the person: while restricted it stays open.
    page.goto("/admin/subjects/serviceengagement/")
    page.get_by_role("row", name="REQ-310").get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option("complete_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 service(s) left open: processing of the person's data is restricted.")).to_be_visible()
    assert ServiceEngagement.objects.get(subject=subject).is_open

    page.goto(f"/admin/subjects/datasubject/{subject.pk}/change/")
    page.get_by_label("Why is the restriction lifted?").select_option("accuracy-settled")
    page.get_by_role("button", name="Lift the restriction").click()
    expect(page.get_by_text("The restriction is lifted. The person has been told.")).to_be_visible()
    wait_for(lambda: len(_addressed_to(mailbox, "akinyi@example.org")) == 2, timeout=30)
    assert not DataSubject.objects.get(pk=subject.pk).is_restricted
    verbs = list(AuditEvent.objects.filter(target=str(subject.pk), verb__startswith="subject.restrict")
                 .values_list("verb", flat=True))
    assert verbs == ["subject.restricted", "subject.restriction_lifted"]
    assert page.console_errors == [] and page.foreign_requests == []


def test_a_recruiter_answers_an_enquiry_and_the_person_is_erased_after_the_answer_goes(
        page, live_server, celery_worker, staff_roles, django_user_model, mailbox):
    subject = SubjectFactory(full_name="Otieno Baraza", email="otieno@example.org")
    services.engagement_open(subject=subject, actor=Actor.system("test"), service="enquiry")
    services.enquiry_add(subject=subject, actor=Actor.system("test"), message="Do you recruit nurses in Kisumu?")
    _sign_in(page, django_user_model, "chebet", "recruiter")
    _find(page, "otieno@example.org", subject)

    page.get_by_role("link", name="Enquiry sent").click()
    page.get_by_label("Why do you need to see it?").select_option("enquiry")
    page.get_by_role("button", name="Read the message").click()
    expect(page.get_by_text("Do you recruit nurses in Kisumu?")).to_be_visible()
    page.get_by_label("Your answer").fill("Yes: we are recruiting nurses for two hospitals in Kisumu.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Your answer is on its way and the enquiry is closed")).to_be_visible()

    answer = wait_for(lambda: _addressed_to(mailbox, "otieno@example.org"), timeout=30)[0]
    assert "two hospitals in Kisumu" in answer.get_payload(0).get_payload(decode=True).decode()
    certificate = wait_for(lambda: DeletionCertificate.objects.filter(subject_id=subject.pk).first(), timeout=30)
    assert certificate.reason == "service-complete"
    answered = AuditEvent.objects.get(verb="enquiry.answered", target=str(subject.pk))
    # The answer's send is the first (the deletion notice follows the erasure, with its certificate).
    sent = AuditEvent.objects.filter(verb="notification.sent", target=str(subject.pk)).order_by("at").first()
    erased = AuditEvent.objects.get(verb="subject.erased", target=str(subject.pk))
    assert answered.at <= sent.at <= erased.at  # the answer went before the key was destroyed
    page.reload()
    expect(page.get_by_text("Erased", exact=True).first).to_be_visible()
    assert page.console_errors == [] and page.foreign_requests == []


def test_an_erasure_queued_before_the_restriction_waits_and_runs_once_the_person_is_told_it_is_lifted(
        page, live_server, celery_worker, staff_roles, django_user_model, mailbox):
    """The job was written but not yet run (a broker backlog) when the officer restricted processing on a legal
    claim: the worker runs it and erases nothing; lifting the restriction emails the person, then erases them."""
    subject = SubjectFactory(full_name="Baraka Mwangi", email="baraka@example.org")
    job = ErasureJob.objects.create(subject=subject, reason="service-complete")  # written, not yet published
    _sign_in(page, django_user_model, "nyambura", "privacy officer")
    _find(page, "baraka@example.org", subject)
    page.get_by_label("Ground (Data Protection Act, s.34(1))").select_option("legal-claim")
    page.get_by_role("button", name="Restrict processing").click()
    expect(page.get_by_text("Processing is restricted: the data is only stored")).to_be_visible()

    assert services.erasure_jobs_redrive(older_than=timedelta(0)) == 1  # the backlog clears: the worker runs it
    wait_for(lambda: ErasureJob.objects.get(pk=job.pk).state == "restricted", timeout=30)
    assert not DataSubject.objects.get(pk=subject.pk).is_erased

    page.get_by_label("Why is the restriction lifted?").select_option("claim-ended")
    page.get_by_role("button", name="Lift the restriction").click()
    expect(page.get_by_text("The restriction is lifted. The person has been told.")).to_be_visible()
    certificate = wait_for(lambda: DeletionCertificate.objects.filter(subject_id=subject.pk).first(), timeout=60)
    assert certificate.reason == "service-complete"
    told = _addressed_to(mailbox, "baraka@example.org")
    assert any("lifted" in m["Subject"] for m in told)  # sent before the key went
