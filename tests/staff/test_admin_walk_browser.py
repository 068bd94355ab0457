"""The admin walked in Chromium for each role: every changelist, add, change and delete page of every model
the admin site registers (found from its registry, so a new screen is covered without editing this test)
is opened; each add form is sent empty once (invalid data) and each change form sent back as it stands.
No page answers 500, none is wider than a 1280 px screen, none breaks the Content Security Policy, and a
page the role may not use answers 403 (or sends them back) and writes nothing.

Run with -s to see what each role covers."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.staff.services import breach_record, rights_request_record
from apps.subjects import services
from tests.factories import PDF_BYTES, EngagementFactory, SubjectFactory, VacancyFactory
from tests.policies.helpers import BACKGROUND, HIRING, draft
from tests.staff.helpers import current_code

pytestmark = pytest.mark.real_services
PASSWORD = "a long staff password 42"
ROLES = ["superuser", "privacy officer", "recruiter", "support"]
WIDTH = 1280
SYSTEM = Actor.system("test")


def _seed() -> None:
    subject = SubjectFactory()
    EngagementFactory(subject=subject, reference="REQ-WALK")
    services.engagement_open(subject=subject, actor=SYSTEM, service="enquiry")
    services.enquiry_add(subject=subject, actor=SYSTEM, message="When is the interview?")
    services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
    vacancy = VacancyFactory()
    services.engagement_open(subject=SubjectFactory(), actor=SYSTEM, service="recruitment", vacancy=vacancy,
                             controller=vacancy.controller)
    draft(disclosures=[HIRING, BACKGROUND])
    breach_record(actor=SYSTEM, summary="A laptop was stolen", discovered_at=timezone.now(), people_affected=2)
    rights_request_record(actor=SYSTEM, kind="access", channel="email", received_at=timezone.now())


def _user(django_user_model, role: str):
    username = role.replace(" ", "-")
    if role == "superuser":
        user = django_user_model.objects.create_superuser(username, password=PASSWORD)
    else:
        user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    return user, device


def _pages() -> list[tuple[admin.ModelAdmin, str, str, object]]:
    """(its admin, kind, url, row) of every page the registry offers, for a few rows of each model."""
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append((model_admin, "changelist", reverse(f"{info}_changelist"), None))
        try:
            pages.append((model_admin, "add", reverse(f"{info}_add"), None))
        except NoReverseMatch:
            pass
        for row in model._default_manager.order_by("pk")[:2]:
            pages.append((model_admin, "change", reverse(f"{info}_change", args=[row.pk]), row))
            pages.append((model_admin, "delete", reverse(f"{info}_delete", args=[row.pk]), row))
    return pages


def _may(model_admin: admin.ModelAdmin, user, kind: str, row) -> bool:
    """What the admin itself says this user may do here (roles and each screen's own rules)."""
    request = RequestFactory().get("/")
    request.user = user
    if kind == "add":
        return model_admin.has_add_permission(request)
    if kind == "delete":
        return model_admin.has_delete_permission(request, row)
    return model_admin.has_view_or_change_permission(request, row)


def _check_page(page, url: str) -> list[tuple[str, str]]:
    found = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        found.append((url, f"{width} px wide"))
    # A 404 is reported with its address from the responses seen; Chromium's own favicon fetches are not
    # among them, and their console line ("Failed to load resource") names no address: left out here.
    errors = {e for e in page.console_errors if "status of 404" not in e}
    if errors:
        found.append((url, "; ".join(sorted(errors))[:300]))
    return found


def _submit(page) -> int | None:
    """Send the page's main form as it stands; the status of the answer."""
    button = page.locator("#content-main form input[type=submit][name=_save], #content-main form [type=submit]")
    if button.count() == 0:
        return None
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button.first.click()
    return answer.value.status


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_walked_for_each_role(page, live_server, staff_roles, django_user_model, demo_purposes, role):
    _seed()
    user, device = _user(django_user_model, role)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")

    problems, opened, forms, missing = [], 0, 0, []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    for model_admin, kind, url, row in [*_pages(), (None, "page", "/admin/dashboard/", None)]:
        events = AuditEvent.objects.count()
        page.console_errors.clear()
        missing.clear()
        status = page.goto(url).status
        opened += 1
        allowed = kind == "page" or _may(model_admin, user, kind, row)
        if status >= 500:
            problems.append((url, status))
        elif not allowed:
            if status != 403 and not (status == 200 and page.url.endswith("/admin/")):  # refused, or sent home
                problems.append((url, f"{status}: open to {role}"))
            if AuditEvent.objects.count() != events:
                problems.append((url, "a refused page wrote to the audit log"))
        elif status != 200:
            if not (kind == "page" and status == 403):  # the dashboard is the privacy officer's
                problems.append((url, status))
        else:
            problems += _check_page(page, url) + [(url, f"missing {m}") for m in missing]
            if kind in ("add", "change"):
                answered = _submit(page)
                if answered is not None:
                    forms += 1
                    if answered >= 500:
                        problems.append((url, f"form answered {answered}"))
    print(f"\n{role}: {opened} pages opened, {forms} forms sent; problems: {problems}")
    assert problems == []
