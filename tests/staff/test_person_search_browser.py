"""Wherever staff choose a person (a rights request, a service opened by hand, a disclosure), they type what
they know (the email address or mobile number, found through the blind index, or the public id) instead of
pasting an id; it goes with the form's POST, never into an address, and a miss says so and saves nothing."""

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.policies.models import Disclosure
from apps.staff.models import RightsRequest
from apps.subjects.models import ServiceEngagement
from tests.factories import SubjectFactory
from tests.staff.helpers import current_code

pytestmark = pytest.mark.real_services
PASSWORD = "a long staff password 42"


def _sign_in(page, django_user_model, role: str) -> None:
    user = django_user_model.objects.create_user(role.replace(" ", "-"), password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def test_staff_choose_a_person_by_email_or_mobile_and_it_never_reaches_an_address(
        page, live_server, staff_roles, demo_purposes, django_user_model):
    halima = SubjectFactory(email="halima@example.org", mobile="+254712345001")
    addresses = []
    page.on("request", lambda r: addresses.append(r.url))
    _sign_in(page, django_user_model, "privacy officer")

    page.goto("/admin/staff/rightsrequest/add/")
    page.locator("#id_kind").select_option("access")
    page.locator("#id_channel").select_option("phone")
    page.locator("#id_received_at_0").fill("2026-12-01")
    page.locator("#id_received_at_1").fill("09:30")
    page.get_by_label("Person").fill("nobody@example.org")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Nobody found.").wait_for()
    assert not RightsRequest.objects.exists()
    page.get_by_label("Person").fill("Halima@Example.org ")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("was added successfully").wait_for()
    assert RightsRequest.objects.get().subject == halima

    page.goto("/admin/subjects/serviceengagement/add/")
    page.get_by_label("Person").fill("0712 345 001")
    page.locator("#id_service").select_option("enquiry")
    page.get_by_label("Reference").fill("REQ-PHONE")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("was added successfully").wait_for()
    assert ServiceEngagement.objects.get(reference="REQ-PHONE").subject == halima

    page.goto("/admin/policies/disclosure/add/")
    page.get_by_label("People (one per line)").fill("halima@example.org\nnobody@example.org")
    page.get_by_label("Legal basis").select_option("legal-obligation")
    page.get_by_label("Recipient").fill("Police")
    page.get_by_label("Reference (court order or law)").fill("Warrant 7/2026")
    page.get_by_role("checkbox", name="Name", exact=True).check()
    page.get_by_role("button", name="Record").click()
    page.get_by_text("found on line(s) 2").wait_for()
    assert not Disclosure.objects.exists()
    assert "nobody@example.org" not in page.locator(".errorlist").inner_text()
    page.get_by_label("People (one per line)").fill("halima@example.org")
    page.get_by_role("button", name="Record").click()
    page.wait_for_url("**/admin/policies/disclosure/")
    assert Disclosure.objects.get().subject == halima
    assert not [url for url in addresses if "halima" in url.lower() or "712" in url]
