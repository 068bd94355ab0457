"""A form from the website creates nothing about a person until the owner of its email address proves it.
Real parts: Chromium, the live server, a Celery worker on Redis, the SMTP server and PostgreSQL."""

import re
from email.message import Message

import pytest
from playwright.sync_api import expect

from apps.consent.models import ConsentRecord, Submission
from apps.notifications.models import Notification
from apps.recruitment.intake import intakes_expire
from apps.recruitment.models import PendingSubmission
from apps.subjects.models import DataSubject, PersonalRecord, ServiceEngagement
from apps.vault.models import DataKey
from tests.conftest import wait_for
from tests.consent.helpers import fill_application
from tests.factories import PDF_BYTES, VacancyFactory

pytestmark = pytest.mark.real_services


def _body(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def _mail(mailbox: list[Message], to: str, subject_contains: str) -> Message:
    return wait_for(lambda: next((m for m in mailbox if to in m["X-Envelope-To"].lower()
                                  and subject_contains in m["Subject"]), None), timeout=30)


def _apply_in_browser(page, vacancy, *, email: str, scan) -> None:
    page.goto(f"/apply/?vacancy={vacancy.pk}")
    fill_application(page, scan=scan, email=email)
    page.get_by_role("button", name="Send my application").click()


@pytest.fixture
def parts(page, live_server, celery_worker, mailbox, settings, demo_purposes, tmp_path):
    settings.SITE_URL = live_server.url
    settings.SMS_BACKEND = "apps.notifications.backends.ConsoleSmsBackend"
    scan = tmp_path / "id-scan.pdf"
    scan.write_bytes(PDF_BYTES)
    return page, mailbox, scan


def test_a_visitor_applies_types_the_emailed_code_and_sees_the_confirmation(parts):
    page, mailbox, scan = parts
    vacancy = VacancyFactory()
    _apply_in_browser(page, vacancy, email="Wanjiru@Example.org", scan=scan)
    expect(page.get_by_role("heading", name="One more step: type the code we emailed you")).to_be_visible()
    # Nothing about the person exists yet: one sealed form, one email, no SMS to anyone.
    assert PendingSubmission.objects.count() == 1 and not DataSubject.objects.exists()
    assert not ConsentRecord.objects.exists() and not Notification.objects.filter(channel="sms").exists()
    coded = _mail(mailbox, "wanjiru@example.org", "Confirm your application")
    code = re.search(r"^\s+(\d{6})\s*$", _body(coded), re.M).group(1)
    assert code not in coded["Subject"]  # lock screens show subjects

    page.get_by_label("The 6-digit code from the email").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert").get_by_role("link", name=re.compile("That code is not right"))).to_be_visible()
    page.get_by_label("The 6-digit code from the email").fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Thank you — we have received it")).to_be_visible()

    person = DataSubject.objects.get()
    assert ServiceEngagement.objects.filter(subject=person, vacancy=vacancy, status="open").exists()
    assert PersonalRecord.objects.get(subject=person).legal_id_number == "31234567"
    assert ConsentRecord.objects.filter(subject=person).count() == 2
    assert not PendingSubmission.objects.exists()
    assert not DataKey.objects.exclude(subject_id=person.pk).exists()  # the form's own key is destroyed
    confirmation = _mail(mailbox, "wanjiru@example.org", "holds about you")
    assert "/me/" in _body(confirmation)
    # Only now are the referees told, by SMS, once.
    wait_for(lambda: Notification.objects.filter(template="referee_notice", status="sent").count() == 2)


def test_a_strangers_form_with_someones_email_leaves_nothing_but_a_form_that_expires(parts):
    page, mailbox, scan = parts
    _apply_in_browser(page, VacancyFactory(), email="victim@example.org", scan=scan)
    expect(page.get_by_role("heading", name="One more step: type the code we emailed you")).to_be_visible()
    asked = _mail(mailbox, "victim@example.org", "Confirm your application")
    assert "ignore this message: nothing is stored" in _body(asked)
    # The stranger guesses: five wrong codes and the code stops working (only the emailed link would).
    for _ in range(5):
        page.get_by_label("The 6-digit code from the email").fill("123456")
        page.get_by_role("button", name="Confirm").click()
    page.get_by_label("The 6-digit code from the email").fill("123456")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Too many wrong codes")).to_be_visible()
    assert not DataSubject.objects.exists() and not Submission.objects.exists()
    assert not Notification.objects.filter(channel="sms").exists()  # no referee and no number was messaged
    pending = PendingSubmission.objects.get()
    destroyed, _reminded = intakes_expire(now=pending.expires_at)
    assert destroyed == 1 and not PendingSubmission.objects.exists()
    assert not DataKey.objects.filter(subject_id=pending.pk).exists()
    assert not Notification.objects.exists()


def test_the_emailed_link_confirms_on_another_device_and_works_once(parts, _browser):
    page, mailbox, scan = parts
    _apply_in_browser(page, VacancyFactory(), email="wanjiru@example.org", scan=scan)
    expect(page.get_by_role("heading", name="One more step: type the code we emailed you")).to_be_visible()
    asked = _mail(mailbox, "wanjiru@example.org", "Confirm your application")
    link = re.search(r"https?://\S+/confirm/\S+/", _body(asked)).group(0)
    phone_context = _browser.new_context()  # the person opens the email on their phone: no session
    phone = phone_context.new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Confirm your form")).to_be_visible()
    assert not DataSubject.objects.exists()  # opening the link changes nothing (mail scanners open links)
    phone.get_by_role("button", name="Yes, it was me: confirm").click()
    expect(phone.get_by_role("heading", name="Thank you — we have received it")).to_be_visible()
    assert DataSubject.objects.count() == 1
    phone.goto(link)
    expect(phone.get_by_role("heading", name="This form has been used")).to_be_visible()
    phone_context.close()
