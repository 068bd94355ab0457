"""Private links: signed, at least 128 random bits, one person, expiring, revocable.

A token is Django's signing of {subject, link version, 128-bit nonce}; the version is the
person's `link_version`, bumped by "sign out all links" and by an email correction.
"""

import secrets
import uuid
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import DataSubject

SALT = "selfservice.link"
REFEREE_SALT = "selfservice.referee"


class LinkProblem(Enum):
    INVALID = "invalid"  # tampered or not a token at all
    EXPIRED = "expired"
    REVOKED = "revoked"
    ERASED = "erased"


@dataclass
class Resolved:
    subject: DataSubject | None
    problem: LinkProblem | None


def link_token(subject: DataSubject) -> str:
    payload = {"s": subject.pk.hex, "v": subject.link_version, "n": secrets.token_urlsafe(16)}
    return signing.dumps(payload, salt=SALT)


def link_url(subject: DataSubject) -> str:
    return settings.SITE_URL + reverse("selfservice:home", args=[link_token(subject)])


def link_resolve(token: str) -> Resolved:
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.SELF_SERVICE_LINK_DAYS * 86400)
        subject_id = uuid.UUID(hex=payload["s"])
        version = int(payload["v"])
    except signing.SignatureExpired:
        return Resolved(None, LinkProblem.EXPIRED)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return Resolved(None, LinkProblem.INVALID)
    subject = DataSubject.objects.filter(pk=subject_id).first()
    if subject is None:
        return Resolved(None, LinkProblem.INVALID)
    if subject.is_erased:
        return Resolved(None, LinkProblem.ERASED)
    if version != subject.link_version:
        return Resolved(None, LinkProblem.REVOKED)
    return Resolved(subject, None)


def referee_token(subject: DataSubject, referee_id: str) -> str:
    return signing.dumps({"s": subject.pk.hex, "r": referee_id, "n": secrets.token_urlsafe(16)}, salt=REFEREE_SALT)


def referee_url(subject: DataSubject, referee_id: str) -> str:
    return settings.SITE_URL + reverse("selfservice:referee", args=[referee_token(subject, referee_id)])


def referee_resolve(token: str) -> tuple[DataSubject | None, str | None, LinkProblem | None]:
    try:
        payload = signing.loads(token, salt=REFEREE_SALT, max_age=settings.SELF_SERVICE_LINK_DAYS * 86400)
        subject_id, referee_id = uuid.UUID(hex=payload["s"]), str(payload["r"])
    except signing.SignatureExpired:
        return None, None, LinkProblem.EXPIRED
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None, None, LinkProblem.INVALID
    subject = DataSubject.objects.filter(pk=subject_id).first()
    if subject is None:
        return None, None, LinkProblem.INVALID
    if subject.is_erased:
        return None, None, LinkProblem.ERASED
    return subject, referee_id, None
