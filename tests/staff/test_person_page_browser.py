"""The person page at 1280 px, as the privacy officer sees it (every box: record, services, enquiries,
documents, restriction, private link, reveal): no box squeezed, nothing wider than the screen."""

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from apps.audit.services import Actor
from apps.subjects import services
from tests.factories import PDF_BYTES, EngagementFactory, SubjectFactory
from tests.staff.helpers import current_code

pytestmark = pytest.mark.real_services
PASSWORD = "a long staff password 42"
BOXES = ["Enquiries", "Identity documents and CVs", "Restriction of processing", "Private link",
         "Reveal personal data"]


def test_every_box_of_the_person_page_is_full_width_at_1280_pixels(page, live_server, staff_roles,
                                                                    django_user_model):
    user = django_user_model.objects.create_user("nyokabi", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    subject = SubjectFactory()
    EngagementFactory(subject=subject)
    services.enquiry_add(subject=subject, actor=Actor.system("test"), message="When is the interview?")
    services.document_add(subject=subject, actor=Actor.system("test"), data=PDF_BYTES)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/admin/login/?next=/admin/subjects/datasubject/{subject.pk}/change/")
    page.get_by_label("Username").fill("nyokabi")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Reveal personal data")).to_be_visible()

    main = page.locator("#content-main").bounding_box()
    assert main["width"] > 800
    for name in BOXES:
        box = page.locator("fieldset.module", has=page.get_by_role("heading", name=name, exact=True)).bounding_box()
        assert box["width"] >= main["width"] - 2, (name, box["width"], main["width"])
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, name
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.console_errors == [] and page.foreign_requests == []
