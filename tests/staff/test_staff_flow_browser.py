"""The staff flow through the real parts: Chromium, the live server, the real sign-in form with a TOTP code,
a Celery worker process on Redis (and PostgreSQL in CI)."""

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.subjects import services
from apps.vault.models import DeletionCertificate
from tests.conftest import wait_for
from tests.factories import PDF_BYTES, EngagementFactory, SubjectFactory
from tests.staff.helpers import current_code

pytestmark = pytest.mark.real_services
PASSWORD = "a long staff password 42"


def test_officer_signs_in_with_totp_finds_a_person_reveals_with_a_reason_and_completes_the_service(
        page, live_server, celery_worker, staff_roles, django_user_model):
    user = django_user_model.objects.create_user("wambui", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    subject = SubjectFactory(full_name="Zawadi Njeri", email="zawadi.njeri@example.org")
    SubjectFactory(full_name="Someone Else")
    EngagementFactory(subject=subject, reference="REQ-900")
    services.document_add(subject=subject, actor=Actor.system("test"), data=PDF_BYTES)

    missing = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    page.goto("/admin/")
    page.get_by_label("Username").fill("wambui")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="People", exact=True)).to_be_visible()

    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_label("Find a person").fill("Zawadi.Njeri@example.org")
    page.get_by_role("button", name="Search").click()
    assert "zawadi" not in page.url.lower()
    expect(page.get_by_text("Za••••••••ri")).to_be_visible()
    expect(page.get_by_text("So••••••••se")).to_have_count(0)
    page.get_by_role("link", name=str(subject.pk)[:8], exact=True).click()
    expect(page.get_by_text("Zawadi Njeri")).to_have_count(0)

    page.get_by_label("Why do you need to see it?").select_option("application")
    page.get_by_label("Note (optional)").fill("She called about REQ-900")
    page.get_by_role("button", name="Reveal").click()
    expect(page.get_by_text("Zawadi Njeri")).to_be_visible()
    expect(page.get_by_text("zawadi.njeri@example.org")).to_be_visible()

    page.goto(f"/admin/subjects/datasubject/{subject.pk}/change/")
    page.get_by_role("link", name="PDF").click()
    page.get_by_label("Why do you need to see it?").select_option("application")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the document").click()
    assert open(download.value.path(), "rb").read() == PDF_BYTES

    page.goto("/admin/audit/auditevent/?verb__exact=pii.revealed")
    expect(page.get_by_role("cell", name=str(subject.pk)).first).to_be_visible()
    assert AuditEvent.objects.filter(verb="pii.revealed", target=str(subject.pk)).count() == 2

    page.goto("/admin/subjects/serviceengagement/")
    page.get_by_role("row", name="REQ-900").get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option("complete_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#erasure-summary")).to_contain_text("1 person will be erased")
    page.get_by_role("button", name="Yes, complete and erase").click()
    expect(page.get_by_text("Completed; 1 erasure(s) queued.")).to_be_visible()
    certificate = wait_for(lambda: DeletionCertificate.objects.filter(subject_id=subject.pk).first(), timeout=30)
    page.goto(f"/admin/vault/deletioncertificate/{certificate.pk}/change/")
    expect(page.get_by_text("ID document scans")).to_be_visible()
    assert missing == [] and page.console_errors == [] and page.foreign_requests == []


def test_the_audit_list_fits_a_1280_pixel_screen(page, live_server, staff_roles, django_user_model):
    user = django_user_model.objects.create_user("odhiambo", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    subject = SubjectFactory()
    services.subject_reveal(subject=subject, staff_user=user, reason="legal-request", note="")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/admin/login/?next=/admin/audit/auditevent/")
    page.get_by_label("Username").fill("odhiambo")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    cell = page.get_by_role("cell", name=str(subject.pk)).first
    expect(cell).to_be_visible()
    box = cell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
