"""Correcting every field the person gave, in Chromium: the page shows each of them (work experience, the ID
scan and CV we hold included), replacing the ID scan and the CV stores the new files and removes the old ones,
and nothing the page did not send changes. Through the real parts in CI (PostgreSQL, Chromium)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.subjects.models import DataSubject, IdentityDocument, PersonalRecord
from apps.subjects.services import document_read
from tests.factories import JPEG_BYTES, PDF_BYTES
from tests.selfservice.helpers import apply_for_link, step_up

pytestmark = pytest.mark.real_services

OLD_CV = b"%PDF-1.4\n% the old CV\n" + b"clerk " * 30
NEW_CV = b"%PDF-1.4\n% the new CV\n" + b"supervisor " * 30


def _open_correction(page, live_server, client, mailoutbox) -> str:
    link = apply_for_link(client, mailoutbox, experience="Five years as a stores clerk.",
                  cv=SimpleUploadedFile("cv.pdf", OLD_CV, content_type="application/pdf"))
    step_up(client, mailoutbox, link)
    page.context.add_cookies([{"name": c.key, "value": c.value, "url": live_server.url}
                              for c in client.cookies.values()])
    page.goto(link + "correct/")
    return link


def _files(subject) -> dict[str, bytes]:
    return {d.kind: b"".join(document_read(document=d)) for d in IdentityDocument.objects.filter(subject=subject)}


def test_every_field_is_shown_and_replacing_the_scan_and_cv_keeps_everything_else(
        page, live_server, demo_purposes, mailoutbox, client, settings, tmp_path):
    settings.SITE_URL = live_server.url
    link = _open_correction(page, live_server, client, mailoutbox)
    subject = DataSubject.objects.get()
    before = PersonalRecord.objects.get(subject=subject)
    old_stored = list(IdentityDocument.objects.filter(subject=subject).values_list("stored_name", flat=True))
    assert len(old_stored) == 2

    # Every field the person gave is on the page, filled with what we hold; the files we hold are named.
    for label, value in [("Full name", "Amani Wekesa"), ("Email address", "amani.wekesa@example.org"),
                         ("Mobile number", "+254 712 345 678"),
                         ("Postal or physical address", "P.O. Box 100-00200, Ngong Road, Nairobi"),
                         ("ID number", "27654321"),
                         ("Your work experience (optional)", "Five years as a stores clerk.")]:
        expect(page.get_by_label(label)).to_have_value(value)
    expect(page.get_by_label("Type of ID")).to_have_value("national-id")
    for legend, name in [("First referee", "Jane Muthoni"), ("Second referee", "Peter Odhiambo")]:
        expect(page.get_by_role("group", name=legend).get_by_label("Name")).to_have_value(name)
    expect(page.get_by_text("We hold the PDF you sent on")).to_have_count(2)

    # Change every field but the two that end the link, and replace both files.
    scan, cv = tmp_path / "new-id.jpg", tmp_path / "new-cv.pdf"
    scan.write_bytes(JPEG_BYTES)
    cv.write_bytes(NEW_CV)
    page.get_by_label("Full name").fill("Amani Wanjala Wekesa")
    page.get_by_label("Postal or physical address").fill("Plot 12, Kenyatta Avenue, Nakuru")
    page.get_by_label("Type of ID").select_option("passport")
    page.get_by_label("ID number").fill("AK1234567")
    first = page.get_by_role("group", name="First referee")
    first.get_by_label("Name").fill("Jane Wambui Muthoni")
    first.get_by_label("Phone number").fill("0722 999 888")
    first.get_by_label("How they know you").fill("Manager at Pwani Stores")
    second = page.get_by_role("group", name="Second referee")
    second.get_by_label("Name").fill("Peter Otieno Odhiambo")
    page.get_by_label("Your work experience (optional)").fill("Five years as a stores clerk, two as supervisor.")
    page.get_by_label("Replace the scan or photo of your ID (optional)").set_input_files(scan)
    page.get_by_label("Replace your CV, or add one (optional)").set_input_files(cv)
    page.get_by_role("button", name="Save my changes").click()
    expect(page.get_by_text("Your changes are saved.")).to_be_visible()  # the page has answered

    after = PersonalRecord.objects.get(subject=subject)
    assert (after.full_name, after.address, after.legal_id_type, after.legal_id_number) == (
        "Amani Wanjala Wekesa", "Plot 12, Kenyatta Avenue, Nakuru", "passport", "AK1234567")
    assert [(r["name"], r["phone"], r["relationship"]) for r in after.referees] == [
        ("Jane Wambui Muthoni", "+254722999888", "Manager at Pwani Stores"),
        ("Peter Otieno Odhiambo", "+254733444555", "Lecturer")]
    assert after.experience == "Five years as a stores clerk, two as supervisor."
    assert (after.email, after.mobile) == (before.email, before.mobile)  # unchanged: the link still works
    assert _files(subject) == {"id-scan": JPEG_BYTES, "cv": NEW_CV}  # one of each: the old ones are gone
    assert not any((Path(settings.MEDIA_ROOT) / name).exists() for name in old_stored)
    assert AuditEvent.objects.filter(verb="document.removed", target=str(subject.pk)).count() == 2

    # Saving the page again with no file chosen keeps both files and changes nothing.
    page.goto(link + "correct/")
    page.get_by_role("button", name="Save my changes").click()
    expect(page.get_by_text("Nothing was changed.")).to_be_visible()
    assert _files(subject) == {"id-scan": JPEG_BYTES, "cv": NEW_CV}


def test_a_replacement_that_is_not_a_pdf_is_refused_and_nothing_changes(page, live_server, demo_purposes,
                                                                       mailoutbox, client, settings, tmp_path):
    settings.SITE_URL = live_server.url
    _open_correction(page, live_server, client, mailoutbox)
    subject = DataSubject.objects.get()
    page.get_by_label("Full name").fill("Someone Else")
    photo = tmp_path / "cv.pdf"
    photo.write_bytes(JPEG_BYTES)  # named .pdf, but the bytes are a JPEG
    page.get_by_label("Replace your CV, or add one (optional)").set_input_files(photo)
    page.get_by_role("button", name="Save my changes").click()
    expect(page.get_by_text("This file is not a PDF. Please send your CV as a PDF.").first).to_be_visible()
    assert PersonalRecord.objects.get(subject=subject).full_name == "Amani Wekesa"
    assert _files(subject) == {"id-scan": PDF_BYTES, "cv": OLD_CV}
