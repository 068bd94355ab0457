"""Rights requests from the public (Data Protection Act 2019, s.26; General Regulations 2021, regs. 7-12): a page
without an account, verified by the intake's emailed code, lands the request in the staff register with its
statutory clock and emails the person the due date."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from apps.recruitment.models import PendingSubmission
from apps.staff.models import RightsRequest
from apps.staff.services import subject_restrict
from tests.conftest import wait_for
from tests.consent.helpers import intake_code, intake_link, type_the_emailed_code
from tests.factories import EngagementFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def _ask(client, email: str, right: str, **extra):
    return client.post("/rights/", {"key": str(uuid.uuid4()), "email": email, "right": right}, **extra)


def test_nothing_lands_until_the_code_is_typed_then_the_request_has_its_clock(client, settings):
    person = SubjectFactory(email="wanjiru@example.org")
    response = _ask(client, "Wanjiru@Example.org", "access")
    assert response.status_code == 302 and response["Location"] == "/sent/code/"
    assert PendingSubmission.objects.filter(kind="rights").count() == 1 and not RightsRequest.objects.exists()
    held_at = PendingSubmission.objects.get().created_at

    page = client.post("/sent/code/", {"code": intake_code("Wanjiru@Example.org")})
    assert page.status_code == 200 and "Your request is registered" in page.content.decode()
    request = RightsRequest.objects.get()
    assert (request.kind, request.channel, request.subject_id, request.identity_check, request.state) == (
        "access", "web-form", person.pk, "email-code", "open")
    assert request.received_at == held_at
    assert request.due_at == held_at + timedelta(days=settings.RIGHTS_REQUEST_DAYS["access"])
    assert not PendingSubmission.objects.exists()  # the held form and its key are gone
    told = Notification.objects.get(template="rights_request_received")
    assert told.subject_id == person.pk and told.recipient == "Wanjiru@Example.org"
    assert told.context["due"] == timezone.localtime(request.due_at).strftime("%-d %B %Y")
    event = AuditEvent.objects.get(verb="rights_request.received")
    assert event.detail["type"] == "access" and "wanjiru" not in str(event.detail).lower()


def test_an_address_we_hold_nothing_under_is_answered_at_once_and_keeps_nothing(client):
    _ask(client, "stranger@example.org", "erasure")
    page = client.post("/sent/code/", {"code": intake_code("stranger@example.org")}).content.decode()
    assert "We hold no personal data under the email address you confirmed" in page
    request = RightsRequest.objects.get()
    assert (request.subject_id, request.state, request.outcome) == (None, "refused", "no-data")
    assert request.completed_at is not None and not request.is_overdue
    assert not Notification.objects.exclude(template="intake_code").exists()
    assert not PendingSubmission.objects.exists()


def test_the_emailed_link_confirms_too_and_a_wrong_code_lands_nothing(client):
    EngagementFactory(subject=SubjectFactory(email="otieno@example.org"))
    _ask(client, "otieno@example.org", "portability")
    assert client.post("/sent/code/", {"code": "000000" if intake_code() != "000000" else "111111"}).status_code == 400
    assert not RightsRequest.objects.exists()
    link = "/" + intake_link("otieno@example.org").split("/", 3)[3]
    assert "ask about the personal data we hold about you" in client.get(link).content.decode()
    page = client.post(link, {"choice": "confirm"}).content.decode()
    assert "Your request is registered" in page
    request = RightsRequest.objects.get()
    assert request.kind == "portability" and request.due_at - request.received_at == timedelta(days=30)


def test_a_restricted_person_is_still_told_about_their_request(client, admin_user):
    person = SubjectFactory(email="akinyi@example.org")
    subject_restrict(subject=person, staff_user=admin_user, ground="accuracy-contested")
    _ask(client, "akinyi@example.org", "correction")
    client.post("/sent/code/", {"code": intake_code("akinyi@example.org")})
    assert RightsRequest.objects.get().subject_id == person.pk
    assert Notification.objects.filter(template="rights_request_received", subject=person).exists()


def test_a_bad_form_changes_nothing_and_the_page_speaks_swahili(client):
    response = _ask(client, "not-an-email", "everything")
    assert response.status_code == 400 and not PendingSubmission.objects.exists()
    body = response.content.decode()
    assert "Enter a valid email address." in body and "Select a valid choice" in body
    client.cookies["django_language"] = "sw"
    page = client.get("/rights/", HTTP_ACCEPT_LANGUAGE="sw").content.decode()
    assert "Uliza kuhusu data yako" in page and "Futeni data yangu binafsi (ufutaji)" in page


@pytest.mark.real_services
def test_a_person_asks_in_the_browser_confirms_with_the_code_and_the_request_lands_with_its_clock(
        page, live_server, celery_worker, mailbox, settings):
    settings.SITE_URL = live_server.url
    person = SubjectFactory(email="kamau@example.org")
    page.goto("/")
    page.get_by_role("link", name="Ask about your data").click()
    expect(page.get_by_role("heading", name="Ask about your data", level=1)).to_be_visible()
    page.get_by_label("Your email address").fill("kamau@example.org")
    page.get_by_label("Delete my personal data (erasure)").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="One more step: type the code we emailed you")).to_be_visible()
    assert not RightsRequest.objects.exists()
    type_the_emailed_code(page, mailbox, "kamau@example.org")
    expect(page.get_by_role("heading", name="Your request is registered")).to_be_visible()

    request = RightsRequest.objects.get()
    due = timezone.localtime(request.due_at).strftime("%-d %B %Y")
    expect(page.locator("#rights-due")).to_contain_text(f"until {due}")
    assert (request.kind, request.subject_id, request.channel) == ("erasure", person.pk, "web-form")
    assert request.due_at - request.received_at == timedelta(days=settings.RIGHTS_REQUEST_DAYS["erasure"])

    def told():
        return next((m for m in mailbox if "kamau@example.org" in m["X-Envelope-To"].lower()
                     and "registered your request" in m["Subject"]), None)
    message = wait_for(told, timeout=30)
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert re.search(rf"until {due} to answer it", body)
