"""Transfers outside Kenya (Data Protection Act 2019, ss.48-50; General Regulations 2021, reg. 40): every recipient
names its country; one outside Kenya needs a recorded safeguard before the disclosure register or a client company's
hand-over allows anything; the policy and the records of processing show country and safeguard; audited."""

import pytest
from django.contrib.auth.models import Group
from django.core import checks
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.consent.models import ConsentRecord, Purpose
from apps.consent.services import CollectionContext, consent_give
from apps.core import datamap
from apps.policies.models import Disclosure
from apps.policies.services import TransferWithoutSafeguard, disclosure_record
from apps.subjects.models import DataSubject
from tests.api.helpers import Api, candidate_body, make_token, make_vacancy
from tests.factories import ControllerFactory, EngagementFactory
from tests.policies.helpers import BACKGROUND, HIRING, SYSTEM, publish
from tests.staff.helpers import current_code

pytestmark = pytest.mark.django_db
CONTEXT = CollectionContext(collection_point="apply-form", form_version="t", source=ConsentRecord.Source.WEB_FORM)
ABROAD = {**BACKGROUND, "recipient": "London Vetting plc", "recipient_country": "GB"}
PASSWORD = "a long staff password 42"


@pytest.fixture
def applicant(demo_purposes):
    subject = EngagementFactory().subject
    for slug in ["recruitment", "share-with-employer"]:
        consent_give(subject=subject, purpose=Purpose.objects.get(slug=slug), context=CONTEXT)
    return subject


def _abroad(version):
    return version.disclosures.get(key="background-check")


def test_a_disclosure_abroad_without_a_safeguard_is_refused_and_audited_then_allowed_with_one(applicant):
    version = publish(disclosures=[HIRING, ABROAD]).version
    with pytest.raises(TransferWithoutSafeguard, match=r"outside Kenya \(GB\) and no safeguard"):
        disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                          legal_basis="consent", allowed=_abroad(version))
    assert not Disclosure.objects.exists()
    refused = AuditEvent.objects.get(verb="transfer.refused")
    assert refused.detail == {"disclosure": "background-check", "country": "GB"}

    safe = publish(disclosures=[HIRING, {**ABROAD, "transfer_safeguard": "appropriate-safeguards"}]).version
    disclosure = disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                                   legal_basis="consent", allowed=_abroad(safe))
    transfer = AuditEvent.objects.get(verb="transfer.abroad")
    assert transfer.detail == {"disclosure": str(disclosure.pk), "country": "GB",
                               "safeguard": "appropriate-safeguards"}
    # A recipient in Kenya needs no safeguard, and writes no transfer event.
    disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                      legal_basis="consent", allowed=safe.disclosures.get(key=HIRING["key"]))
    assert AuditEvent.objects.filter(verb="transfer.abroad").count() == 1


def test_a_client_company_abroad_without_a_safeguard_cannot_hand_over_a_candidate(client, demo_purposes):
    controller = ControllerFactory(name="Atlantic Outsourcing Inc", country="US")
    api = Api(client, make_token(controller))
    response = api.post("/candidates", candidate_body(make_vacancy(controller)))
    assert response.status_code == 409 and response.json()["code"] == "transfer_not_allowed"
    assert not DataSubject.objects.exists()
    assert AuditEvent.objects.get(verb="transfer.refused").detail == {"controller": str(controller.pk),
                                                                      "country": "US"}
    controller.transfer_safeguard = "consent"
    controller.save(update_fields=["transfer_safeguard"])
    assert api.post("/candidates", candidate_body(make_vacancy(controller, title="Agent"), n=2)).status_code == 201


def test_the_policy_and_the_records_of_processing_show_country_and_safeguard(client, admin_client, demo_purposes):
    publish(disclosures=[HIRING, {**ABROAD, "transfer_safeguard": "adequacy"}])
    ControllerFactory(name="Atlantic Outsourcing Inc", country="US", transfer_safeguard="consent")
    page = client.get("/privacy/").content.decode()
    assert "London Vetting plc (Vetting agency), outside Kenya (GB), under: An adequacy decision of the Data " \
           "Commissioner" in page
    assert "in Kenya" in page  # the hiring company
    records = admin_client.get("/admin/records-of-processing/").content.decode()
    assert "London Vetting plc" in records and "Atlantic Outsourcing Inc" in records
    assert "outside Kenya (US), under: The person&#x27;s consent to the transfer" in records
    rows = {row["recipient"]: row for row in datamap.recipients()}
    assert rows["Atlantic Outsourcing Inc"]["country"] == "US" and rows["London Vetting plc"]["country"] == "GB"


@pytest.mark.real_services
def test_the_privacy_officer_is_refused_a_disclosure_abroad_without_a_safeguard_in_the_admin(
        page, live_server, staff_roles, applicant, django_user_model):
    version = publish(disclosures=[HIRING, ABROAD]).version
    user = django_user_model.objects.create_user("achieng", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    page.goto("/admin/")
    page.get_by_label("Username").fill("achieng")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/policies/disclosure/add/")
    page.get_by_label("People (one per line)").fill(str(applicant.pk))
    page.get_by_label("Legal basis").select_option("consent")
    page.get_by_label("Disclosure allowed by the policy in force (for consent)").select_option(
        str(_abroad(version).pk))
    page.locator("input[name='data_categories'][value='identity']").check()
    page.get_by_role("button", name="Record").click()
    expect(page.locator(".messagelist")).to_contain_text("outside Kenya (GB) and no safeguard for the transfer")
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.filter(verb="transfer.refused", target=str(applicant.pk)).exists()


def test_a_processor_of_ours_abroad_without_a_safeguard_stops_start_up_and_is_in_the_records(settings):
    settings.DATA_PROCESSORS = {**settings.DATA_PROCESSORS, "sms": {"country": "US", "safeguard": ""}}
    errors = [m for m in checks.run_checks() if m.id == "core.E003"]
    assert len(errors) == 1 and "sms processor is outside Kenya (US)" in errors[0].msg
    settings.DATA_PROCESSORS = {**settings.DATA_PROCESSORS, "sms": {"country": "US", "safeguard": "adequacy"}}
    assert not [m for m in checks.run_checks() if m.id == "core.E003"]
    rows = {row["recipient"]: row for row in datamap.recipients()}
    assert rows["Our SMS delivery provider"]["safeguard"].startswith("outside Kenya (US), under: An adequacy")
    assert rows["Our email delivery provider"]["safeguard"] == "in Kenya"
