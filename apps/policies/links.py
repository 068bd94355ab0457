"""Signed one-click links to opt out of (or in to) one new disclosure, for one person and one version."""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from apps.subjects.models import DataSubject

from . import selectors
from .models import DisclosureChoice, PolicyDisclosure, PolicyVersion

CHOICE_SALT = "policies.choice"
CHOICE_LINK_DAYS = 365


def choice_token(*, subject: DataSubject, version: PolicyVersion, key: str, choice: str, language: str) -> str:
    """Carries the person's link version: revoking their private links (a number that was not theirs removed,
    "sign out all links", an email correction) revokes these too."""
    return signing.dumps({"s": subject.pk.hex, "v": version.number, "k": key, "c": choice, "l": language,
                          "r": subject.link_version}, salt=CHOICE_SALT)


def choice_url(**kwargs) -> str:
    return settings.SITE_URL + reverse("policy-choice", args=[choice_token(**kwargs)])


@dataclass
class ChoiceLink:
    subject: DataSubject
    version: PolicyVersion
    disclosure: PolicyDisclosure
    choice: str
    language: str


def choice_resolve(token: str) -> ChoiceLink | None:
    """None for a tampered, expired, revoked or foreign link, an erased person, or a disclosure the version did
    not add."""
    try:
        payload = signing.loads(token, salt=CHOICE_SALT, max_age=CHOICE_LINK_DAYS * 86400)
        subject_id, number, key = uuid.UUID(hex=payload["s"]), int(payload["v"]), str(payload["k"])
        choice, language = str(payload["c"]), str(payload["l"])
        link_version = int(payload.get("r", 0))  # links sent before versions were in them: version 0
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if choice not in DisclosureChoice.Choice.values:
        return None
    subject = DataSubject.objects.filter(pk=subject_id, status=DataSubject.Status.ACTIVE,
                                         link_version=link_version).first()
    version = selectors.policy_published(number)
    if subject is None or version is None:
        return None
    disclosure = next((d for d in selectors.disclosures_new_in(version) if d.key == key), None)
    if disclosure is None:
        return None
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return ChoiceLink(subject, version, disclosure, choice, language)




def policy_changes_for(*, subject: DataSubject, language: str) -> list[dict]:
    """For the self-service page: each disclosure a version told this person about, their choice, and the link."""
    current = selectors.disclosure_choices_for(subject=subject)
    rows = []
    for recipient in subject.campaign_receipts.select_related("campaign__version").order_by("-campaign__created_at"):
        version = recipient.campaign.version
        for disclosure in selectors.disclosures_new_in(version):
            choice = (DisclosureChoice.Choice.OPTED_OUT if disclosure.compatible
                      else DisclosureChoice.Choice.OPTED_IN)
            made = current.get(disclosure.key)
            rows.append({"version": version, "disclosure": disclosure, "choice": choice,
                         "done": made is not None and made.choice == choice,
                         "url": choice_url(subject=subject, version=version, key=disclosure.key, choice=choice,
                                           language=language)})
    return rows
