"""Reads: the declaration and its version, and what a request's visitor has allowed."""

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from apps.core.cache import content_cached

from . import consent_cookie
from .models import CookieCategory, CookieConsent, CookieDeclaration

logger = logging.getLogger(__name__)
# A visitor's choice is cached on the request under this attribute: one computation per request.
_REQUEST_ATTR = "_cookie_consent_state"


def categories_all() -> list[CookieCategory]:
    return list(CookieCategory.objects.order_by("order", "pk"))


def declarations_all() -> list[CookieDeclaration]:
    return list(CookieDeclaration.objects.select_related("category").order_by("category__order", "name"))


# What a visitor is told about each cookie, in every language (django-modeltranslation's columns): changing
# the Swahili wording changes the notice as much as changing the English does.
_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
_DECLARATION_FIELDS = ("name", "category__slug", "party") + tuple(
    f"{field}_{language}" for field in ("provider", "purpose", "duration") for language in _LANGUAGES)
_CATEGORY_TEXTS = tuple(f"{field}_{language}" for field in ("name", "description") for language in _LANGUAGES)


def _declaration_rows() -> list[tuple]:
    return list(CookieDeclaration.objects.values_list(*_DECLARATION_FIELDS))


def declaration_version(
    *, categories: Iterable[CookieCategory] | None = None, declaration_rows: Iterable[tuple] | None = None,
) -> str:
    """A fingerprint of everything the visitor is told about cookies.

    Computed from the content rather than bumped by a signal, so any change (admin, shell, fixture,
    migration) brings the banner back, and restoring the old content restores the old version. Pages
    read it through catalogue_cached(): at once after a change through the admin or a service, within
    CONTENT_TTL after one made around them.
    Presentation order is left out: reordering the list changes nothing a visitor agreed to.
    """
    if categories is None:
        categories = categories_all()
    if declaration_rows is None:
        declaration_rows = _declaration_rows()
    category_part = sorted(
        [c.slug, *(getattr(c, text) or "" for text in _CATEGORY_TEXTS), c.is_necessary, c.off_under_gpc]
        for c in categories)
    declaration_part = sorted([value if value is not None else "" for value in row] for row in declaration_rows)
    content = json.dumps([category_part, declaration_part], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def first_party_cookie_patterns(*, categories: Iterable[str]) -> dict[str, list[str]]:
    """Declared first-party cookie names (or `prefix*` patterns) per category, for deletion."""
    patterns: dict[str, list[str]] = {slug: [] for slug in categories}
    rows = CookieDeclaration.objects.filter(
        category__slug__in=list(patterns), party=CookieDeclaration.Party.FIRST,
    ).values_list("category__slug", "name")
    for slug, name in rows.order_by("name"):
        patterns[slug].append(name)
    return patterns


def cookie_names_matching(*, patterns: Iterable[str], present: Iterable[str]) -> list[str]:
    wanted = list(patterns)
    return sorted(
        name for name in present
        if any(name == p or (p.endswith("*") and name.startswith(p[:-1])) for p in wanted)
    )


def gpc_signal(request: HttpRequest) -> bool:
    """Global Privacy Control: `Sec-GPC: 1` (https://privacycg.github.io/gpc-spec/)."""
    return request.headers.get("Sec-GPC", "").strip() == "1"


@dataclass(frozen=True)
class ConsentState:
    """What the visitor of one request has allowed, and why."""

    categories: tuple[CookieCategory, ...]
    version: str
    chosen: bool  # a choice exists, is signed by us, younger than the maximum age, on this version
    allowed: frozenset[str]
    gpc: bool  # this request carries Sec-GPC: 1
    # Categories an earlier choice (made without GPC) allowed and this request's GPC signal turns off.
    gpc_overridden: frozenset[str]
    # Categories an earlier choice (made without GPC) allows and GPC would turn off, for our script
    # to apply when it sees navigator.globalPrivacyControl although the header was absent.
    gpc_stale: frozenset[str]
    visitor_id: uuid.UUID | None
    chosen_at: datetime | None
    # Declared first-party cookie names (or `prefix*` patterns) of each optional category.
    cookie_patterns: dict[str, list[str]]
    # False when the catalogue could not be read: everything optional counts as refused.
    available: bool = True
    # Categories with at least one declared cookie: an empty one is not offered as a choice.
    declared: frozenset[str] = frozenset()

    @classmethod
    def unavailable(cls, *, gpc: bool) -> "ConsentState":
        return cls(categories=(), version="", chosen=False, allowed=frozenset(), gpc=gpc,
                   gpc_overridden=frozenset(), gpc_stale=frozenset(), visitor_id=None, chosen_at=None,
                   cookie_patterns={}, available=False)

    def allows(self, slug: str) -> bool:
        return slug in self.allowed

    @property
    def offered(self) -> tuple[CookieCategory, ...]:
        """The categories a visitor is asked about: necessary ones (shown as always on) and those with a cookie."""
        return tuple(c for c in self.categories if c.is_necessary or c.slug in self.declared)

    @property
    def necessary(self) -> frozenset[str]:
        return frozenset(c.slug for c in self.categories if c.is_necessary)

    @property
    def refused(self) -> frozenset[str]:
        return frozenset(c.slug for c in self.categories) - self.allowed

    @property
    def gpc_category_names(self) -> list[str]:
        return [c.name for c in self.categories if c.off_under_gpc]  # the active language's, or the English

    @property
    def expires_at(self) -> datetime | None:
        return self.chosen_at + consent_cookie.max_age() if self.chosen_at else None

    @property
    def shows_banner(self) -> bool:
        return self.available and not self.chosen


CATALOGUE = "cookie-catalogue"  # the content version services bump (apps.core.cache)


def _catalogue() -> tuple[tuple[CookieCategory, ...], str, dict[str, list[str]], frozenset[str]]:
    categories = tuple(categories_all())
    rows = _declaration_rows()
    version = declaration_version(categories=categories, declaration_rows=rows)
    patterns: dict[str, list[str]] = {c.slug: [] for c in categories if not c.is_necessary}
    for name, slug, party, *_texts in sorted(rows, key=lambda row: row[0]):
        if party == CookieDeclaration.Party.FIRST and slug in patterns:
            patterns[slug].append(name)
    return categories, version, patterns, frozenset(row[1] for row in rows)


def catalogue_cached() -> tuple[tuple[CookieCategory, ...], str, dict[str, list[str]], frozenset[str]]:
    """The categories, the declaration version, the first-party cookie patterns and the categories that
    declare a cookie: read by every page,
    cached until a cookie service (or the admin, through one) changes the catalogue."""
    return content_cached(CATALOGUE, (), _catalogue)


def consent_state_for(*, request: HttpRequest) -> ConsentState:
    categories, version, patterns, declared = catalogue_cached()
    known = {c.slug for c in categories}
    necessary = frozenset(c.slug for c in categories if c.is_necessary)
    gpc_slugs = frozenset(c.slug for c in categories if c.off_under_gpc)
    gpc = gpc_signal(request)
    stored = consent_cookie.read(request)

    chosen = stored is not None and consent_cookie.is_current(stored, version=version, now=timezone.now())
    allowed = necessary
    overridden = stale = frozenset()
    if chosen:
        allowed = necessary | (stored.allowed & known)
        if not stored.gpc:
            # The choice was made without GPC. A newer GPC signal wins: it is the visitor's
            # browser-wide "no", and only an explicit choice made while it is on may overrule it.
            at_stake = allowed & gpc_slugs
            if gpc:
                overridden = at_stake
                allowed = allowed - at_stake
            else:
                stale = at_stake
    return ConsentState(
        categories=categories,
        version=version,
        chosen=chosen,
        allowed=allowed,
        gpc=gpc,
        gpc_overridden=overridden,
        gpc_stale=stale,
        visitor_id=stored.visitor_id if stored else None,
        chosen_at=stored.chosen_at if chosen else None,
        cookie_patterns=patterns,
        declared=declared,
    )


def consent_state(request: HttpRequest) -> ConsentState:
    """The request's consent state, computed once per request (two small queries).

    Fails closed: if the catalogue cannot be read (the database is down, say), the page still
    renders, with every optional category refused and no banner offering a choice that could not
    be saved, rather than the cookie layer taking every page down with it.
    """
    state = getattr(request, _REQUEST_ATTR, None)
    if state is None:
        try:
            state = consent_state_for(request=request)
        except Exception:  # any failure: refuse everything optional, and say so in the log
            logger.exception("cookie catalogue unreadable; every optional cookie category is refused")
            state = ConsentState.unavailable(gpc=gpc_signal(request))
        setattr(request, _REQUEST_ATTR, state)
    return state


def page_variant(request: HttpRequest) -> tuple:
    """What a page shows of the visitor's cookie choice (the banner, the switches, gated content, our script's
    settings): a part of the page cache's key (settings.PAGE_CACHE_VARIANTS, apps.core.pagecache). The
    catalogue's version is in the key already (`content`), and the visitor id and the date of a choice are
    never on a cached page."""
    state = consent_state(request)
    return ("cookies", state.available, state.version, state.chosen, " ".join(sorted(state.allowed)), state.gpc,
            " ".join(sorted(state.gpc_stale)))


page_variant.content = (CATALOGUE,)


def consent_state_is_loaded(request: HttpRequest) -> bool:
    return getattr(request, _REQUEST_ATTR, None) is not None


def category_allowed(request: HttpRequest, slug: str) -> bool:
    return consent_state(request).allows(slug)


def consent_log_csv_rows(*, queryset: QuerySet[CookieConsent]) -> Iterator[list[str]]:
    """The consent log for an auditor: a header row, then one row per saved choice, oldest first."""
    yield [
        gettext("saved at (UTC)"), gettext("visitor id"), gettext("action"), gettext("allowed"),
        gettext("refused"), gettext("declaration version"), gettext("GPC signal"),
        gettext("GPC decided a default"), gettext("IP hash"),
    ]
    for consent in queryset.order_by("created_at", "pk").iterator(chunk_size=2000):
        yield [
            consent.created_at.astimezone(UTC).isoformat(timespec="seconds"),
            str(consent.visitor_id),
            consent.action,
            " ".join(consent.allowed_categories),
            " ".join(consent.refused_categories),
            consent.declaration_version,
            "yes" if consent.gpc else "no",
            "yes" if consent.gpc_decided else "no",
            consent.ip_hash,
        ]
