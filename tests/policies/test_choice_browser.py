"""The one-click opt-out from the change email, in Chromium, in the person's language."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from apps.notifications.models import Notification
from apps.policies.models import DisclosureChoice
from apps.policies.services import policy_version_publish
from apps.subjects.models import ServiceEngagement
from tests.conftest import wait_for
from tests.factories import EngagementFactory, SubjectFactory
from tests.policies.helpers import BACKGROUND, HIRING, SYSTEM, draft

pytestmark = pytest.mark.real_services


def _text(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def test_a_swahili_speaker_opts_out_from_the_email_once_and_keeps_their_service(
        page, live_server, celery_worker, mailbox, demo_purposes):
    person = EngagementFactory(subject=SubjectFactory(email="amani@example.org")).subject
    # They filled the form in Swahili: their last message was in Swahili.
    Notification.objects.create(subject=person, channel="email", template="confirmation", language="sw",
                                recipient="amani@example.org", status="sent",
                                sent_at=timezone.now() - timedelta(days=1))
    with transaction.atomic():
        policy_version_publish(version=draft(disclosures=[HIRING, BACKGROUND]), actor=SYSTEM)

    message = wait_for(lambda: next((m for m in mailbox if m["X-Envelope-To"] == "amani@example.org"), None),
                       timeout=60)
    body = _text(message)
    assert "Uhakiki Vetting Ltd" in body and "Habari" in body  # in Swahili
    # The worker writes links with its own SITE_URL; the path and token are what the person follows.
    path = re.search(r"https?://[^/\s]+(/privacy/choice/[^\s/]+/)", body).group(1)

    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "sw")
    page.get_by_role("button", name="Jiondoe").click()
    expect(page.get_by_role("heading", name="Umejiondoa")).to_be_visible()
    expect(page.get_by_text("Huduma yako kwetu inaendelea kama awali")).to_be_visible()

    page.goto(path)  # following the link again
    expect(page.get_by_role("heading", name="Umejiondoa")).to_be_visible()
    assert DisclosureChoice.objects.filter(subject=person).count() == 1
    assert DisclosureChoice.objects.get(subject=person).choice == "opted-out"
    assert ServiceEngagement.objects.get(subject=person).is_open
    assert page.console_errors == [] and page.foreign_requests == []

    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    response = page.goto(tampered)
    assert response.status == 404
    assert DisclosureChoice.objects.filter(subject=person).count() == 1
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()  # whose, we cannot tell
