"""Signed consent receipts a person keeps (docs/proofs.md maps the fields to ISO/IEC 27560 and the Kantara
consent receipt). Signed on demand from the stored receipt: the receipt row is the record, the signature
(Ed25519 is deterministic) is the same each time it is asked for with the same key."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from apps.vault.proofs import proof_sign

from .models import ConsentRecord


def receipt_payload(record: ConsentRecord) -> dict:
    policy = record.policy_version
    # The purpose's name as shown, in the language shown (purposes have a text per language): the same
    # receipt signs the same whatever the language of the page that asks for it.
    with translation.override(record.language or settings.LANGUAGE_CODE):
        purpose_name = str(record.purpose.name)
    return {
        "type": "consent-receipt",
        "version": "privacy-portal-receipt/1",
        "receipt_id": str(record.pk),
        "recorded_at": record.created_at.isoformat(),
        "jurisdiction": "KE",
        "controller": {"name": settings.CONTROLLER_NAME, "contact": settings.PRIVACY_OFFICER_EMAIL,
                       "registration": settings.CONTROLLER_REGISTRATION},
        "subject_id": str(record.subject_id),
        "purpose": {"id": record.purpose.slug, "name": purpose_name,
                    "legal_basis": record.purpose.legal_basis, "required": record.purpose.required},
        "action": record.action,
        "notice": {"wording_sha256": record.wording_sha256, "form_version": record.form_version,
                   "language": record.language or None},
        "policy": ({"version": policy.version,
                    "url": settings.SITE_URL + reverse("privacy-policy-version", args=[policy.version])}
                   if policy else None),
        "collection": {"point": record.collection_point, "source": record.source},
    }


def receipt_sign(record: ConsentRecord) -> str:
    return proof_sign(receipt_payload(record))
