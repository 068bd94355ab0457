"""Signed receipts of a person's choice about a new disclosure (opted out of, or in to, it under one policy
version): the same JWS envelope and keys as consent receipts (docs/proofs.md). Signed on demand from the stored
choice and the version's disclosure, which never change once written or published."""

from django.conf import settings
from django.urls import reverse

from apps.vault.proofs import proof_sign, registrations

from .models import DisclosureChoice, PolicyDisclosure


def _in_each_language(disclosure: PolicyDisclosure, name: str) -> dict[str, str]:
    return {language: getattr(disclosure, f"{name}_{language}", None) or ""
            for language, _name in settings.LANGUAGES}


def choice_receipt_payload(choice: DisclosureChoice) -> dict:
    version = choice.version
    disclosure = version.disclosures.filter(key=choice.disclosure_key).first()
    told = {"key": choice.disclosure_key}
    if disclosure is not None:
        told |= {"recipient": _in_each_language(disclosure, "recipient"),
                 "recipient_category": _in_each_language(disclosure, "recipient_category"),
                 "purpose": _in_each_language(disclosure, "purpose"),
                 "purpose_id": disclosure.purpose_slug or None,
                 "data_categories": sorted(disclosure.data_categories), "compatible": disclosure.compatible}
    return {
        "type": "disclosure-choice-receipt",
        "version": "privacy-portal-choice/1",
        "receipt_id": str(choice.pk),
        "recorded_at": choice.created_at.isoformat(),
        "jurisdiction": "KE",
        "controller": {"name": settings.CONTROLLER_NAME, "contact": settings.PRIVACY_OFFICER_EMAIL,
                       **registrations()},
        "subject_id": str(choice.subject_id),
        "choice": choice.choice,
        "disclosure": told,
        "policy": {"version": version.version,
                   "url": settings.SITE_URL + reverse("privacy-policy-version", args=[version.number])},
        "collection": {"source": choice.source},
    }


def choice_receipt_sign(choice: DisclosureChoice) -> str:
    return proof_sign(choice_receipt_payload(choice))


def choice_receipt_filename(choice: DisclosureChoice) -> str:
    return f"disclosure-choice-{choice.pk}.jws"
