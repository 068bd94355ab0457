"""Signed consent receipts a person keeps (docs/proofs.md maps the fields to ISO/IEC 27560 and the Kantara
consent receipt). Signed on demand from the stored receipt, and only from what the receipt row fixed when it
was written: the signature (Ed25519 is deterministic) is the same each time it is asked for with the same
key, whatever staff later change in the purpose."""

from django.conf import settings
from django.urls import reverse

from apps.vault.proofs import proof_sign

from .models import ConsentRecord


def receipt_payload(record: ConsentRecord) -> dict:
    policy = record.policy_version
    return {
        "type": "consent-receipt",
        "version": "privacy-portal-receipt/1",
        "receipt_id": str(record.pk),
        "recorded_at": record.created_at.isoformat(),
        "jurisdiction": "KE",
        "controller": {"name": settings.CONTROLLER_NAME, "contact": settings.PRIVACY_OFFICER_EMAIL,
                       "registration": settings.CONTROLLER_REGISTRATION},
        "subject_id": str(record.subject_id),
        # Only what the receipt row itself fixed: the purpose's words can be edited later, and the notice's
        # hash below is what binds the receipt to the exact words shown.
        "purpose": {"id": record.purpose.slug},
        "action": record.action,
        "notice": {"wording_sha256": record.wording_sha256, "form_version": record.form_version,
                   "language": record.language or None},
        "policy": ({"version": policy.version,
                    "url": settings.SITE_URL + reverse("privacy-policy-version", args=[policy.version])}
                   if policy else None),
        "collection": {"point": record.collection_point, "source": record.source,
                       **({"handed_over_by": {"controller_id": str(record.controller_id),
                                              "obtained_at": record.obtained_at.isoformat() if record.obtained_at
                                              else None,
                                              "obtained_how": record.obtained_how,
                                              "evidence_reference": record.evidence_reference}}
                          if record.controller_id else {})},
    }


def receipt_sign(record: ConsentRecord) -> str:
    return proof_sign(receipt_payload(record))


