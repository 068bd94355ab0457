"""Proofs a person keeps: signed receipts and certificates that verify with the published keys, here and
offline, and fail when a single byte changes."""

import base64
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.core import checks
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.services import Actor
from apps.consent.models import ConsentRecord
from apps.consent.receipts import receipt_sign
from apps.consent.services import purpose_save
from apps.subjects.links import link_token
from apps.vault import transparency
from apps.vault.proofs import ProofInvalid, proof_verify
from privacy_portal_verify import merkle
from privacy_portal_verify.jws import b64decode
from tests.conftest import ROOT
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _changed(token: str, field: str) -> str:
    """The same proof with one field of its payload changed and the signature kept."""
    header, payload, signature = token.split(".")
    body = json.loads(b64decode(payload))
    value = body[field]
    body[field] = "x" if not isinstance(value, str) else value[:-1] + ("0" if value[-1] != "0" else "1")
    forged = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def test_a_receipt_and_a_certificate_verify_with_the_published_keys(client, receipt, certificate):
    keys = client.get("/.well-known/privacy-proofs/keys.json").json()
    assert keys["keys"][0]["crv"] == "Ed25519" and "d" not in keys["keys"][0]
    signed_receipt = proof_verify(receipt_sign(receipt))
    assert signed_receipt["purpose"]["id"] == "recruitment" and signed_receipt["subject_id"] == str(receipt.subject_id)
    assert signed_receipt["policy"]["version"] == "1"
    assert signed_receipt["notice"]["wording_sha256"] == receipt.wording_sha256
    signed_certificate = proof_verify(certificate.signed)
    assert signed_certificate["certificate_id"] == str(certificate.pk)
    assert "identity" in signed_certificate["categories"]


RECEIPT_FIELDS = ["type", "version", "receipt_id", "recorded_at", "jurisdiction", "language", "controller",
                  "subject_id", "purpose", "action", "notice", "policy", "collection"]


def test_every_field_of_a_receipt_is_tried_below(receipt):
    assert sorted(proof_verify(receipt_sign(receipt))) == sorted(RECEIPT_FIELDS)


@pytest.mark.parametrize("field", RECEIPT_FIELDS)
def test_a_changed_receipt_fails(receipt, field):
    with pytest.raises(ProofInvalid):
        proof_verify(_changed(receipt_sign(receipt), field))


@pytest.mark.parametrize("field", ["type", "certificate_id", "subject_id", "reason", "categories", "counts",
                                   "key_destroyed_at", "completed_at", "issuer"])
def test_a_changed_certificate_fails(certificate, field):
    with pytest.raises(ProofInvalid):
        proof_verify(_changed(certificate.signed, field))


def test_a_changed_signature_byte_fails(certificate):
    header, payload, signature = certificate.signed.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(ProofInvalid):
        proof_verify(f"{header}.{payload}.{flipped}")


def test_a_proof_signed_before_a_rotation_verifies_while_its_key_is_published(settings, certificate):
    old = settings.PROOF_SIGNING_KEYS
    settings.PROOF_SIGNING_KEYS = f"new2:{_key()},{old}"
    assert proof_verify(certificate.signed)["certificate_id"] == str(certificate.pk)
    settings.PROOF_SIGNING_KEYS = f"new2:{_key()}"  # the old key withdrawn: no longer accepted
    with pytest.raises(ProofInvalid):
        proof_verify(certificate.signed)


def test_without_a_signing_key_the_site_refuses_to_start(settings):
    settings.PROOF_SIGNING_KEYS = ""
    errors = [m for m in checks.run_checks() if m.id == "vault.E002"]
    assert errors and "PROOF_SIGNING_KEYS" in errors[0].msg


def test_the_verify_page_says_in_plain_words_whether_a_certificate_is_genuine_and_logged(client, certificate):
    page = client.post("/verify/", {"proof": certificate.signed}).content.decode()
    assert "Valid deletion certificate" in page and "not yet in a published version" in page
    transparency.tree_head_publish()
    page = client.post("/verify/", {"proof": certificate.signed}).content.decode()
    assert "It is in our public log (entry 0 of 1)" in page
    page = client.post("/verify/", {"proof": _changed(certificate.signed, "reason")}).content.decode()
    assert "Not valid" in page and "Valid deletion" not in page
    assert client.post("/verify/", {"proof": ""}).status_code == 400


def test_the_verify_page_checks_a_chosen_file_as_well_as_a_pasted_one(client, certificate):
    upload = SimpleUploadedFile(f"deletion-certificate-{certificate.pk}.jws", certificate.signed.encode(),
                                content_type="application/jose")
    response = client.post("/verify/", {"proof": "", "file": upload})
    assert response.status_code == 200 and "Valid deletion certificate" in response.content.decode()


def test_the_verify_page_answers_in_swahili(client, receipt):
    client.cookies["django_language"] = "sw"
    page = client.post("/verify/", {"proof": receipt_sign(receipt)}, HTTP_ACCEPT_LANGUAGE="sw").content.decode()
    assert 'lang="sw"' in page and "Valid consent receipt" not in page and "Stakabadhi halali ya idhini" in page


def test_the_person_downloads_each_signed_receipt_behind_their_link(client, receipt):
    other = SubjectFactory()
    response = client.get(f"/me/{link_token(receipt.subject)}/receipts/{receipt.pk}/")
    assert proof_verify(response.content.decode())["receipt_id"] == str(receipt.pk)
    assert client.get(f"/me/{link_token(other)}/receipts/{receipt.pk}/").status_code == 404  # not theirs
    assert client.get(f"/me/not-a-token/receipts/{receipt.pk}/").status_code == 404


