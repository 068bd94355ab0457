"""Private links: opaque, at least 128 random bits, one person, expiring, revocable.

A token is {subject, link version, issue time, 128 random bits} sealed with AES-256-GCM (pyca
cryptography) under a key derived from SECRET_KEY (HKDF, one key per kind of link), base64url
without padding. It reveals nothing: not whose it is, not when it was issued; changing one bit makes
it invalid. The version is the person's `link_version`, bumped by "sign out all links", by an email
correction and by too many wrong codes. SECRET_KEY_FALLBACKS still open links issued under an
older SECRET_KEY.
"""

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import struct
import time
import uuid
from dataclasses import dataclass
from enum import Enum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
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


NONCE_BYTES = 12


def _key(secret: str, salt: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=salt.encode()).derive(secret.encode())


def _seal(payload: bytes, salt: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(settings.SECRET_KEY, salt)).encrypt(nonce, payload, salt.encode())
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def _open(token: str, salt: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            return AESGCM(_key(secret, salt)).decrypt(nonce, sealed, salt.encode())
        except (InvalidTag, ValueError):
            continue
    return None


def _expired(issued_at: int) -> bool:
    return time.time() - issued_at > settings.SELF_SERVICE_LINK_DAYS * 86400


# subject id (16 bytes), link version, issued at (unix seconds), 16 random bytes
LINK_FORMAT = "!16sIQ16s"
# subject id, referee id (16 bytes each), the applicant's link version, a digest of the applicant's name as the
# referee was told it (8 bytes), issued at, 16 random bytes
REFEREE_FORMAT = "!16s16sI8sQ16s"


def link_token(subject: DataSubject) -> str:
    payload = struct.pack(LINK_FORMAT, subject.pk.bytes, subject.link_version, int(time.time()),
                          secrets.token_bytes(16))
    return _seal(payload, SALT)


def link_url(subject: DataSubject) -> str:
    return settings.SITE_URL + reverse("selfservice:home", args=[link_token(subject)])


def link_resolve(token: str) -> Resolved:
    payload = _open(token, SALT)
    try:
        subject_bytes, version, issued_at, _ = struct.unpack(LINK_FORMAT, payload or b"")
    except struct.error:
        return Resolved(None, LinkProblem.INVALID)
    if _expired(issued_at):
        return Resolved(None, LinkProblem.EXPIRED)
    subject = DataSubject.objects.filter(pk=uuid.UUID(bytes=subject_bytes)).first()
    if subject is None:
        return Resolved(None, LinkProblem.INVALID)
    if subject.is_erased:
        return Resolved(None, LinkProblem.ERASED)
    if version != subject.link_version:
        return Resolved(None, LinkProblem.REVOKED)
    return Resolved(subject, None)


def _name_digest(name: str) -> bytes:
    return hashlib.sha256(" ".join(str(name).split()).casefold().encode()).digest()[:8]


def referee_token(subject: DataSubject, referee_id: str, applicant_name: str) -> str:
    """A referee's link: revoked with the applicant's own links (their link version), expiring with them
    (SELF_SERVICE_LINK_DAYS), and holding (sealed) a digest of the name the referee was told."""
    payload = struct.pack(REFEREE_FORMAT, subject.pk.bytes, uuid.UUID(hex=referee_id).bytes, subject.link_version,
                          _name_digest(applicant_name), int(time.time()), secrets.token_bytes(16))
    return _seal(payload, REFEREE_SALT)


def referee_url(subject: DataSubject, referee_id: str, applicant_name: str) -> str:
    return settings.SITE_URL + reverse("selfservice:referee",
                                       args=[referee_token(subject, referee_id, applicant_name)])


def referee_name_told(token: str, name: str) -> bool:
    """Whether `name` is the applicant's name as the referee was told it (a name corrected since is not shown)."""
    payload = _open(token, REFEREE_SALT)
    try:
        digest = struct.unpack(REFEREE_FORMAT, payload or b"")[3]
    except struct.error:
        return False
    return hmac.compare_digest(digest, _name_digest(name))


def referee_resolve(token: str) -> tuple[DataSubject | None, str | None, LinkProblem | None]:
    payload = _open(token, REFEREE_SALT)
    try:
        subject_bytes, referee_bytes, version, _name, issued_at, _ = struct.unpack(REFEREE_FORMAT, payload or b"")
    except struct.error:
        return None, None, LinkProblem.INVALID
    if _expired(issued_at):
        return None, None, LinkProblem.EXPIRED
    subject = DataSubject.objects.filter(pk=uuid.UUID(bytes=subject_bytes)).first()
    if subject is None:
        return None, None, LinkProblem.INVALID
    if subject.is_erased:
        return None, None, LinkProblem.ERASED
    if version != subject.link_version:  # the applicant signed out all links (or changed their email)
        return None, None, LinkProblem.REVOKED
    return subject, uuid.UUID(bytes=referee_bytes).hex, None


# --- confirming a form sent from the website (apps.recruitment: the emailed link) -------------------------
PENDING_SALT = "consent.pending"
# pending request id (16 bytes), issued at, 16 random bytes
PENDING_FORMAT = "!16sQ16s"


def pending_token(request_id: uuid.UUID) -> str:
    """A private link to confirm (or discard) one form sent from the website: sent only to the address it gave."""
    return _seal(struct.pack(PENDING_FORMAT, request_id.bytes, int(time.time()), secrets.token_bytes(16)),
                 PENDING_SALT)


def pending_resolve(token: str) -> tuple[uuid.UUID | None, LinkProblem | None]:
    """The held form a link names, or why it cannot be used. Single use is the form's row: it is gone once
    confirmed, discarded or expired."""
    try:
        request_bytes, issued_at, _ = struct.unpack(PENDING_FORMAT, _open(token, PENDING_SALT) or b"")
    except struct.error:
        return None, LinkProblem.INVALID
    if time.time() - issued_at > settings.INTAKE_PENDING_DAYS * 86400:
        return None, LinkProblem.EXPIRED
    return uuid.UUID(bytes=request_bytes), None
