"""The controller's ODPC registration (Data Protection Act 2019, s.18): production refuses to start without it, and
every place that tells people who we are names it: the policy page, every form's notice, receipts, certificates and
the records of processing."""

import pytest
from django.core import checks
from playwright.sync_api import expect

from apps.consent.receipts import receipt_sign
from apps.vault.proofs import proof_verify
from tests.core.helpers import manage

NUMBER = "ODPC/DC/TEST/0001"  # tests/env.py


def test_production_refuses_to_start_without_the_controllers_registration():
    result = manage("check", DEBUG="0", SECRET_KEY="s" * 60, ALLOWED_HOSTS="example.org",
                     SITE_URL="https://example.org", CONTROLLER_REGISTRATION="")
    assert result.returncode != 0
    assert "core.E002" in result.stderr and "CONTROLLER_REGISTRATION is not set" in result.stderr


def test_the_check_passes_once_the_number_is_set_and_development_does_not_ask(settings):
    settings.DEBUG = False
    assert [m.id for m in checks.run_checks() if m.id == "core.E002"] == []
    settings.CONTROLLER_REGISTRATION = ""
    assert [m.id for m in checks.run_checks() if m.id == "core.E002"] == ["core.E002"]
    settings.DEBUG = True
    assert [m.id for m in checks.run_checks() if m.id == "core.E002"] == []


@pytest.mark.django_db
def test_receipts_and_certificates_carry_both_numbers_and_the_verify_page_names_ours(client, settings, receipt,
                                                                                    certificate):
    settings.PROCESSOR_REGISTRATION = "ODPC/DP/TEST/0002"
    payload = proof_verify(receipt_sign(receipt))
    assert payload["controller"]["registration"] == NUMBER
    assert payload["controller"]["processor_registration"] == "ODPC/DP/TEST/0002"
    assert proof_verify(certificate.signed)["issuer"]["registration"] == NUMBER
    page = client.post("/verify/", {"proof": certificate.signed}).content.decode()
    assert ("registered with the Office of the Data Protection Commissioner as a data controller, "
            f"number {NUMBER}") in page


@pytest.mark.django_db
def test_the_records_of_processing_name_the_registration(admin_client, settings):
    settings.PROCESSOR_REGISTRATION = "ODPC/DP/TEST/0002"
    page = admin_client.get("/admin/records-of-processing/").content.decode()
    assert f"as number {NUMBER}." in page and "Registered as a data processor, number ODPC/DP/TEST/0002." in page


@pytest.mark.real_services
def test_a_visitor_reads_the_registration_on_the_form_and_the_policy_in_both_languages(page, demo_purposes):
    page.goto("/apply/")
    notice = page.locator("section.notice")
    expect(notice).to_contain_text(f"Registered with the Office of the Data Protection Commissioner as a data "
                                   f"controller, number {NUMBER}.")
    page.goto("/privacy/")
    expect(page.locator("#registration")).to_contain_text(f"as a data controller, number {NUMBER}.")
    page.goto("/contact/")
    page.locator("form.lang-switch button[value=sw]").click()  # the language switch, as a visitor changes it
    expect(page.locator("html")).to_have_attribute("lang", "sw")
    expect(page.locator("section.notice")).to_contain_text(
        f"Tumesajiliwa na Ofisi ya Kamishna wa Ulinzi wa Data kama mdhibiti wa data, nambari {NUMBER}.")
    page.goto("/privacy/")
    expect(page.locator("#registration")).to_contain_text(f"nambari {NUMBER}")
