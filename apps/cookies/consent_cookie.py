"""The visitor's own record of their choice: a signed first-party cookie.

It holds the allowed categories, the declaration version they were shown, the date, whether Global
Privacy Control was on, and a random visitor id that links their entries in the consent log. It is
HttpOnly: our script learns the choice from the page, never from the cookie.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponseBase

from .models import CookieConsent

SALT = "apps.cookies.consent-cookie"


@dataclass(frozen=True)
class StoredChoice:
    visitor_id: uuid.UUID
    allowed: frozenset[str]
    version: str
    chosen_at: datetime
    gpc: bool


def cookie_name() -> str:
    return settings.COOKIE_CONSENT_COOKIE_NAME


def max_age() -> timedelta:
    return timedelta(days=settings.COOKIE_CONSENT_MAX_AGE_DAYS)


def encode(consent: CookieConsent, *, chosen_at: datetime | None = None) -> str:
    payload = {
        "v": consent.visitor_id.hex,
        "c": consent.allowed_categories,
        "d": consent.declaration_version,
        "t": int((chosen_at or consent.created_at).timestamp()),
        "g": int(consent.gpc),
    }
    return signing.dumps(payload, salt=SALT)


def decode(value: str | None) -> StoredChoice | None:
    """The stored choice, or None when the cookie is missing, tampered with or malformed.

    A choice older than the maximum age is still returned (its visitor id is reused); whether it
    still stands is for the caller to decide, with `is_current`.
    """
    if not value:
        return None
    try:
        payload = signing.loads(value, salt=SALT)
        return StoredChoice(
            visitor_id=uuid.UUID(hex=payload["v"]),
            allowed=frozenset(str(slug) for slug in payload["c"]),
            version=str(payload["d"]),
            chosen_at=datetime.fromtimestamp(int(payload["t"]), tz=UTC),
            gpc=bool(payload["g"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError):
        return None


def is_current(choice: StoredChoice, *, version: str, now: datetime) -> bool:
    """A choice stands for the configured time and only for the declaration it was made on."""
    age = now - choice.chosen_at
    return choice.version == version and timedelta(minutes=-5) <= age <= max_age()


def read(request: HttpRequest) -> StoredChoice | None:
    return decode(request.COOKIES.get(cookie_name()))


def write(response: HttpResponseBase, consent: CookieConsent, *, chosen_at: datetime | None = None) -> None:
    """`chosen_at`: when the visitor last chose, for a record the system made on their behalf (Global Privacy
    Control narrowing an earlier choice): the choice still ends when the visitor's own one would have."""
    left = max_age() - (consent.created_at - chosen_at) if chosen_at else max_age()
    response.set_cookie(
        cookie_name(),
        encode(consent, chosen_at=chosen_at),
        max_age=max(int(left.total_seconds()), 0),
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def is_written(response: HttpResponseBase) -> bool:
    return cookie_name() in response.cookies
