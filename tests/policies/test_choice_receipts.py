"""A choice about a new disclosure (opt out, opt in) is a signed receipt the person keeps and can check."""

import base64
import json

import pytest
from django.core import mail

from apps.core import datamap
from apps.policies.models import DisclosureChoice
from apps.policies.receipts import choice_receipt_sign
from apps.policies.services import disclosure_choice_record
from apps.subjects.links import link_token
from apps.vault.proofs import ProofInvalid, proof_verify
from privacy_portal_verify.jws import b64decode
from tests.factories import EngagementFactory, SubjectFactory
from tests.policies.helpers import BACKGROUND, HIRING, TALENT_POOL, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(demo_purposes, django_capture_on_commit_callbacks):
    subject = EngagementFactory(subject=SubjectFactory()).subject
    with django_capture_on_commit_callbacks(execute=True):
        version = publish(disclosures=[HIRING, BACKGROUND, TALENT_POOL]).version
    disclosure_choice_record(subject=subject, version=version, key="background-check", choice="opted-out",
                             source="email-link")
    disclosure_choice_record(subject=subject, version=version, key="talent-pool", choice="opted-in",
                             source="self-service")
    mail.outbox.clear()
    return subject


def test_a_choice_receipt_says_who_chose_what_about_which_disclosure_under_which_version(person):
    choice = DisclosureChoice.objects.get(subject=person, disclosure_key="background-check")
    signed = proof_verify(choice_receipt_sign(choice))
    assert signed["type"] == "disclosure-choice-receipt" and signed["choice"] == "opted-out"
    assert signed["subject_id"] == str(person.pk) and signed["receipt_id"] == str(choice.pk)
    assert signed["disclosure"]["recipient"]["en"] == "Uhakiki Vetting Ltd"
    assert signed["disclosure"]["compatible"] is True and signed["disclosure"]["purpose_id"] == "recruitment"
    assert signed["policy"]["version"] == "2" and signed["policy"]["url"].endswith("/privacy/versions/2/")
    assert signed["collection"] == {"source": "email-link"}
    assert choice_receipt_sign(choice) == choice_receipt_sign(choice)  # the same file each time


def test_a_changed_choice_receipt_fails(person):
    header, payload, signature = choice_receipt_sign(DisclosureChoice.objects.first()).split(".")
    body = json.loads(b64decode(payload))
    body["choice"] = "opted-in" if body["choice"] == "opted-out" else "opted-out"
    forged = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")
    with pytest.raises(ProofInvalid):
        proof_verify(f"{header}.{forged}.{signature}")


def test_the_person_downloads_each_choice_receipt_and_finds_them_in_the_export(person, client):
    token = link_token(person)
    page = client.get(f"/me/{token}/").content.decode()
    listed = page.split('id="choice-receipts">')[1].split("</ul>")[0]
    assert "Uhakiki Vetting Ltd" in listed and "Partner recruiters" in listed
    for choice in DisclosureChoice.objects.filter(subject=person):
        url = f"/me/{token}/choices/{choice.pk}/"
        assert f'href="{url}"' in listed
        response = client.get(url)
        assert response["Content-Disposition"] == f'attachment; filename="disclosure-choice-{choice.pk}.jws"'
        assert proof_verify(response.content.decode())["receipt_id"] == str(choice.pk)
        stranger = SubjectFactory()
        assert client.get(f"/me/{link_token(stranger)}/choices/{choice.pk}/").status_code == 404
    exported = datamap.export_for(subject_id=person.pk)["data"]["disclosure_choices"]["rows"]
    assert {proof_verify(row["signed"])["choice"] for row in exported} == {"opted-out", "opted-in"}


@pytest.mark.parametrize(("language", "words"), [("en", "you refused that we give your data to Uhakiki Vetting Ltd"),
                                                 ("sw", "Uhakiki Vetting Ltd")])
def test_the_verify_page_says_what_the_choice_was(person, client, language, words):
    choice = DisclosureChoice.objects.get(subject=person, disclosure_key="background-check")
    client.cookies["django_language"] = language
    page = client.post("/verify/", {"proof": choice_receipt_sign(choice)}).content.decode()
    assert words in page and "Not valid" not in page
    if language == "sw":
        assert "Valid receipt of your choice" not in page
