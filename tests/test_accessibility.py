"""WCAG 2.2 A/AA checks (axe-core, run inside Chromium) on the pages visitors and data subjects use."""

import re
from io import StringIO

import pytest
from axe_playwright_python.sync_playwright import Axe

from apps.audit.services import Actor
from apps.consent.models import Purpose
from apps.consent.receipts import receipt_sign
from apps.consent.services import CollectionContext, consent_give
from apps.cookies.seed import seed_demo as seed_cookies
from apps.policies.services import disclosure_choice_record
from apps.subjects.links import link_token
from apps.subjects.seed import DEMO_VACANCIES
from apps.subjects.services import restriction_set, subject_erase
from tests.consent.helpers import application_post, intake_link, send_form
from tests.factories import EngagementFactory
from tests.pages import WCAG
from tests.policies.helpers import BACKGROUND, HIRING, publish

DEMO_VACANCY = DEMO_VACANCIES[0]["id"]


def _check(page, path: str) -> None:
    page.goto(path)
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, f"{path}:\n{results.generate_report()}"


@pytest.mark.parametrize("path", ["/", "/apply/", "/contact/", "/privacy/", "/cookies/", "/me/resend/",
                                  "/me/not-a-token/", "/verify/", "/jobs/", f"/jobs/{DEMO_VACANCY}/",
                                  f"/apply/?vacancy={DEMO_VACANCY}", "/apply/?vacancy=closed-or-unknown"])
def test_public_pages_meet_wcag_aa(page, demo_purposes, path):
    _check(page, path)


def test_a_form_with_errors_meets_wcag_aa(page, demo_purposes):
    page.goto("/apply/")
    page.get_by_role("button", name="Send my application").click()
    assert page.get_by_text("Please correct the fields marked below").is_visible()
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_the_self_service_pages_meet_wcag_aa(page, demo_purposes, client, mailoutbox, settings, live_server):
    settings.SITE_URL = live_server.url
    assert send_form(client, "/apply/", application_post()).status_code == 302
    link = re.search(r"https?://\S+/me/\S+/", mailoutbox[-1].body).group(0)
    for path in ["", "code/", "delete/"]:
        _check(page, link + path)


def test_the_pages_of_a_form_waiting_for_its_code_meet_wcag_aa(page, demo_purposes, client, settings, live_server):
    settings.SITE_URL = live_server.url
    assert send_form(client, "/apply/", application_post(), confirm=False).status_code == 302
    # The browser that sent it: the form it holds is named by its cookies (pp_sent).
    page.context.add_cookies([{"name": c.key, "value": c.value, "url": live_server.url}
                              for c in client.cookies.values()])
    _check(page, "/sent/code/")
    page.locator("#id_code").fill("12")
    page.locator("button[value=code]").click()
    page.get_by_role("alert").wait_for()  # a mistake, summarised
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    _check(page, "/" + intake_link().split("/", 3)[3])  # the emailed link's page


def test_the_verify_page_with_a_result_meets_wcag_aa(page, demo_purposes):
    certificate = subject_erase(subject=EngagementFactory().subject, reason="subject-request")
    page.goto("/verify/")
    page.get_by_label("Paste the receipt or certificate").fill(certificate.signed)
    page.get_by_role("button", name="Check it").click()
    page.get_by_role("heading", name="Valid deletion certificate").wait_for()
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_the_self_service_page_of_a_restricted_person_meets_wcag_aa(page, demo_purposes, live_server):
    subject = EngagementFactory().subject
    restriction_set(subject=subject, actor=Actor.system("test"), ground="accuracy-contested")
    _check(page, f"/me/{link_token(subject)}/")
    assert page.get_by_role("heading", name="Processing of your data is restricted").is_visible()


def test_the_verify_page_with_a_receipt_and_the_private_page_with_choices_meet_wcag_aa(
        page, demo_purposes, django_capture_on_commit_callbacks):
    subject = EngagementFactory().subject
    receipt = consent_give(subject=subject, purpose=Purpose.objects.get(slug="recruitment"),
                           context=CollectionContext(collection_point="apply-form", form_version="2",
                                                     source="web-form", language="sw"))
    with django_capture_on_commit_callbacks(execute=True):
        version = publish(disclosures=[HIRING, BACKGROUND]).version
    disclosure_choice_record(subject=subject, version=version, key="background-check", choice="opted-out",
                             source="email-link")
    page.goto("/verify/")
    page.get_by_label("Paste the receipt or certificate").fill(receipt_sign(receipt))
    page.get_by_role("button", name="Check it").click()
    page.get_by_role("heading", name="Valid consent receipt").wait_for()
    assert page.locator("#verify-words").is_visible()
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    _check(page, f"/me/{link_token(subject)}/")
    assert page.locator("#choice-receipts").is_visible()


def test_the_api_docs_page_meets_wcag_aa_and_fits_a_phone(page, demo_purposes):
    """Client companies' developers read it: Swagger UI from our origin, with its colours darkened to AA
    contrast and no deep links nested in its buttons."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/api/v1/docs")
    page.locator(".opblock-summary-method").first.wait_for()  # rendered by its script
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320


def test_the_cookie_banner_with_its_switches_open_meets_wcag_aa(page, demo_purposes):
    seed_cookies(StringIO())  # the switches: necessary (always on), analytics, marketing
    page.goto("/")
    page.get_by_text("Choose", exact=True).click()
    page.get_by_role("switch", name="Analytics").check()
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
