"""Signed consent receipts a person keeps (docs/proofs.md maps the fields to ISO/IEC 27560 and the Kantara
consent receipt). Signed on demand from the stored receipt, and only from what the receipt row fixed when it
was written (its own columns, and the notice and policy version it points at, which never change once
written or published): the signature (Ed25519 is deterministic) is the same each time it is asked for with
the same key, whatever staff later change in the purpose."""

import uuid

from django.conf import settings
from django.urls import reverse

from apps.notifications.rendering import Attachment
from apps.vault.proofs import proof_sign, registrations

from .models import ConsentRecord, PurposeNotice


def _notice(record: ConsentRecord) -> dict:
    """The notice presented: which version of the purpose's words, in which language, and the words
    themselves, so the receipt alone shows what was agreed to (SHA-256 of `text`, UTF-8, is `sha256`).
    Receipts written before notices were kept name only the hash and language they fixed."""
    notice: PurposeNotice | None = record.notice
    fixed = {"wording_sha256": record.wording_sha256, "form_version": record.form_version,
             "language": record.language or None}
    if notice is None:
        return {**fixed, "id": None, "version": None, "sha256": record.wording_sha256 or None, "text": None}
    return {**fixed, "id": notice.pk, "version": notice.version, "language": notice.language,
            "sha256": notice.sha256, "text": notice.text}


def receipt_payload(record: ConsentRecord) -> dict:
    policy = record.policy_version
    return {
        "type": "consent-receipt",
        "version": "privacy-portal-receipt/2",
        "receipt_id": str(record.pk),
        "recorded_at": record.created_at.isoformat(),
        "jurisdiction": "KE",
        # The language the consent was given in (Kantara `language`).
        "language": record.language or None,
        "controller": {"name": settings.CONTROLLER_NAME, "contact": settings.PRIVACY_OFFICER_EMAIL,
                       **registrations()},
        "subject_id": str(record.subject_id),
        # Only what the receipt row itself fixed: the purpose's name and legal basis can be edited later;
        # the notice below carries the words shown (name, explanation, legal basis, retention, recipients).
        "purpose": {"id": record.purpose.slug, "legal_basis": record.legal_basis or None},
        "action": record.action,
        "notice": _notice(record),
        "policy": ({"version": policy.version,
                    "url": settings.SITE_URL + reverse("privacy-policy-version", args=[policy.version])}
                   if policy else None),
        "collection": {"point": record.collection_point, "source": record.source,
                       "form_version": record.form_version,
                       **({"handed_over_by": {"controller_id": str(record.controller_id),
                                              "obtained_at": record.obtained_at.isoformat() if record.obtained_at
                                              else None,
                                              "obtained_how": record.obtained_how,
                                              "evidence_reference": record.evidence_reference}}
                          if record.controller_id else {})},
    }


def receipt_sign(record: ConsentRecord) -> str:
    return proof_sign(receipt_payload(record))


def receipt_filename(record: ConsentRecord) -> str:
    return f"consent-receipt-{record.pk}.jws"


def receipt_attachments(context: dict, subject_id: uuid.UUID) -> list[Attachment]:
    """The signed receipts a confirmation email carries, one file per receipt (the file the self-service page
    offers), from the receipt ids in its stored context; only this person's."""
    ids = []
    for value in context.get("receipts") or []:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    records = (ConsentRecord.objects.filter(pk__in=ids, subject_id=subject_id)
               .select_related("purpose", "policy_version", "notice").order_by("created_at"))
    return [Attachment(receipt_filename(r), receipt_sign(r).encode("ascii"), "application/jose") for r in records]
