"""Completing services in the admin, in Chromium with the real sign-in: the confirmation page with its counts,
then, above the recruiter's limit, a privacy officer's approval typed at the recruiter's screen."""

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import ServiceEngagement
from apps.vault.models import DeletionCertificate
from tests.conftest import wait_for
from tests.factories import ControllerFactory, SubjectFactory, VacancyFactory
from tests.staff.helpers import current_code

pytestmark = pytest.mark.real_services
PASSWORD = "a long staff password 42"


def _member(django_user_model, username: str, role: str):
    user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user, TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)


def _sign_in(page, username: str, device: TOTPDevice) -> None:
    page.goto("/admin/login/?next=/admin/subjects/serviceengagement/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()


def _applicants(n: int) -> list[ServiceEngagement]:
    vacancy = VacancyFactory(title_en="Night driver", controller=ControllerFactory(name="Kilimo Foods"))
    return [services.engagement_open(subject=SubjectFactory(), actor=Actor.system("test"), service="recruitment",
                                     vacancy=vacancy, controller=vacancy.controller) for _ in range(n)]


def _choose_all_and_complete(page) -> None:
    page.get_by_label("Select all objects on this page for an action").check()
    page.get_by_label("Action:").select_option("complete_selected")
    page.get_by_role("button", name="Go").click()


def test_a_recruiter_sees_the_counts_confirms_and_the_people_are_erased(
        page, live_server, celery_worker, staff_roles, django_user_model, settings):
    settings.STAFF_BULK_ERASURE_LIMIT = 25
    _user, device = _member(django_user_model, "kamau", "recruiter")
    engagements = _applicants(2)
    _sign_in(page, "kamau", device)
    _choose_all_and_complete(page)

    expect(page.get_by_role("heading", name="Complete services?")).to_be_visible()
    row = page.locator("#erasure-groups tbody tr")
    expect(row).to_have_text(["Night driverKilimo Foods22"])
    expect(page.locator("#erasure-summary")).to_contain_text("2 people will be erased")
    assert ServiceEngagement.objects.filter(status="open").count() == 2  # nothing before confirming
    page.get_by_role("button", name="Yes, complete and erase").click()
    expect(page.get_by_text("Completed; 2 erasure(s) queued.")).to_be_visible()
    wait_for(lambda: DeletionCertificate.objects.filter(
        subject_id__in=[e.subject_id for e in engagements]).count() == 2, timeout=30)
    assert page.console_errors == [] and page.foreign_requests == []


def test_above_the_limit_the_privacy_officer_approves_with_their_own_code(
        page, live_server, celery_worker, staff_roles, django_user_model, settings):
    settings.STAFF_BULK_ERASURE_LIMIT = 2
    recruiter, device = _member(django_user_model, "otieno", "recruiter")
    officer, officer_device = _member(django_user_model, "wairimu", "privacy officer")
    _applicants(3)
    _sign_in(page, "otieno", device)
    _choose_all_and_complete(page)

    expect(page.get_by_role("heading", name="A privacy officer must approve")).to_be_visible()
    expect(page.locator("#erasure-summary")).to_contain_text("3 people will be erased")
    page.get_by_label("Privacy officer's username").fill("wairimu")
    page.get_by_label("Code from the privacy officer's authenticator app").fill(
        "123456" if current_code(officer_device) != "123456" else "654321")
    page.get_by_role("button", name="Yes, complete and erase").click()
    expect(page.get_by_text("Not approved")).to_be_visible()
    assert ServiceEngagement.objects.filter(status="open").count() == 3

    officer_device.refresh_from_db()
    officer_device.throttling_failure_count, officer_device.throttling_failure_timestamp = 0, None
    officer_device.save()  # the officer waits out the delay a wrong code costs
    page.get_by_label("Privacy officer's username").fill("wairimu")
    page.get_by_label("Code from the privacy officer's authenticator app").fill(current_code(officer_device))
    page.get_by_role("button", name="Yes, complete and erase").click()
    expect(page.get_by_text("Completed; 3 erasure(s) queued.")).to_be_visible()
    assert ServiceEngagement.objects.filter(status="open").count() == 0
    approved = AuditEvent.objects.get(verb="bulk_erasure.approved")
    assert (approved.actor_id, approved.target, approved.detail["people"]) == (str(officer.pk), str(recruiter.pk), 3)
    assert page.console_errors == [] and page.foreign_requests == []
