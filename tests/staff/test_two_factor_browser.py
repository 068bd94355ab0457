"""A newcomer sets up two-factor sign-in on plain pages of their own (no admin menus before the second factor
exists), downloads the backup codes and says they saved them before the admin opens; the pages meet WCAG AA."""

import base64
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django_otp.oath import totp

from apps.staff.services import enrolment_code_issue
from tests.pages import WCAG

pytestmark = pytest.mark.real_services
PASSWORD = "a long staff password 42"


def _no_violations(page) -> None:
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_a_newcomer_sets_up_the_app_saves_the_codes_then_reaches_the_admin(page, live_server, staff_roles,
                                                                          django_user_model, tmp_path):
    user = django_user_model.objects.create_user("newcomer", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="recruiter"))
    code = enrolment_code_issue(user=user, issued_by=None)
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Enrolment code").fill(code)
    page.get_by_role("button", name=re.compile("Continue|Confirm|Next")).first.click()
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("#nav-sidebar").count() == 0 and page.get_by_role("link", name="People").count() == 0
    _no_violations(page)

    page.get_by_label("Code from your authenticator app").fill(f"{totp(base64.b32decode(secret)):06d}")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("checkbox", name="I have saved my backup codes").wait_for()
    codes = page.locator(".backup-codes li").all_inner_texts()
    assert len(codes) == 10 and page.locator("#nav-sidebar").count() == 0
    _no_violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the backup codes").click()
    saved = tmp_path / "codes.txt"
    download.value.save_as(saved)
    assert all(c in saved.read_text() for c in codes)

    page.get_by_role("button", name="Continue to the admin").click()
    page.get_by_text("Tick the box once you have saved your backup codes.").wait_for()
    page.goto("/admin/")  # the admin waits until the codes are saved
    assert page.url.endswith("/admin/two-factor/")
    page.get_by_role("checkbox", name="I have saved my backup codes").check()
    page.get_by_role("button", name="Continue to the admin").click()
    page.wait_for_url("**/admin/")
    assert page.get_by_role("link", name="People", exact=True).count() >= 1
