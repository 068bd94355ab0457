"""Consent receipts, and receiving a sent form (person, record, consents, confirmation)."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError
from django.utils import translation
from django.utils.translation import get_language, gettext, ngettext

from apps.audit.services import Actor, Entry, Verb, audit_record, audit_records, audited_transaction
from apps.core.cache import content_bump, content_cached
from apps.policies.models import PolicyVersion
from apps.policies.selectors import policy_in_force
from apps.subjects import services as subject_services
from apps.subjects.models import (
    Controller,
    DataSubject,
)
from apps.vault.services import blind_index_for

from .models import ConsentRecord, Purpose, PurposeNotice
from .selectors import consents_current_for, purposes_for


def notice_paragraphs(purpose: Purpose) -> list[str]:
    """The words a visitor is shown for a purpose, in the active language, one string per paragraph:
    what they agree to, what it is for, and its legal basis, retention and recipients."""
    legal_basis, shared_with = gettext("Legal basis:"), gettext("Shared with:")
    details = [f"{legal_basis} {purpose.get_legal_basis_display()}."]
    if purpose.retention_days:
        details.append(ngettext("Kept for %(days)s day.", "Kept for %(days)s days.", purpose.retention_days)
                       % {"days": purpose.retention_days})
    else:
        details.append(gettext("Kept until the service is complete, then deleted."))
    details.append(f"{shared_with} {purpose.recipients}." if purpose.recipients
                   else gettext("Not shared with anyone else."))
    if purpose.required:
        details.append(gettext("Without it we cannot provide the service."))
    return [gettext("I agree: %(name)s") % {"name": purpose.name}, purpose.explanation, " ".join(details)]


def purpose_notice_current(*, purpose: Purpose, language: str) -> PurposeNotice:
    """The notice version holding the words shown now for this purpose in this language; a new version
    when the wording (or its translation) changed since the last one. Audited when a version is made."""
    with translation.override(language):
        text = "\n".join(" ".join(str(p).split()) for p in notice_paragraphs(purpose))
    digest = hashlib.sha256(text.encode()).hexdigest()
    existing = PurposeNotice.objects.filter(purpose=purpose, language=language, sha256=digest).first()
    if existing:
        return existing
    try:
        with audited_transaction():
            latest = (PurposeNotice.objects.select_for_update().filter(purpose=purpose, language=language)
                      .order_by("-version").first())
            notice = PurposeNotice.objects.create(purpose=purpose, language=language, text=text, sha256=digest,
                                                  version=(latest.version if latest else 0) + 1)
            audit_record(actor=Actor.system("notices"), verb=Verb.PURPOSE_NOTICE_VERSIONED, target=purpose.slug,
                         detail={"language": language, "version": notice.version, "sha256": digest})
            return notice
    except IntegrityError:  # the same words versioned at the same moment by another request
        return PurposeNotice.objects.get(purpose=purpose, language=language, sha256=digest)


PURPOSES = "purposes"  # the content version purpose services bump (apps.core.cache)


def purposes_shown(*, kind: str, language: str) -> list[Purpose]:
    """The active purposes of a form, each with `.notice`: the notice version of the words shown in this
    language. Read by every form page; cached until a purpose is saved (purpose_save, purpose_ensure)."""

    def compute() -> list[Purpose]:
        purposes = purposes_for(kind)
        for purpose in purposes:
            purpose.notice = purpose_notice_current(purpose=purpose, language=language)
        return purposes

    return content_cached(PURPOSES, (kind, language), compute)


def user_agent_summary(user_agent: str) -> str:
    """Coarse: browser family and platform only, never the full string."""
    ua = user_agent or ""
    browser = next((name for token, name in [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                                              ("Chrome/", "Chrome"), ("Safari/", "Safari")] if token in ua), "Other")
    platform = next((name for token, name in [("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"),
                                               ("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux")]
                     if token in ua), "Other")
    return f"{browser} on {platform}"


@dataclass(frozen=True)
class CollectionContext:
    """Where and how consent was collected."""

    collection_point: str
    form_version: str
    source: str
    ip: str = ""
    user_agent: str = ""
    language: str = ""  # the language the page was shown in (default: the active one)
    notices: tuple[tuple[str, int], ...] = ()  # (purpose slug, notice id) the page showed
    consented_at: datetime | None = None  # when the person agreed, if earlier (by email or phone, staff)
    # Handed over by a client company (source "controller"): who, and its evidence of the consent.
    controller: Controller | None = None
    obtained_at: datetime | None = None
    obtained_how: str = ""
    evidence_reference: str = ""


def _notice_shown(purpose: Purpose, context: CollectionContext) -> PurposeNotice:
    """The notice the page said it showed (if it is this purpose's), else the current one in that language."""
    language = supported_language(context.language or get_language() or settings.LANGUAGE_CODE)
    shown = dict(context.notices).get(purpose.slug)
    on_page = getattr(purpose, "notice", None)  # the page's own (purposes_shown): no need to read it again
    if shown and on_page is not None and on_page.pk == shown and on_page.purpose_id == purpose.pk:
        return on_page
    notice = PurposeNotice.objects.filter(pk=shown, purpose=purpose).first() if shown else None
    return notice or purpose_notice_current(purpose=purpose, language=language)


def supported_language(language: str) -> str:
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return settings.LANGUAGE_CODE


def _receipt_row(*, subject: DataSubject, purpose: Purpose, action: str, context: CollectionContext,
                 policy: PolicyVersion | None, ip_hmac: str) -> ConsentRecord:
    notice = _notice_shown(purpose, context)
    return ConsentRecord(
        subject=subject, purpose=purpose, action=action, policy_version=policy,
        collection_point=context.collection_point, form_version=context.form_version,
        wording_sha256=notice.sha256, notice=notice, language=notice.language, legal_basis=purpose.legal_basis,
        source=context.source, consented_at=context.consented_at, ip_hmac=ip_hmac,
        user_agent_summary=user_agent_summary(context.user_agent),
        controller=context.controller, obtained_at=context.obtained_at, obtained_how=context.obtained_how,
        evidence_reference=context.evidence_reference,
    )


def _receipts(*, subject: DataSubject, purposes: list[Purpose], action: str, context: CollectionContext,
              policy: PolicyVersion | None) -> list[ConsentRecord]:
    """One receipt per purpose, written in one insert, each with its audit event."""
    if not purposes:
        return []
    policy = policy or policy_in_force()
    ip_hmac = blind_index_for(kind="ip", normalised=context.ip) if context.ip else ""
    records = [_receipt_row(subject=subject, purpose=purpose, action=action, context=context, policy=policy,
                            ip_hmac=ip_hmac) for purpose in purposes]
    ConsentRecord.objects.bulk_create(records)  # new rows only: receipts are never updated
    verb = Verb.CONSENT_GIVEN if action == ConsentRecord.Action.GIVEN else Verb.CONSENT_WITHDRAWN
    audit_records(entries=[Entry(Actor.subject(subject), verb, subject.pk,
                                 {"purpose": purpose.slug, "receipt": str(record.pk)})
                           for purpose, record in zip(purposes, records, strict=True)])
    return records


def _receipt(*, subject: DataSubject, purpose: Purpose, action: str, context: CollectionContext,
             policy: PolicyVersion | None) -> ConsentRecord:
    return _receipts(subject=subject, purposes=[purpose], action=action, context=context, policy=policy)[0]


@audited_transaction(savepoint=False)
def consent_give(*, subject: DataSubject, purpose: Purpose, context: CollectionContext,
                 policy: PolicyVersion | None = None) -> ConsentRecord:
    return _receipt(subject=subject, purpose=purpose, action=ConsentRecord.Action.GIVEN, context=context,
                    policy=policy)


@audited_transaction(savepoint=False)
def consents_give(*, subject: DataSubject, purposes: list[Purpose], context: CollectionContext,
                  policy: PolicyVersion | None = None) -> list[ConsentRecord]:
    """consent_give for several purposes at once (a form's boxes): one insert for the receipts."""
    return _receipts(subject=subject, purposes=purposes, action=ConsentRecord.Action.GIVEN, context=context,
                     policy=policy)


@audited_transaction()
def consent_give_again(*, subject: DataSubject, purpose: Purpose, context: CollectionContext) -> ConsentRecord | None:
    """The person gives an optional consent they withdrew (a new receipt, with the words they were shown
    on the page). None, and nothing written, if it stands already, was never withdrawn, or is one the
    service needs (withdrawing that ended the service)."""
    current = consents_current_for(subject=subject).get(purpose.slug)
    if purpose.required or not purpose.active or current is None or current.action != ConsentRecord.Action.WITHDRAWN:
        return None
    subject_services.activity_touch(subject=subject)
    return _receipt(subject=subject, purpose=purpose, action=ConsentRecord.Action.GIVEN, context=context, policy=None)


@audited_transaction()
def consent_withdraw(*, subject: DataSubject, purpose: Purpose, context: CollectionContext) -> ConsentRecord | None:
    """A new receipt; returns None if there was no consent to withdraw."""
    current = consents_current_for(subject=subject).get(purpose.slug)
    if current is None or current.action != ConsentRecord.Action.GIVEN:
        return None
    subject_services.activity_touch(subject=subject)
    return _receipt(subject=subject, purpose=purpose, action=ConsentRecord.Action.WITHDRAWN, context=context,
                    policy=None)


@audited_transaction()
def consent_withdraw_and_end_service(*, subject: DataSubject, purpose: Purpose,
                                     context: CollectionContext) -> None:
    """Withdrawing a consent the service depends on ends the service at the person's request, and so
    erases the data (the certificate says: subject request)."""
    consent_withdraw(subject=subject, purpose=purpose, context=context)
    subject_services.erasure_request(subject_id=subject.pk, reason=subject_services.Reason.SUBJECT_REQUEST,
                                     actor=Actor.subject(subject))


@audited_transaction()
def purpose_save(*, purpose: Purpose, actor: Actor, changed: list[str]) -> Purpose:
    """Staff create or edit a purpose in the admin. Audited with the fields changed (never the texts)."""
    created = purpose._state.adding
    purpose.full_clean()
    purpose.save()
    audit_record(actor=actor, verb=Verb.PURPOSE_SAVED, target=purpose.slug,
                 detail={"created": created, "fields": sorted(changed)})
    content_bump(PURPOSES)
    # New words are a new notice version in every language; receipts already written keep the old words.
    for language, _name in settings.LANGUAGES:
        purpose_notice_current(purpose=purpose, language=language)
    return purpose


PURPOSE_TEXTS = ("name", "explanation", "recipients")  # translated (apps/consent/translation.py)


@audited_transaction()
def purpose_ensure(*, slug: str, name: str, explanation: str, legal_basis: str, required: bool,
                   collection_points: list[str], recipients: str = "", retention_days: int | None = None,
                   order: int = 0, translations: dict[str, str] | None = None,
                   actor: Actor) -> tuple[Purpose, bool]:
    """Create the purpose unless one with this slug exists: its wording is what receipts were given
    under, so an existing purpose is changed in the admin, never silently by a set-up file.
    `translations`: its texts in other languages, e.g. {"name_sw": …, "explanation_sw": …}."""
    existing = Purpose.objects.filter(slug=slug).first()
    if existing is not None:
        return existing, False
    allowed = {f"{field}_{language}" for field in PURPOSE_TEXTS for language, _name in settings.LANGUAGES}
    unknown = set(translations or {}) - allowed
    if unknown:
        raise ValueError(f"purpose {slug}: unknown texts {sorted(unknown)}")
    purpose = Purpose(slug=slug, name=name, explanation=explanation, legal_basis=legal_basis, required=required,
                      collection_points=collection_points, recipients=recipients, retention_days=retention_days,
                      order=order, **(translations or {}))
    purpose.full_clean()
    purpose.save()
    notices = [purpose_notice_current(purpose=purpose, language=language) for language, _name in settings.LANGUAGES]
    content_bump(PURPOSES)
    audit_record(actor=actor, verb=Verb.PURPOSE_CREATED, target=slug,
                 detail={"wording": {n.language: n.sha256 for n in notices}})
    return purpose, True
