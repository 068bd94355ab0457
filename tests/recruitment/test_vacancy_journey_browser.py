"""A visitor on a phone finds a job from the home page and applies with an ID scan and a CV; the email
brings the private link, and the self-service page names the job. Real parts: Chromium, the live server,
a Celery worker on Redis, the SMTP server and PostgreSQL."""

import re
from email.message import Message

import pytest
from playwright.sync_api import expect

from apps.subjects.models import IdentityDocument, ServiceEngagement
from apps.subjects.seed import DEMO_VACANCIES
from tests.conftest import wait_for
from tests.consent.helpers import type_the_emailed_code
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.real_services
PHONE = {"width": 360, "height": 740}


def _body(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_visitor_on_a_phone_finds_a_job_from_the_home_page_applies_and_sees_it_on_their_page(
        page, live_server, celery_worker, mailbox, settings, demo_purposes, tmp_path):
    settings.SITE_URL = live_server.url
    settings.SMS_BACKEND = "apps.notifications.backends.ConsoleSmsBackend"
    title = DEMO_VACANCIES[0]["title_en"]
    scan, cv = tmp_path / "id-scan.pdf", tmp_path / "my-cv.pdf"
    scan.write_bytes(PDF_BYTES)
    cv.write_bytes(b"%PDF-1.7\n% curriculum vitae\n" + b"stores clerk, Nairobi, 2019-2024. " * 30)
    page.set_viewport_size(PHONE)

    page.goto("/")
    expect(page.get_by_role("heading", name="Jobs open now")).to_be_visible()
    assert _page_width(page) <= PHONE["width"]
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    assert _page_width(page) <= PHONE["width"]
    page.get_by_role("link", name="Apply for this job").click()

    expect(page.get_by_text(f"You are applying for: {title}")).to_be_visible()
    page.get_by_label("Full name").fill("Wanjiru Kamau")
    page.get_by_label("Date of birth").fill("14/02/1996")
    page.get_by_label("Email address").fill("wanjiru.jobs@example.org")
    page.get_by_label("Mobile number").fill("0712 34")  # a digit short: the first attempt has a mistake
    page.get_by_label("Postal or physical address").fill("P.O. Box 1-00100, Nairobi")
    page.get_by_label("Type of ID").select_option("national-id")
    page.get_by_label("ID number").fill("31234567")
    page.get_by_label("Scan or photo of your ID").set_input_files(str(scan))
    page.get_by_label("Your work experience (optional)").fill("Five years as a stores clerk.")
    page.get_by_label("Your CV (optional)").set_input_files(str(cv))
    for n, (name, phone) in enumerate([("Otieno Ouma", "0722 000 111"), ("Akinyi Adhiambo", "0733 000 222")], 1):
        fieldset = page.get_by_role("group", name="First referee" if n == 1 else "Second referee")
        fieldset.get_by_label("Name").fill(name)
        fieldset.get_by_label("Phone number").fill(phone)
        fieldset.get_by_label("How they know you").fill("Former supervisor")
    page.get_by_label("I agree: Recruitment").check()
    page.get_by_label("I agree: Sharing with the hiring company").check()
    page.get_by_role("button", name="Send my application").click()

    # The form comes back with a summary that has the focus, names the mistake and links to it; the files
    # she sent were accepted and are kept: the page says so at each file field, and she does not send them
    # again over her mobile data.
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("^Mobile number"))).to_have_attribute("href", "#id_mobile")
    expect(page.locator("#id_id_document_kept")).to_contain_text("Kept: id-scan.pdf")
    expect(page.locator("#id_cv_kept")).to_contain_text(f"Kept: {cv.name}")
    expect(page.locator("#id_id_document_reattach")).to_have_count(0)
    assert _page_width(page) <= PHONE["width"]
    assert not ServiceEngagement.objects.filter(vacancy_id=DEMO_VACANCIES[0]["id"]).exists()
    page.get_by_label("Mobile number").fill("0712 345 678")
    page.get_by_label("I agree: Recruitment").check()
    page.get_by_label("I agree: Sharing with the hiring company").check()
    page.get_by_role("button", name="Send my application").click()

    # Nothing is stored about her until she types the code emailed to the address she gave.
    expect(page.get_by_role("heading", name="One more step: type the code we emailed you")).to_be_visible()
    assert _page_width(page) <= PHONE["width"]
    assert not ServiceEngagement.objects.filter(vacancy_id=DEMO_VACANCIES[0]["id"]).exists()
    type_the_emailed_code(page, mailbox, "wanjiru.jobs@example.org")
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(page.get_by_text(f"Your application for {title}")).to_be_visible()
    assert _page_width(page) <= PHONE["width"]
    engagement = ServiceEngagement.objects.get(vacancy_id=DEMO_VACANCIES[0]["id"])
    kinds = sorted(IdentityDocument.objects.filter(subject=engagement.subject).values_list("kind", flat=True))
    assert kinds == ["cv", "id-scan"]

    confirmation = wait_for(lambda: next((m for m in mailbox if "wanjiru.jobs@example.org" in m["X-Envelope-To"]
                                          and "holds about you" in m["Subject"]), None), timeout=30)
    body = _body(confirmation)
    assert f'application for "{title}"' in body
    link = re.search(r"https?://\S+/me/\S+/", body).group(0)

    page.goto(link)
    applications = page.locator("ul.applications")
    expect(applications).to_contain_text(title)
    expect(applications).to_contain_text("in progress")

    # The vacancy pages fit the narrowest phone too. (The form and the self-service pages are the
    # "journey on a phone" part of issue 8, with a page-width test of their own.)
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ["/", "/jobs/", f"/jobs/{engagement.vacancy_id}/", "/sent/"]:
        page.goto(path)
        assert _page_width(page) <= 320, path
