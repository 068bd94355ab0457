"""Writes: recording a visitor's cookie choice, and the categories and declarations themselves."""

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, override

from apps.audit.services import audited_transaction
from apps.core.cache import content_bump

from .models import CookieCategory, CookieConsent, CookieDeclaration
from .selectors import CATALOGUE, categories_all, declaration_version

_IP_HASH_SALT = "apps.cookies.consent.ip"


def _ip_hash(ip_address: str | None) -> str:
    # Keyed, so the log cannot be reversed by hashing the IPv4 space; lets an auditor match a
    # choice to a server log line when they hold the key, and nobody else.
    if not ip_address:
        return ""
    return salted_hmac(_IP_HASH_SALT, ip_address, algorithm="sha256").hexdigest()


@audited_transaction()
def cookie_consent_record(
    *,
    visitor_id: uuid.UUID | None,
    action: str,
    requested: Iterable[str] = (),
    gpc: bool,
    ip_address: str | None,
) -> CookieConsent:
    """Log a visitor's choice and return it; the caller stores it in the visitor's cookie.

    - accept_all allows every category, reject_all only the necessary ones;
    - custom allows the requested categories (unknown keys are ignored);
    - gpc keeps the requested categories except those Global Privacy Control turns off, and is
      only valid when the signal is present.
    Necessary categories are always allowed. The declaration version is the one in force now.
    """
    action = CookieConsent.Action(action)
    if action == CookieConsent.Action.GPC and not gpc:
        raise ValueError("a Global Privacy Control entry needs the GPC signal")
    categories = categories_all()
    known = {c.slug for c in categories}
    necessary = {c.slug for c in categories if c.is_necessary}
    gpc_slugs = {c.slug for c in categories if c.off_under_gpc}

    if action == CookieConsent.Action.ACCEPT_ALL:
        allowed = set(known)
    elif action == CookieConsent.Action.REJECT_ALL:
        allowed = set(necessary)
    elif action == CookieConsent.Action.GPC:
        allowed = ((set(requested) & known) | necessary) - gpc_slugs
    else:
        allowed = (set(requested) & known) | necessary

    choices = {c.slug: c.slug in allowed for c in categories}
    # GPC "decided" a value when the signal set the default (or overrode an earlier choice) and
    # the visitor left it off, rather than pressing "Reject all" or choosing otherwise.
    gpc_decided = (
        gpc
        and action in (CookieConsent.Action.CUSTOM, CookieConsent.Action.GPC)
        and any(not choices[slug] for slug in gpc_slugs)
    )
    return CookieConsent.objects.create(
        visitor_id=visitor_id or uuid.uuid4(),
        ip_hash=_ip_hash(ip_address),
        action=action,
        choices=choices,
        declaration_version=declaration_version(categories=categories),
        gpc=gpc,
        gpc_decided=gpc_decided,
    )


def cookie_catalogue_changed() -> None:
    """Categories or declarations were saved or deleted (the admin, the ensure services below): pages
    show the new catalogue, and the banner comes back for choices made on the old one."""
    content_bump(CATALOGUE)


def _texts(fields: dict[str, str], translations: dict[str, str] | None) -> dict[str, str]:
    """Each text in every language: the English as given, the others from `translations` (`name_sw`, ...)
    or else from the gettext catalogue, which holds the Swahili of the texts the site ships with."""
    texts: dict[str, str] = {}
    for field, english in fields.items():
        texts[field] = english
        texts[f"{field}_{settings.LANGUAGE_CODE}"] = english
        for language, _name in settings.LANGUAGES:
            key = f"{field}_{language}"
            if language == settings.LANGUAGE_CODE:
                continue
            given = (translations or {}).get(key)
            if given:
                texts[key] = given
                continue
            with override(language):
                translated = gettext(english) if english else english
            if translated != english:
                texts[key] = translated
    return texts


def cookie_category_ensure(
    *, slug: str, name: str, description: str, is_necessary: bool = False, off_under_gpc: bool = False,
    order: int = 0, translations: dict[str, str] | None = None,
) -> tuple[CookieCategory, bool]:
    """Create the category unless one with this key exists (whose staff edits are kept).

    `name` and `description` are the English; `translations` may give the other languages (`name_sw`, ...).
    """
    category, created = CookieCategory.objects.get_or_create(
        slug=slug,
        defaults={**_texts({"name": name, "description": description}, translations),
                  "is_necessary": is_necessary, "off_under_gpc": off_under_gpc, "order": order},
    )
    if created:
        cookie_catalogue_changed()
    return category, created


def cookie_declaration_ensure(
    *, name: str, provider: str, category: CookieCategory, purpose: str, duration: str,
    party: str = CookieDeclaration.Party.FIRST, translations: dict[str, str] | None = None,
) -> tuple[CookieDeclaration, bool]:
    """Create the declaration unless this provider already declares a cookie of this name.

    `provider`, `purpose` and `duration` are the English; `translations` may give the other languages.
    """
    texts = _texts({"provider": provider, "purpose": purpose, "duration": duration}, translations)
    declaration, created = CookieDeclaration.objects.get_or_create(
        name=name, **{f"provider_{settings.LANGUAGE_CODE}": provider},
        defaults={**texts, "category": category, "party": party},
    )
    if created:
        cookie_catalogue_changed()
    return declaration, created
