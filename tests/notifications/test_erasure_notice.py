"""After "delete everything" the person gets one email confirming it, with the certificate's id and the
signed certificate; the address for it outlives the erasure only in that message's sealed row, under a
key of its own that lives in the cache, and goes when the message is sent, fails or expires. The
erasure never waits for the mail server."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.notifications.erasure_notices import erasure_notices_redrive
from apps.notifications.models import ErasureNotice, Notification
from apps.subjects.models import DataSubject
from apps.vault.models import DeletionCertificate
from tests.selfservice.helpers import apply_for_link, step_up

pytestmark = pytest.mark.django_db(transaction=True)


def _delete_everything(client, mailoutbox, demo_purposes) -> tuple[str, str]:
    link = apply_for_link(client, mailoutbox)
    step_up(client, mailoutbox, link)
    mailoutbox.clear()
    body = client.post(link + "delete/", {"confirm": "yes"}).content.decode()
    certificate_id = re.search(r'id="certificate-id">([0-9a-f-]{36})<', body).group(1)
    return link, certificate_id


def test_the_person_gets_one_email_with_the_certificate_and_the_address_is_gone(client, mailoutbox, demo_purposes):
    link, certificate_id = _delete_everything(client, mailoutbox, demo_purposes)

    (message,) = mailoutbox
    assert message.to == ["amani.wekesa@example.org"]
    assert message.subject.endswith("is deleted")
    assert f"Deletion certificate: {certificate_id}" in message.body
    assert f"/certificates/{certificate_id}.jws" in message.body and "/verify/" in message.body
    (name, content, mimetype), = message.attachments
    certificate = DeletionCertificate.objects.get(pk=certificate_id)
    assert name == f"deletion-certificate-{certificate_id}.jws" and content == certificate.signed
    # Nothing of the address is left: no row, no key, no notification of the person's.
    assert ErasureNotice.objects.count() == 0
    assert Notification.objects.count() == 0
    sent = AuditEvent.objects.filter(verb="notification.sent", detail__template="erasure_done").get()
    assert cache.get(f"erasure-notice-key:{sent.detail['erasure_notice']}") is None
    assert str(sent.target) == str(certificate.subject_id) and "amani" not in str(sent.detail)


def test_a_mail_server_that_refuses_delays_nothing_and_the_address_expires(client, mailoutbox, demo_purposes,
                                                                            smtp_server, settings):
    link = apply_for_link(client, mailoutbox)
    step_up(client, mailoutbox, link)
    collector, port = smtp_server
    collector.messages.clear()
    collector.before_accept = lambda msg: "451 4.3.0 Try again later"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    body = client.post(link + "delete/", {"confirm": "yes"}).content.decode()
    certificate_id = re.search(r'id="certificate-id">([0-9a-f-]{36})<', body).group(1)
    mailbox = collector.messages
    # The erasure is done and certified, whatever the mail server says.
    assert DataSubject.objects.get(pk=DeletionCertificate.objects.get(pk=certificate_id).subject_id).is_erased
    notice = ErasureNotice.objects.get()
    assert notice.state == ErasureNotice.State.PENDING and notice.attempts == 1
    assert b"amani" not in bytes(notice.sealed_recipient)  # sealed
    assert mailbox == []

    # The server keeps refusing: past its expiry the row and its key are gone, sent or not.
    with time_machine.travel(timezone.now() + timedelta(hours=settings.ERASURE_NOTICE_HOURS, minutes=1)):
        erasure_notices_redrive()
    assert ErasureNotice.objects.count() == 0
    assert mailbox == []
    collector.before_accept = None


def test_a_lost_key_means_no_message_and_no_address(client, mailoutbox, demo_purposes, settings, monkeypatch):
    from apps.notifications import tasks

    monkeypatch.setattr(tasks.erasure_notice_send_task, "delay", lambda *a: None)  # the broker is slow
    link, certificate_id = _delete_everything(client, mailoutbox, demo_purposes)
    notice = ErasureNotice.objects.get()
    cache.delete(f"erasure-notice-key:{notice.pk}")  # a cache restart, or the time-to-live passed
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        erasure_notices_redrive()
    assert ErasureNotice.objects.count() == 0 and mailoutbox == []
    assert AuditEvent.objects.filter(verb="notification.failed", detail__error="KeyExpired").exists()


@pytest.mark.real_services
def test_through_the_worker_the_key_crosses_processes_only_through_redis(celery_worker, mailbox, demo_purposes):
    """The web process seals and erases; the worker process opens and sends; then nothing is left."""
    from apps.selfservice.services import subject_delete_now
    from apps.subjects.models import PersonalRecord
    from tests.conftest import wait_for
    from tests.factories import EngagementFactory

    subject = EngagementFactory().subject
    email = PersonalRecord.objects.get(subject=subject).email
    outcome = subject_delete_now(subject=subject, language="sw")
    assert outcome.certificate is not None
    message = wait_for(lambda: next((m for m in mailbox if "imefutwa" in m["Subject"]), None), timeout=30)
    assert message["X-Envelope-To"] == email
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert str(outcome.certificate.pk) in body
    assert any(p.get_filename() == f"deletion-certificate-{outcome.certificate.pk}.jws" for p in message.walk())
    wait_for(lambda: not ErasureNotice.objects.exists(), timeout=10)
    sent = AuditEvent.objects.filter(verb="notification.sent", detail__template="erasure_done").get()
    assert cache.get(f"erasure-notice-key:{sent.detail['erasure_notice']}") is None  # gone from Redis too


# --- every ending, not only "delete everything" ------------------------------------------------------
def _erase(subject, reason="service-complete"):
    from apps.audit.services import Actor
    from apps.subjects import services

    services.erasures_request(subject_ids=[subject.pk], reason=reason, actor=Actor.system("test"))
    return DeletionCertificate.objects.get(subject_id=subject.pk)


def test_someone_we_hold_only_a_number_for_gets_a_short_sms_with_the_verify_link(sms_outbox, mailoutbox):
    from apps.subjects.models import PersonalRecord
    from tests.factories import SubjectFactory

    subject = SubjectFactory()
    record = PersonalRecord.objects.get(subject=subject)
    record.email = ""
    record.save(update_fields=["email"])
    number = record.mobile.as_e164
    certificate = _erase(subject)

    assert certificate.notice == "sms" and mailoutbox == []
    (sms,) = sms_outbox
    assert sms.to == number and f"/verify/?certificate={certificate.pk}" in sms.text
    assert len(sms.text) <= 160 * 2  # two segments at most
    assert ErasureNotice.objects.count() == 0


def test_a_cache_that_refuses_the_key_never_holds_the_erasure_and_the_certificate_says_so(client, mailoutbox,
                                                                                         monkeypatch):
    from tests.factories import SubjectFactory

    subject = SubjectFactory()

    def refuse(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set_many", refuse)
    certificate = _erase(subject)
    assert DataSubject.objects.get(pk=subject.pk).is_erased
    assert certificate.notice == "undeliverable"
    from apps.vault.transparency import proof_check
    assert proof_check(token=certificate.signed).payload["notice"] == "undeliverable"
    page = client.get(f"/verify/?certificate={certificate.pk}").content.decode()
    assert "so they were not sent this certificate" in page
    assert ErasureNotice.objects.count() == 0 and mailoutbox == []


def test_a_rerun_erasure_seals_no_second_notice_and_a_resent_one_is_not_sent_twice(mailoutbox, monkeypatch):
    from apps.notifications import erasure_notices, tasks
    from tests.factories import SubjectFactory

    subject = SubjectFactory()
    assert erasure_notices.erasure_notices_prepare([subject.pk]) == {subject.pk: "email"}
    assert erasure_notices.erasure_notices_prepare([subject.pk]) == {subject.pk: "email"}  # a retried run
    assert ErasureNotice.objects.count() == 1
    monkeypatch.setattr(tasks.erasure_notice_send_task, "delay", lambda *a: None)  # the broker is slow
    certificate = _erase(subject)
    notice = ErasureNotice.objects.get()
    assert notice.state == ErasureNotice.State.PENDING and notice.certificate_id == certificate.pk
    # The provider took it, then the worker died before the row went: the sweep hands it on again.
    assert erasure_notices.erasure_notice_send(notice_id=notice.pk)
    assert len(mailoutbox) == 1
    ErasureNotice.objects.create(id=notice.pk, subject_id=subject.pk, certificate_id=certificate.pk,
                                 state=ErasureNotice.State.PENDING, sealed_recipient=notice.sealed_recipient,
                                 expires_at=notice.expires_at)
    assert not erasure_notices.erasure_notice_send(notice_id=notice.pk)
    assert len(mailoutbox) == 1 and ErasureNotice.objects.count() == 0


def test_the_verify_link_checks_the_certificate_we_hold(client, mailoutbox):
    from tests.factories import SubjectFactory

    certificate = _erase(SubjectFactory())
    page = client.get(f"/verify/?certificate={certificate.pk}").content.decode()
    assert "Valid deletion certificate" in page and str(certificate.pk) in page
    assert "we prepared an email to the person with this certificate" in page
    assert "Not valid" in client.get("/verify/?certificate=00000000-0000-0000-0000-000000000000").content.decode()
    assert "Not valid" in client.get("/verify/?certificate=nonsense").content.decode()
