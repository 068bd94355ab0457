"""A form sent with the address of a person we know: the visitor sees the same page as anyone, the person gets
a "was it you?" email at the address we hold, and its link confirms the application. Real parts: Chromium,
the live server, a Celery worker on Redis, the SMTP server and PostgreSQL."""

import re
import uuid
from email.message import Message

import pytest
from playwright.sync_api import expect

from apps.consent.models import ConsentRecord, PendingRequest, Purpose
from apps.consent.services import CollectionContext
from apps.recruitment.intake import submission_receive
from apps.subjects.links import link_url
from apps.subjects.models import PersonalRecord, ServiceEngagement
from tests.conftest import wait_for
from tests.factories import PDF_BYTES, VacancyFactory

pytestmark = pytest.mark.real_services


def _body(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def _mail(mailbox: list[Message], subject_contains: str) -> Message:
    return wait_for(lambda: next((m for m in mailbox if "wanjiru@example.org" in m["X-Envelope-To"]
                                  and subject_contains in m["Subject"]), None), timeout=30)


def _apply_in_browser(page, vacancy, *, mobile: str, scan) -> None:
    """Wanjiru fills in the application form for `vacancy` and sends it."""
    page.goto(f"/apply/?vacancy={vacancy.pk}")
    page.get_by_label("Full name").fill("Wanjiru Kamau")
    page.get_by_label("Email address").fill("Wanjiru@Example.org")
    page.get_by_label("Mobile number").fill(mobile)
    page.get_by_label("Postal or physical address").fill("P.O. Box 1-00100, Nairobi")
    page.get_by_label("Type of ID").select_option("national-id")
    page.get_by_label("ID number").fill("31234567")
    page.get_by_label("Scan or photo of your ID").set_input_files(str(scan))
    for n, (name, phone) in enumerate([("Otieno Ouma", "0722 000 111"), ("Akinyi Adhiambo", "0733 000 222")], 1):
        fieldset = page.get_by_role("group", name="First referee" if n == 1 else "Second referee")
        fieldset.get_by_label("Name").fill(name)
        fieldset.get_by_label("Phone number").fill(phone)
        fieldset.get_by_label("How they know you").fill("Former supervisor")
    page.get_by_label("I agree: Recruitment").check()
    page.get_by_label("I agree: Sharing with the hiring company").check()
    page.get_by_role("button", name="Send my application").click()


def _confirm_from_the_email(page, mailbox: list[Message]) -> str:
    """Opens the "was it you?" email's link and confirms; returns the link."""
    link = re.search(r"https?://\S+/confirm/\S+/", _body(_mail(mailbox, "Did you send a form"))).group(0)
    page.goto(link)
    page.get_by_role("button", name="Yes, it was me: confirm").click()
    expect(page.get_by_role("heading", name="Thank you: it is confirmed")).to_be_visible()
    return link


def test_the_link_in_the_was_it_you_email_confirms_the_application(page, live_server, celery_worker, mailbox,
                                                                   settings, demo_purposes, tmp_path):
    settings.SITE_URL = live_server.url
    settings.SMS_BACKEND = "apps.notifications.backends.ConsoleSmsBackend"
    # Added by staff after a phone call: a name and an email address, nothing else yet.
    person = submission_receive(
        key=uuid.uuid4(), kind="apply", data={"full_name": "Wanjiru Kamau", "email": "wanjiru@example.org",
                                              "mobile": None, "address": "", "referees": []},
        purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"])),
        context=CollectionContext(collection_point="apply-form", form_version="t", source="web-form"),
        vacancy=VacancyFactory(), actor=None).submission.subject
    other = VacancyFactory()
    scan = tmp_path / "id-scan.pdf"
    scan.write_bytes(PDF_BYTES)

    # The mobile number is not the held one (there is none): never added.
    _apply_in_browser(page, other, mobile="0799 000 111", scan=scan)
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert wait_for(lambda: PendingRequest.objects.count() == 1)
    assert ServiceEngagement.objects.filter(subject=person).count() == 1  # nothing applied yet

    asked = _mail(mailbox, "Did you send a form")
    body = _body(asked)
    assert f'apply for "{other.title}"' in body and "ignore this message: nothing changes" in body
    link = re.search(r"https?://\S+/confirm/\S+/", body).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", name="Was it you?")).to_be_visible()
    expect(page.get_by_text(other.title)).to_be_visible()
    page.get_by_role("button", name="Yes, it was me: confirm").click()
    expect(page.get_by_role("heading", name="Thank you: it is confirmed")).to_be_visible()

    assert ServiceEngagement.objects.filter(subject=person).count() == 2
    assert ServiceEngagement.objects.filter(subject=person, vacancy=other, status="open").exists()
    record = PersonalRecord.objects.get(subject=person)
    assert (record.address, record.legal_id_number) == ("P.O. Box 1-00100, Nairobi", "31234567")
    assert record.mobile is None
    assert ConsentRecord.objects.filter(subject=person, consented_at__isnull=False).count() == 2
    confirmation = wait_for(lambda: next((m for m in mailbox if "wanjiru@example.org" in m["X-Envelope-To"]
                                          and f'received your application for "{other.title}"' in _body(m)), None),
                            timeout=30)
    assert "/me/" in _body(confirmation) and "Legal ID type and number" in _body(confirmation)

    # The link works once.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link has been used")).to_be_visible()


def test_a_strangers_number_held_from_a_first_application_is_removed_when_the_owner_confirms(
        page, live_server, celery_worker, mailbox, settings, demo_purposes, tmp_path):
    """Mallory applied first with Wanjiru's email and her own mobile number, and got the private link by SMS.
    Wanjiru applies and confirms from her mailbox: the number goes, and Mallory's link stops working."""
    settings.SITE_URL = live_server.url
    settings.SMS_BACKEND = "apps.notifications.backends.ConsoleSmsBackend"
    person = submission_receive(
        key=uuid.uuid4(), kind="apply", data={"full_name": "Mallory", "email": "wanjiru@example.org",
                                              "mobile": "+254799000111", "address": "", "referees": []},
        purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"])),
        context=CollectionContext(collection_point="apply-form", form_version="t", source="web-form"),
        vacancy=VacancyFactory()).submission.subject
    strangers_link = link_url(person)  # what her SMS carried
    scan = tmp_path / "id-scan.pdf"
    scan.write_bytes(PDF_BYTES)

    _apply_in_browser(page, VacancyFactory(), mobile="0712 000 333", scan=scan)
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    _confirm_from_the_email(page, mailbox)

    assert PersonalRecord.objects.get(subject=person).mobile is None
    confirmation = wait_for(lambda: next((m for m in mailbox if "wanjiru@example.org" in m["X-Envelope-To"]
                                          and "We removed the mobile number we held for you" in _body(m)), None),
                            timeout=30)
    page.goto(strangers_link.removeprefix(settings.SITE_URL))
    expect(page.get_by_role("heading", name="This link has been replaced")).to_be_visible()
    new_link = re.search(r"https?://\S+/me/\S+/", _body(confirmation)).group(0)
    page.goto(new_link.removeprefix(settings.SITE_URL))
    expect(page.get_by_role("heading", name="The data we hold about you")).to_be_visible()
