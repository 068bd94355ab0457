"""Flows 1 and 2 of DESIGN.md through the real parts: Chromium, the live server, a Celery worker
process on Redis, the SMTP server, and (in CI) PostgreSQL."""

import json
import re
import uuid
import zipfile
from email.message import Message
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.consent.models import ConsentRecord, Purpose, Submission
from apps.consent.services import CollectionContext, consent_withdraw
from apps.notifications.models import Notification
from apps.recruitment.intake import submission_receive
from apps.selfservice.models import StepUpCode
from apps.subjects.links import link_url
from apps.subjects.models import (
    DataSubject,
    Enquiry,
    IdentityDocument,
    PersonalRecord,
    ServiceEngagement,
    SubjectLookup,
)
from apps.vault.models import DataKey, DeletionCertificate
from apps.vault.transparency import tree_head_publish
from tests.conftest import wait_for
from tests.consent.helpers import fill_application, type_the_emailed_code
from tests.factories import PDF_BYTES, VacancyFactory

pytestmark = pytest.mark.real_services


def _body(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def _mail_to(mailbox: list[Message], address: str, subject_contains: str = "") -> Message:
    return wait_for(lambda: next((m for m in mailbox if address in m["X-Envelope-To"]
                                  and subject_contains in m["Subject"]), None), timeout=30)


def test_apply_confirm_view_correct_export_withdraw_and_delete(page, live_server, celery_worker, mailbox,
                                                              settings, demo_purposes, tmp_path):
    settings.SITE_URL = live_server.url
    settings.SMS_BACKEND = "apps.notifications.backends.ConsoleSmsBackend"
    scan = tmp_path / "id-scan.pdf"
    scan.write_bytes(PDF_BYTES)

    # Flow 1: the visitor reads the purposes, ticks consent, fills the form and uploads an ID scan.
    page.goto("/apply/")
    expect(page.get_by_text("Before you start: what happens to your information")).to_be_visible()
    page.get_by_label("The job you are applying for").select_option(index=1)
    fill_application(page, scan=scan, mobile="0712 345 678")
    page.get_by_label("Your work experience (optional)").fill("Five years as a stores clerk.")
    page.get_by_label("I agree: News about new jobs").check()
    page.get_by_role("button", name="Send my application").click()
    type_the_emailed_code(page, mailbox, "wanjiru@example.org")
    expect(page.get_by_role("heading", name="Thank you — we have received it")).to_be_visible()

    subject = DataSubject.objects.get()
    assert ConsentRecord.objects.filter(subject=subject).count() == 3
    confirmation = _mail_to(mailbox, "wanjiru@example.org", "holds about you")
    link = re.search(r"https?://\S+/me/\S+/", _body(confirmation)).group(0)
    assert any(p.get_content_type() == "text/html" for p in confirmation.walk())
    mailbox.clear()  # the form's own code is used up: the next code is the step-up's

    # Flow 2: the person follows the link, steps up with a code, sees and corrects the data.
    page.goto(link)
    expect(page.get_by_role("heading", name="The data we hold about you")).to_be_visible()
    assert "Wanjiru Kamau" not in page.content()
    page.get_by_role("link", name="Show my data in full").click()
    page.get_by_role("button", name="Send me a code").click()
    code_mail = _mail_to(mailbox, "wanjiru@example.org", "code")
    code = re.search(r"\b(\d{6})\b", _body(code_mail)).group(1)
    assert code not in code_mail["Subject"]  # a phone's lock screen shows subjects
    page.get_by_label("6-digit code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("4 more tries, then ask for a new code").first).to_be_visible()
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.console_errors.clear()  # the wrong code's 400 is the page's honest answer, not a script error
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Continue").click()
    assert page.locator("#v-full_name").inner_text() == "Wanjiru Kamau"
    assert "P.O. Box 1-00100" in page.locator("#v-address").inner_text()

    page.get_by_role("link", name="Correct my data").click()
    # Every field the person gave is on the page, their work experience too, and saving keeps it.
    expect(page.get_by_label("Your work experience (optional)")).to_have_value("Five years as a stores clerk.")
    page.get_by_label("Postal or physical address").fill("Plot 12, Kenyatta Avenue, Nakuru")
    page.get_by_role("button", name="Save my changes").click()
    expect(page.get_by_text("Your changes are saved.")).to_be_visible()
    corrected = PersonalRecord.objects.get(subject=subject)
    assert corrected.address == "Plot 12, Kenyatta Avenue, Nakuru"
    assert corrected.experience == "Five years as a stores clerk."

    # The export is a ZIP the person can open: a page to read, their files, their receipts, the JSON.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").first.click()
    assert download_info.value.suggested_filename == "my-data.zip"
    with zipfile.ZipFile(download_info.value.path()) as archive:
        archive.extractall(tmp_path / "export")
    folder = tmp_path / "export" / "my-data"
    export = json.loads((folder / "my-data.json").read_text())["data"]
    assert export["record"]["rows"][0]["address"] == "Plot 12, Kenyatta Avenue, Nakuru"
    assert (folder / export["documents"]["rows"][0]["file"]).read_bytes() == PDF_BYTES  # the scan sent, as a file
    reader = page.context.new_page()
    reader.goto((folder / "my-data.html").as_uri())
    expect(reader.get_by_role("heading", name="Your data at Jamii Talent Ltd")).to_be_visible()
    expect(reader.get_by_text("Plot 12, Kenyatta Avenue, Nakuru")).to_be_visible()
    expect(reader.get_by_text("Five years as a stores clerk.")).to_be_visible()
    expect(reader.get_by_text("you gave your consent to “News about new jobs”")).to_be_visible()
    href = reader.get_by_role("link", name="ID document").get_attribute("href")
    assert (folder / href).read_bytes() == PDF_BYTES  # the page links the file next to it
    reader.close()

    page.get_by_role("button", name="Withdraw consent: News about new jobs").click()
    expect(page.get_by_text("Your consent is withdrawn: News about new jobs.")).to_be_visible()
    assert ConsentRecord.objects.filter(subject=subject, purpose__slug="marketing").latest("created_at").action \
        == "withdrawn"

    stored = [Path(settings.MEDIA_ROOT) / name
              for name in IdentityDocument.objects.filter(subject=subject).values_list("stored_name", flat=True)]
    assert stored and all(p.exists() for p in stored)
    page.get_by_role("link", name="Delete all my data now").click()
    page.get_by_role("button", name="Yes, delete everything").click()
    expect(page.locator("#certificate-id")).to_be_visible()  # the page has answered: now read the database
    certificate = DeletionCertificate.objects.get(subject_id=subject.pk)
    assert page.locator("#certificate-id").inner_text() == str(certificate.pk)
    assert set(ServiceEngagement.objects.filter(subject=subject).values_list("status", flat=True)) == {
        ServiceEngagement.Status.ENDED_BY_SUBJECT}  # the service ended with the deletion

    # The person keeps the signed certificate and checks it: genuine, and in the public log.
    with page.expect_download() as certificate_download:
        page.locator("#certificate-download").click()
    signed = Path(certificate_download.value.path()).read_text()
    assert signed == certificate.signed
    tree_head_publish()  # what beat does at least hourly
    page.goto("/verify/")
    page.get_by_label("Paste the receipt or certificate").fill(signed)
    page.get_by_role("button", name="Check it").click()
    expect(page.get_by_role("heading", name="Valid deletion certificate")).to_be_visible()
    expect(page.locator("#verify-included")).to_contain_text("It is in our public log")

    page.goto(link)
    expect(page.get_by_role("heading", name="The data behind this link has been deleted")).to_be_visible()
    # The only console message is the browser noting the 410 status of that page.
    assert [e for e in page.console_errors if "410 (Gone)" not in e] == []
    assert page.foreign_requests == []

    # Nothing of that person is left but the certificate and the receipts' non-personal fields.
    for model in [PersonalRecord, IdentityDocument, SubjectLookup, Enquiry, Notification, StepUpCode, Submission]:
        assert not model.objects.filter(subject_id=subject.pk).exists(), model.__name__
    assert not DataKey.objects.filter(subject_id=subject.pk).exists()
    assert not any(p.exists() for p in stored)
    # Celery may still be delivering the queued confirmations: they find no row and do nothing.


def test_the_browser_shows_clear_errors_and_nothing_is_stored(page, demo_purposes, tmp_path):
    disguised = tmp_path / "cv.pdf"
    disguised.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 256)  # a Windows executable
    page.goto("/apply/")
    page.get_by_label("The job you are applying for").select_option(index=1)
    page.get_by_label("Full name").fill("Kipchoge Rono")
    page.get_by_label("Date of birth").fill("01/11/1990")
    page.get_by_label("Email address").fill("kipchoge@example.org")
    page.get_by_label("Mobile number").fill("0712 345 678")
    page.get_by_label("Postal or physical address").fill("Eldoret")
    page.get_by_label("ID number").fill("22334455")
    page.get_by_label("Scan or photo of your ID").set_input_files(str(disguised))
    page.get_by_label("I agree: Recruitment").check()  # but not the sharing consent
    page.get_by_role("button", name="Send my application").click()

    expect(page.locator("#id_id_document_error").get_by_text("This file is not a PDF, JPEG or PNG.")).to_be_visible()
    expect(page.get_by_role("alert").get_by_role("link", name="Scan or photo of your ID: This file is not a PDF")
           ).to_have_attribute("href", "#id_id_document")  # the error summary links to it too
    assert page.locator("#id_consent_share-with-employer_error").inner_text().startswith(
        "We cannot process this form without this consent")
    assert page.get_by_label("Full name").input_value() == "Kipchoge Rono"  # what was typed is kept
    assert DataSubject.objects.count() == 0 and ConsentRecord.objects.count() == 0

    response = page.goto("/me/eyJzIjoiMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAiLCJ2IjoxfQ:1xWE:forged/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()


def test_a_new_mobile_number_ends_the_link_and_a_new_one_comes_by_email(page, live_server, celery_worker, mailbox,
                                                                        settings, demo_purposes):
    """Correcting the mobile number in the browser: the page says so, the link used stops working, the worker
    sends a new link to the email address on file (SMTP) and a notice to the old number; giving a withdrawn
    consent again asks for a code first."""
    settings.SITE_URL = live_server.url
    settings.SMS_BACKEND = "apps.notifications.backends.ConsoleSmsBackend"
    subject = submission_receive(
        key=uuid.uuid4(), kind="apply", data={"full_name": "Wanjiru Kamau", "email": "wanjiru@example.org",
                                              "mobile": "+254712345678", "address": "", "referees": []},
        purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer", "marketing"])),
        context=CollectionContext(collection_point="apply-form", form_version="t", source="web-form"),
        vacancy=VacancyFactory()).submission.subject
    consent_withdraw(subject=subject, purpose=Purpose.objects.get(slug="marketing"),
                     context=CollectionContext(collection_point="self-service", form_version="t", source="web-form"))
    link = link_url(subject)

    page.goto(link)
    page.get_by_role("link", name="Give consent again: News about new jobs").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()  # a forwarded link is not enough
    page.get_by_role("button", name="Send me a code").click()
    code = re.search(r"\b(\d{6})\b", _body(_mail_to(mailbox, "wanjiru@example.org", "code"))).group(1)
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Continue").click()

    page.goto(link + "correct/")
    page.get_by_label("Mobile number").fill("0700 111 222")
    page.get_by_role("button", name="Save my changes").click()
    expect(page.get_by_role("heading", name="Your mobile number is changed")).to_be_visible()
    assert PersonalRecord.objects.get(subject=subject).mobile.as_e164 == "+254700111222"

    page.goto(link)
    expect(page.get_by_role("heading", name="This link has been replaced")).to_be_visible()
    new_link = re.search(r"https?://\S+/me/\S+/", _body(_mail_to(mailbox, "wanjiru@example.org", "new private link"))
                         ).group(0)
    page.goto(new_link)
    expect(page.get_by_role("heading", name="The data we hold about you")).to_be_visible()
    told = wait_for(lambda: Notification.objects.filter(template="mobile_changed_notice", status="sent").first(),
                    timeout=30)
    assert told.recipient == "+254712345678"
