"""/verify/ says in plain words what a pasted proof is: a consent receipt names its purpose as the reader
knows it (not its id), a signed tree head and an audit anchor from the public log are recognised and
explained, in English and Swahili, and a head the log no longer matches is called out."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import transaction
from playwright.sync_api import expect

from apps.audit.services import Actor, Entry, audit_records
from apps.consent.models import Purpose
from apps.consent.receipts import receipt_sign
from apps.consent.services import CollectionContext, consent_give
from apps.vault import tasks, transparency
from apps.vault.models import AnchorEntry
from tests.factories import SubjectFactory
from tests.pages import WCAG
from tests.vault.helpers import drop_newest_certificate, erase_people

pytestmark = pytest.mark.django_db


def _receipt(slug: str = "recruitment", action: str = "given") -> str:
    record = consent_give(subject=SubjectFactory(), purpose=Purpose.objects.get(slug=slug),
                          context=CollectionContext(collection_point="apply-form", form_version="2",
                                                    source="web-form"))
    return receipt_sign(record)


def _check(client, proof: str, language: str = "en") -> str:
    client.cookies["django_language"] = language
    response = client.post("/verify/", {"proof": proof}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_a_receipt_names_its_purpose_in_the_readers_language_not_its_id(client, demo_purposes):
    signed = _receipt("share-with-employer")
    english = _check(client, signed)
    assert 'consent for the purpose "Sharing with the hiring company" was given' in english
    swahili = _check(client, signed, "sw")
    assert 'idhini kwa madhumuni "Kuwapa taarifa kampuni inayoajiri" ilitolewa' in swahili
    assert "share-with-employer" not in english.split('id="verify-result"')[1].split("</section>")[0]


def test_a_signed_tree_head_is_explained_and_checked_against_the_log_as_it_is_now(client):
    erase_people(3)
    first = transparency.tree_head_publish()
    erase_people(2)
    latest = transparency.tree_head_publish()
    page = _check(client, first.signed)
    assert "Valid signed tree head" in page and "our public log held 3 entries" in page
    assert first.root_hash in page
    assert "Our log today still begins with exactly these 3 entries (5 entries in all)." in page
    swahili = _check(client, latest.signed, "sw")
    assert "Kichwa halali cha kumbukumbu kilichotiwa sahihi" in swahili
    assert "kumbukumbu yetu ya umma ilikuwa na maingizo 5" in swahili
    assert "Kumbukumbu yetu leo bado inaanza na maingizo haya haya 5" in swahili

    kept = client.get("/transparency/heads/latest").content.decode()  # the head as a person saves it (JSON)
    assert "Our log today still begins with exactly these 5 entries" in _check(client, kept)

    drop_newest_certificate()  # cut back with SQL to 4 leaves; the head of 5 is gone from the key store
    page = _check(client, latest.signed)  # the head a person kept
    assert "Our log today no longer holds the entries this head describes" in page
    assert "still begins" not in page
    assert "Our log today no longer holds" in _check(client, kept)
    assert "Our log today still begins with exactly these 3 entries" in _check(client, first.signed)


def test_an_audit_anchor_is_recognised_and_found_in_the_log(client):
    with transaction.atomic():
        audit_records(entries=[Entry(Actor.system("test"), "pii.revealed", "t1")])
    tasks.audit_anchor_log_task()
    anchor = AnchorEntry.objects.get()
    page = _check(client, anchor.signed)
    assert "Valid audit anchor" in page and "This anchor is not yet in a published version" in page
    head = transparency.tree_head_publish()
    page = _check(client, anchor.signed)
    assert f"This anchor is in our public log (entry 0 of {head.size})." in page
    assert f"{len(anchor.heads)} chains" in page
    assert "Nanga hii iko kwenye kumbukumbu yetu ya umma" in _check(client, anchor.signed, "sw")


@pytest.mark.real_services
def test_a_swahili_reader_checks_a_tree_head_and_a_receipt_in_the_browser(page, demo_purposes):
    signed_receipt = _receipt()
    erase_people(2)
    head = transparency.tree_head_publish()
    page.goto("/verify/")
    page.get_by_role("banner").get_by_role("button", name=re.compile("^Kiswahili")).click()
    expect(page.locator("html")).to_have_attribute("lang", "sw")
    page.locator("#id_proof").fill(head.signed)
    page.get_by_role("button", name="Ikague").click()
    expect(page.get_by_role("heading", name="Kichwa halali cha kumbukumbu kilichotiwa sahihi")).to_be_visible()
    expect(page.locator("#verify-root")).to_have_text(head.root_hash)
    expect(page.locator("#verify-head-holds")).to_contain_text("bado inaanza na maingizo haya haya 2")
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, width  # the root hash wraps

    page.locator("#id_proof").fill(signed_receipt)
    page.get_by_role("button", name="Ikague").click()
    expect(page.get_by_role("heading", name="Stakabadhi halali ya idhini")).to_be_visible()
    expect(page.locator("#verify-result")).to_contain_text('idhini kwa madhumuni "Uajiri" ilitolewa')
    expect(page.locator("#verify-result")).not_to_contain_text("recruitment")
    assert page.console_errors == [] and page.foreign_requests == []
