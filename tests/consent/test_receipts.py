"""A signed consent receipt names the exact notice shown (version, language, words, hash), the policy version and
where it was collected; the confirmation email carries the receipts of that submission, verifiable offline."""

import hashlib
import html
import json
import re

import pytest

from apps.audit.services import Actor
from apps.consent.models import ConsentRecord, Purpose
from apps.consent.receipts import receipt_attachments, receipt_sign
from apps.consent.services import purpose_save
from apps.notifications.models import Notification
from apps.subjects.links import link_token
from apps.vault.proofs import proof_verify
from privacy_portal_verify.jws import verify as verify_offline
from tests.consent.helpers import application_post, send_form
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def _apply(client, language: str = "en", **overrides) -> None:
    client.cookies["django_language"] = language
    page = client.get("/apply/").content.decode()
    notice_ids = dict(re.findall(r'name="notice_([\w-]+)" value="(\d+)"', page))
    response = send_form(client, "/apply/", application_post(**{f"notice_{s}": i for s, i in notice_ids.items()},
                                                       **overrides))
    assert response.status_code == 302


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_receipt_names_the_notice_version_language_words_and_hash_shown(demo_purposes, client, language):
    _apply(client, language)
    record = ConsentRecord.objects.get(purpose__slug="recruitment")
    signed = proof_verify(receipt_sign(record))

    notice = signed["notice"]
    assert (notice["id"], notice["version"], notice["language"]) == (record.notice_id, 1, language)
    assert signed["language"] == language
    assert notice["sha256"] == hashlib.sha256(notice["text"].encode()).hexdigest() == record.wording_sha256
    assert ("Msingi wa kisheria:" if language == "sw" else "Legal basis:") in notice["text"]
    assert signed["purpose"] == {"id": "recruitment", "legal_basis": "consent"}
    assert signed["policy"]["version"] == "1" and signed["policy"]["url"].endswith("/privacy/versions/1/")
    assert signed["collection"] == {"point": "apply-form", "source": "web-form", "form_version": record.form_version}


def test_after_the_words_change_an_old_receipt_still_names_the_words_it_was_given_under(demo_purposes, client):
    _apply(client)
    old = ConsentRecord.objects.get(purpose__slug="recruitment")
    purpose = Purpose.objects.get(slug="recruitment")
    purpose.explanation = "We also keep your CV on file for similar jobs."
    purpose.legal_basis = Purpose.LegalBasis.CONTRACT
    purpose_save(purpose=purpose, actor=Actor.system("test"), changed=["explanation", "legal_basis"])
    _apply(client, email="second@example.org")
    new = ConsentRecord.objects.filter(purpose__slug="recruitment").exclude(pk=old.pk).get()

    old_signed, new_signed = proof_verify(receipt_sign(old)), proof_verify(receipt_sign(new))
    assert old_signed["notice"]["version"] == 1 and "similar jobs" not in old_signed["notice"]["text"]
    assert old_signed["purpose"]["legal_basis"] == "consent"
    assert new_signed["notice"]["version"] == 2 and "similar jobs" in new_signed["notice"]["text"]
    assert new_signed["purpose"]["legal_basis"] == "contract"
    assert receipt_sign(old) == receipt_sign(old)  # the same file each time it is asked for


def test_a_receipt_written_before_notices_were_kept_still_signs_only_what_its_row_fixed(demo_purposes):
    record = ConsentRecord.objects.create(
        subject=SubjectFactory(), purpose=Purpose.objects.get(slug="marketing"), action="given",
        collection_point="contact-form", form_version="1", wording_sha256="ab" * 32, source="web-form")
    signed = proof_verify(receipt_sign(record))
    assert signed["notice"] == {"id": None, "version": None, "language": None, "text": None,
                                "sha256": "ab" * 32, "wording_sha256": "ab" * 32, "form_version": "1"}
    assert signed["purpose"] == {"id": "marketing", "legal_basis": None} and signed["policy"] is None


def _attachments(message) -> dict[str, tuple[str, bytes]]:
    return {part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
            for part in message.walk() if part.get_filename()}


@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_confirmation_email_carries_the_signed_receipts_of_that_submission(
        demo_purposes, client, mailbox, django_capture_on_commit_callbacks, language):
    with django_capture_on_commit_callbacks(execute=True):
        _apply(client, language, **{"consent_marketing": "on"})
    keys = client.get("/.well-known/privacy-proofs/keys.json").json()
    email = next(m for m in mailbox if "amani.wekesa@example.org" in m["X-Envelope-To"])
    records = {str(r.pk): r for r in ConsentRecord.objects.all()}
    attached = _attachments(email)

    assert set(attached) == {f"consent-receipt-{pk}.jws" for pk in records}  # one file per receipt
    for filename, (content_type, content) in attached.items():
        assert content_type == "application/jose"
        _header, payload = verify_offline(content.decode("ascii"), keys)  # the published key, no Django
        record = records[payload["receipt_id"]]
        assert filename == f"consent-receipt-{record.pk}.jws"
        assert payload["subject_id"] == str(record.subject_id) and payload["notice"]["language"] == language
        assert payload["notice"]["sha256"] == record.notice.sha256
    body = next(p for p in email.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert ("/verify/" in body) and ("3" in body)
    if language == "sw":
        assert "Attached" not in body
    # The stored message keeps only the receipts' ids: the files are built when it is sent.
    stored = Notification.objects.get(template="confirmation", channel="email").context
    assert sorted(stored["receipts"]) == sorted(records) and "eyJ" not in json.dumps(stored)


def test_a_confirmation_never_attaches_another_persons_receipt(demo_purposes, client):
    _apply(client)
    receipt = ConsentRecord.objects.first()
    stranger = SubjectFactory()
    assert receipt_attachments({"receipts": [str(receipt.pk), "not-an-id"]}, stranger.pk) == []
    assert [a.filename for a in receipt_attachments({"receipts": [str(receipt.pk)]}, receipt.subject_id)] == [
        f"consent-receipt-{receipt.pk}.jws"]


def test_the_verify_page_shows_the_words_a_receipt_was_given_under(demo_purposes, client):
    _apply(client, "sw")
    record = ConsentRecord.objects.get(purpose__slug="recruitment")
    page = client.post("/verify/", {"proof": receipt_sign(record)}, HTTP_ACCEPT_LANGUAGE="sw").content.decode()
    words = page.split('id="verify-words">')[1].split("</blockquote>")[0]
    assert "Msingi wa kisheria:" in words and "Uajiri" in words
    assert 'href="/privacy/versions/1/"' in page


def test_the_private_page_shows_each_receipt_with_the_words_it_was_given_under(demo_purposes, client):
    _apply(client)
    record = ConsentRecord.objects.get(purpose__slug="recruitment")
    purpose = record.purpose
    purpose.explanation = "We also keep your CV on file for similar jobs."
    purpose_save(purpose=purpose, actor=Actor.system("test"), changed=["explanation"])

    page = client.get(f"/me/{link_token(record.subject)}/").content.decode()
    receipts = page.split("Your consent receipts")[1].split("</table>")[0]
    assert html.escape(record.notice.paragraphs[1], quote=True) in receipts  # the words agreed to, not today's
    assert "similar jobs" not in receipts
    assert f"/receipts/{record.pk}/" in receipts and 'href="/privacy/versions/1/"' in receipts
