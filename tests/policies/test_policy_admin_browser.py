"""The privacy officer writes a new policy version in the admin, previews it, publishes it and its change
campaign starts: through the screens in Chromium, with the real sign-in form and a Celery worker."""

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.policies.models import Campaign, PolicyDisclosure, PolicyVersion
from apps.policies.selectors import campaign_progress
from tests.conftest import wait_for
from tests.factories import EngagementFactory, SubjectFactory
from tests.staff.helpers import current_code

pytestmark = pytest.mark.real_services
PASSWORD = "a long staff password 42"


def _sign_in(page, username: str, device: TOTPDevice) -> None:
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()


def _fill_disclosure(page, row: int, values: dict) -> None:
    for name, value in values.items():
        if name == "data_categories":  # labelled checkboxes
            for category in value:
                page.locator(f"input[name='disclosures-{row}-data_categories'][value='{category}']").check()
        else:
            page.locator(f"#id_disclosures-{row}-{name}").fill(value)


def _carried_over(disclosure: PolicyDisclosure) -> dict:
    names = ["key", "recipient_en", "recipient_sw", "recipient_category_en", "recipient_category_sw", "purpose_en",
             "purpose_sw", "purpose_slug"]
    return {**{name: getattr(disclosure, name) or "" for name in names},
            "data_categories": disclosure.data_categories}


def _new(key: str, recipient: str) -> dict:
    return {"key": key, "recipient_en": recipient, "recipient_sw": recipient, "recipient_category_en": "Vetting agency",
            "recipient_category_sw": "Wakala wa uhakiki", "purpose_en": "checking your certificates",
            "purpose_sw": "kuhakiki vyeti vyako", "purpose_slug": "recruitment", "data_categories": ["identity"]}


def test_the_privacy_officer_writes_previews_and_publishes_a_version_and_its_campaign_starts(
        page, live_server, celery_worker, staff_roles, demo_purposes, django_user_model, mailbox):
    user = django_user_model.objects.create_user("achieng", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    told = [EngagementFactory(subject=SubjectFactory()).subject for _ in range(2)]
    seeded = PolicyVersion.objects.get(number=1)

    _sign_in(page, "achieng", device)
    page.goto("/admin/policies/policyversion/add/")
    page.locator("#id_title_en").fill("Privacy policy")
    page.locator("#id_title_sw").fill("Sera ya faragha")
    page.locator("#id_summary_en").fill("We now check certificates with a vetting agency.")
    page.locator("#id_summary_sw").fill("Sasa tunahakiki vyeti kupitia wakala.")
    page.locator("#id_body_en").fill("## Who receives it\n\nA vetting agency checks certificates.")
    page.locator("#id_body_sw").fill("## Nani anapokea\n\nWakala wa uhakiki anahakiki vyeti.")
    for row, disclosure in enumerate(seeded.disclosures.all()):  # what version 1 allows, carried over
        page.get_by_role("button", name="Add another Policy disclosure").click()
        _fill_disclosure(page, row, _carried_over(disclosure))
    page.get_by_role("button", name="Add another Policy disclosure").click()
    extra = seeded.disclosures.count()
    _fill_disclosure(page, extra, _new("background-check", "Uhakiki Vetting Ltd"))
    page.get_by_role("button", name="Add another Policy disclosure").click()
    _fill_disclosure(page, extra + 1, _new("dropped-later", "Nobody Ltd"))
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    # The draft loses a disclosure again before publishing: the admin deletes it through the service.
    row = page.locator(".inline-related", has=page.locator("input[value='dropped-later']"))
    row.locator("input[name$='-DELETE']").check()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    version = PolicyVersion.objects.get(title_en="Privacy policy", number__isnull=True)
    assert not PolicyDisclosure.objects.filter(version=version, key="dropped-later").exists()
    assert AuditEvent.objects.filter(verb="policy_version.saved", target=str(version.pk),
                                     detail__deleted=True).count() == 1

    page.get_by_role("link", name="Preview and publish").click()
    expect(page.get_by_role("heading", name="Who is told")).to_be_visible()
    expect(page.locator("#publish-counts")).to_contain_text("2 people with an open service will be told")
    expect(page.locator("#content")).to_contain_text("background-check")
    expect(page.locator("#content")).not_to_contain_text("dropped-later")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published version 2; people are being told.")).to_be_visible()

    version.refresh_from_db()
    assert version.number == 2 and version.is_published
    campaign = Campaign.objects.get(version=version)
    assert page.url.endswith(f"/admin/policies/campaign/{campaign.pk}/change/")
    wait_for(lambda: len({m["To"] for m in mailbox} & {p.record.email for p in told}) == 2, timeout=30)
    wait_for(lambda: campaign_progress(campaign)["sent"] == 4, timeout=30)
    page.reload()
    expect(page.get_by_text("4 sent, 0 pending, 0 failed, 0 to call").first).to_be_visible()
    assert AuditEvent.objects.filter(verb="campaign.started").count() == 1
    assert page.console_errors == [] and page.foreign_requests == []