def test_the_offline_verifier_checks_signature_and_inclusion(tmp_path, client, certificate):
    transparency.tree_head_publish()
    (tmp_path / "cert.jws").write_text(certificate.signed)
    (tmp_path / "keys.json").write_text(client.get("/.well-known/privacy-proofs/keys.json").content.decode())
    head = client.get("/transparency/heads/latest").json()
    (tmp_path / "head.json").write_text(json.dumps(head))
    leaf = merkle.leaf_hash(certificate.signed.encode()).hex()
    (tmp_path / "proof.json").write_text(client.get(f"/transparency/proof/inclusion?hash={leaf}").content.decode())

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "privacy_portal_verify", *args], cwd=ROOT, capture_output=True,
                              text=True, env={"PATH": os.environ["PATH"]}, check=False)

    ok = run(str(tmp_path / "cert.jws"), "--keys", str(tmp_path / "keys.json"), "--head", str(tmp_path / "head.json"),
             "--proof", str(tmp_path / "proof.json"))
    assert ok.returncode == 0 and "included in the public log at position 0 of 1" in ok.stdout, ok.stderr
    (tmp_path / "forged.jws").write_text(_changed(certificate.signed, "reason"))
    bad = run(str(tmp_path / "forged.jws"), "--keys", str(tmp_path / "keys.json"))
    assert bad.returncode == 1 and "NOT VALID" in bad.stdout
    assert uuid.UUID(json.loads(b64decode(certificate.signed.split(".")[1]))["certificate_id"]) == certificate.pk


def test_a_certificate_names_no_personal_data(certificate):
    payload = proof_verify(certificate.signed)
    assert set(payload) == {"type", "certificate_id", "subject_id", "reason", "categories", "counts",
                            "key_destroyed_at", "completed_at", "issuer", "notice"}
    assert payload["notice"] in {"email", "sms", "none", "undeliverable"}  # how the person is told, not where


def _segment(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("header", [[], "x", 1, None, {"alg": "Ed25519", "kid": "test1", "crit": ["exp"]}])
def test_a_malformed_proof_is_not_valid_and_never_an_error_page(client, header):
    page = client.post("/verify/", {"proof": f"{_segment(header)}.{_segment({'type': 'x'})}.AAAA"})
    assert page.status_code == 200 and "Not valid" in page.content.decode()


def test_a_deeply_nested_proof_is_not_valid(client):
    page = client.post("/verify/", {"proof": f"{_segment({'alg': 'Ed25519'})}.{'W' * 40000}.AAAA"})
    assert page.status_code == 200 and "Not valid" in page.content.decode()


def test_a_second_spelling_of_the_same_signature_is_refused(certificate):
    """base64url with different unused bits decodes to the same bytes: only the exact form we issued counts."""
    header, payload, signature = certificate.signed.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    respelled = signature[:-1] + alphabet[last ^ 1]  # a 64-byte signature leaves 2 unused bits in its last char
    assert b64decode(respelled) == b64decode(signature)
    with pytest.raises(ProofInvalid):
        proof_verify(f"{header}.{payload}.{respelled}")


def test_a_receipt_says_what_was_agreed_then_not_what_the_purpose_says_today(receipt):
    before = proof_verify(receipt_sign(receipt))
    purpose = receipt.purpose
    purpose.name, purpose.required = "Selling to partners", False
    purpose_save(purpose=purpose, actor=Actor.system("t"), changed=["name", "required"])
    after = proof_verify(receipt_sign(ConsentRecord.objects.get(pk=receipt.pk)))
    assert after == before


@pytest.mark.parametrize("given", ["--head", "--proof"])
def test_the_offline_verifier_refuses_a_head_without_its_proof_and_says_so(tmp_path, client, certificate, given):
    """Given only one of the two, it used to check the signature and say nothing about the log."""
    transparency.tree_head_publish()
    (tmp_path / "cert.jws").write_text(certificate.signed)
    (tmp_path / "keys.json").write_text(client.get("/.well-known/privacy-proofs/keys.json").content.decode())
    (tmp_path / "other.json").write_text(json.dumps(client.get("/transparency/heads/latest").json()))
    run = subprocess.run([sys.executable, "-m", "privacy_portal_verify", str(tmp_path / "cert.jws"), "--keys",
                          str(tmp_path / "keys.json"), given, str(tmp_path / "other.json")], cwd=ROOT,
                         capture_output=True, text=True, env={"PATH": os.environ["PATH"]}, check=False)
    missing = "--proof" if given == "--head" else "--head"
    assert run.returncode == 2 and run.stdout == ""  # nothing said valid
    assert f"error: {given} needs {missing}: to check that the proof is in the public log" in run.stderr
    assert "nothing was checked" in run.stderr


def test_the_offline_verifier_reads_a_tree_head_saved_as_the_site_answers_it(tmp_path, client, certificate):
    transparency.tree_head_publish()
    (tmp_path / "keys.json").write_text(client.get("/.well-known/privacy-proofs/keys.json").content.decode())
    (tmp_path / "head.json").write_text(client.get("/transparency/heads/latest").content.decode())
    run = subprocess.run([sys.executable, "-m", "privacy_portal_verify", str(tmp_path / "head.json"), "--keys",
                          str(tmp_path / "keys.json")], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": os.environ["PATH"]}, check=False)
    assert run.returncode == 0 and "valid tree-head, signed by the published key" in run.stdout, run.stderr
    assert '  size: 1' in run.stdout
