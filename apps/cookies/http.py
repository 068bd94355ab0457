"""Carrying a consent onto a response: the visitor's cookie, and deleting what they refused."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from . import consent_cookie
from .models import CookieConsent
from .selectors import ConsentState, cookie_names_matching, first_party_cookie_patterns


def django_cookie_names() -> set[str]:
    """Cookies Django itself sets (all declared as necessary), which never need checking."""
    return {
        consent_cookie.cookie_name(),
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
        settings.FORM_SENT_COOKIE_NAME,
        "messages",
    }


def refused_cookies_delete(response: HttpResponseBase, *, request: HttpRequest, patterns: Iterable[str]) -> list[str]:
    """Expire the cookies the browser sent us that match these declared names or `prefix*` patterns.

    Only host-only cookies on path / can be reached this way; our own script does the same in the
    browser for cookies set by scripts.
    """
    present = set(request.COOKIES) - django_cookie_names()
    names = cookie_names_matching(patterns=patterns, present=present) if present else []
    for name in names:
        response.delete_cookie(name, path="/", samesite="Lax")
    return names


def refused_patterns(state: ConsentState) -> list[str]:
    return [p for slug, names in state.cookie_patterns.items() if slug not in state.allowed for p in names]


def consent_apply(response: HttpResponseBase, *, request: HttpRequest, consent: CookieConsent,
                  chosen_at: datetime | None = None) -> None:
    """Store the choice in the visitor's cookie and delete the cookies of what they refused. `chosen_at`: see
    consent_cookie.write."""
    consent_cookie.write(response, consent, chosen_at=chosen_at)
    if set(request.COOKIES) - django_cookie_names():
        by_category = first_party_cookie_patterns(categories=consent.refused_categories)
        refused_cookies_delete(
            response, request=request, patterns=[p for names in by_category.values() for p in names],
        )
