"""Consent receipts, and receiving a sent form (person, record, consents, confirmation)."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop, ngettext

from apps.audit.services import Actor, Entry, Verb, audit_record, audit_records, audited_transaction
from apps.core.cache import content_bump, content_cached
from apps.notifications.services import Message, notifications_erase_to, notifications_queue
from apps.policies.models import PolicyVersion
from apps.policies.selectors import policy_in_force
from apps.subjects import services as subject_services
from apps.subjects.links import link_url, referee_url
from apps.subjects.models import (
    Controller,
    DataSubject,
    ErasureJob,
    IdentityDocument,
    PersonalRecord,
    ServiceEngagement,
    Vacancy,
)
from apps.vault.files import files_kept_only_if_committed
from apps.vault.services import blind_index_for

from .models import ConsentRecord, Purpose, PurposeNotice, RefereeNotice, Submission
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
        with transaction.atomic():
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
    language = _supported(context.language or get_language() or settings.LANGUAGE_CODE)
    shown = dict(context.notices).get(purpose.slug)
    on_page = getattr(purpose, "notice", None)  # the page's own (purposes_shown): no need to read it again
    if shown and on_page is not None and on_page.pk == shown and on_page.purpose_id == purpose.pk:
        return on_page
    notice = PurposeNotice.objects.filter(pk=shown, purpose=purpose).first() if shown else None
    return notice or purpose_notice_current(purpose=purpose, language=language)


def _supported(language: str) -> str:
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


@transaction.atomic
def consent_give_again(*, subject: DataSubject, purpose: Purpose, context: CollectionContext) -> ConsentRecord | None:
    """The person gives an optional consent they withdrew (a new receipt, with the words they were shown
    on the page). None, and nothing written, if it stands already, was never withdrawn, or is one the
    service needs (withdrawing that ended the service)."""
    current = consents_current_for(subject=subject).get(purpose.slug)
    if purpose.required or not purpose.active or current is None or current.action != ConsentRecord.Action.WITHDRAWN:
        return None
    subject_services.activity_touch(subject=subject)
    return _receipt(subject=subject, purpose=purpose, action=ConsentRecord.Action.GIVEN, context=context, policy=None)


@transaction.atomic
def consent_withdraw(*, subject: DataSubject, purpose: Purpose, context: CollectionContext) -> ConsentRecord | None:
    """A new receipt; returns None if there was no consent to withdraw."""
    current = consents_current_for(subject=subject).get(purpose.slug)
    if current is None or current.action != ConsentRecord.Action.GIVEN:
        return None
    subject_services.activity_touch(subject=subject)
    return _receipt(subject=subject, purpose=purpose, action=ConsentRecord.Action.WITHDRAWN, context=context,
                    policy=None)


@transaction.atomic
def consent_withdraw_and_end_service(*, subject: DataSubject, purpose: Purpose,
                                     context: CollectionContext) -> None:
    """Withdrawing a consent the service depends on ends the service at the person's request, and so
    erases the data (the certificate says: subject request)."""
    consent_withdraw(subject=subject, purpose=purpose, context=context)
    subject_services.erasure_request(subject_id=subject.pk, reason=subject_services.Reason.SUBJECT_REQUEST,
                                     actor=Actor.subject(subject))


# --- receiving a form ----------------------------------------------------------------------------
# Labels, not values: what a person is told we hold. Marked for translation, translated when shown.
FIELD_LABELS = {
    "full_name": gettext_noop("Full name"), "email": gettext_noop("Email address"),
    "mobile": gettext_noop("Mobile number"), "address": gettext_noop("Address"),
    "legal_id": gettext_noop("Legal ID type and number"), "document": gettext_noop("ID document"),
    "referees": gettext_noop("Two referees"), "message": gettext_noop("Your message"),
    "experience": gettext_noop("Your work experience"), "cv": gettext_noop("Your CV"),
}


class RequiredConsentMissing(ValueError):
    """A form was received without a consent it cannot be processed without. Names slugs only."""


@dataclass
class Received:
    submission: Submission
    created: bool


def submission_receive(*, key: uuid.UUID, kind: str, data: dict, purposes: list[Purpose],
                       context: CollectionContext, document: bytes | None = None, vacancy: Vacancy | None = None,
                       cv: bytes | None = None, actor: Actor | None = None, reference: str = "",
                       offered: list[Purpose] | None = None, key_checked: bool = False) -> Received:
    """Store one sent form. The same key twice (double click, back button) creates nothing new.
    Without every consent the form requires, nothing is stored (RequiredConsentMissing).

    An application is for a vacancy (`vacancy`): a closed or unknown one stores nothing (VacancyClosed).
    An applicant already with us (the blind index of their email) is the same person: applying again to the
    same vacancy keeps one application, applying to another opens a second one on the one record, and
    they are told so; what we hold about them is not changed by the form. `cv` (a PDF, at most 5 MB) and
    data["experience"] are optional professional details; a CV that is not acceptable stores nothing
    (DocumentRejected). `actor`: who entered it, when not the form itself (staff adding a person who wrote
    or phoned). `reference` is a client company's own reference for the application it hands over
    (API), kept on the engagement.

    A form's view passes what it has in hand already, so it is not read again: `offered`, the form's active
    purposes (purposes_shown), and `key_checked`, when it has just looked the key up (a form sent twice at the
    same moment is still caught: the key is the submission's primary key)."""
    existing = None if key_checked else Submission.objects.filter(pk=key).first()
    if existing:
        return Received(existing, False)
    missing = {p.slug for p in (purposes_for(kind) if offered is None else offered) if p.required} \
        - {p.slug for p in purposes}
    if missing:
        raise RequiredConsentMissing(f"required consents missing: {sorted(missing)}")
    if cv is not None:
        subject_services.document_check(data=cv, kind=IdentityDocument.Kind.CV)
    try:
        # An ID scan is stored before the rows; if anything after it fails, the file goes too.
        with files_kept_only_if_committed(), audited_transaction(durable=True):
            submission = _receive(key=key, kind=kind, data=data, purposes=purposes, context=context,
                                  document=document, vacancy=vacancy, cv=cv, actor=actor, reference=reference)
    except IntegrityError:  # the same form sent twice at the same moment
        return Received(Submission.objects.get(pk=key), False)
    return Received(submission, True)


def _applicant_known(*, email: str) -> DataSubject | None:
    """The person already with us under this email (the newest, if an old duplicate exists), locked until
    the transaction ends; None if nobody is, if their erasure is already under way, or if their processing
    is restricted."""
    kind, digest = subject_services.lookup_digest(email)
    if connection.vendor == "postgresql":  # two first applications with one address at once: one person
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"applicant|{digest}"])
    matching = subject_services.subjects_matching(kind=kind, digest=digest)
    if not matching:
        return None
    # Locked: a completion of this person's last engagement either committed first (its erasure job is
    # seen below, and a new person is made) or waits for this application and then finds it open.
    # A restricted record is only stored, never added to (s.34): a new application starts a record of its own.
    subject = DataSubject.objects.select_for_update().filter(pk=matching[-1].pk, status=DataSubject.Status.ACTIVE,
                                                             restricted_at__isnull=True).first()
    if subject is None or ErasureJob.objects.filter(subject=subject).exclude(state=ErasureJob.State.DONE).exists():
        return None
    return subject


def _record_values(kind: str, data: dict, referees: list[dict]) -> dict:
    values = {"full_name": data["full_name"], "email": subject_services.normalise_email(data["email"]),
              "mobile": data.get("mobile") or None,
              "address": data.get("address", ""), "referees": referees,
              "legal_id_type": data.get("legal_id_type", ""), "legal_id_number": data.get("legal_id_number", ""),
              "experience": (data.get("experience") or "").strip()}
    return values if kind == "apply" else {k: values[k] for k in ["full_name", "email", "mobile"]}


def _receive(*, key: uuid.UUID, kind: str, data: dict, purposes: list[Purpose], context: CollectionContext,
             document: bytes | None, vacancy: Vacancy | None = None, cv: bytes | None = None,
             actor: Actor | None = None, reference: str = "") -> Submission:
    referees = [{"id": uuid.uuid4().hex, **r} for r in data.get("referees", [])]
    actor = actor or (Actor.controller(context.controller) if context.controller else Actor.system(f"{kind}-form"))
    if vacancy is not None:
        vacancy = subject_services.vacancy_hold_open(vacancy_id=vacancy.pk)
    values = _record_values(kind, data, referees)
    subject = _applicant_known(email=data["email"]) if kind == "apply" else None
    known = subject is not None
    if known:
        # Whoever knows an address can send a form with it, so a form never changes what we already hold
        # about a person we know: a new mobile number would let a stranger ask for the private link by SMS,
        # a new ID scan or CV would replace theirs. Only what the record lacks is added; the person corrects
        # the rest through their private link (the confirmation says so, and it goes to the address held).
        held = PersonalRecord.objects.get(subject=subject)
        if values.get("experience") and not held.experience:
            subject_services.record_update(subject=subject, actor=actor, changes={"experience": values["experience"]})
        audit_record(actor=actor, verb=Verb.SUBJECT_MATCHED, target=subject.pk,
                     detail={"by": "email", "submission": str(key)})
        held_kinds = set(IdentityDocument.objects.filter(subject=subject).values_list("kind", flat=True))
        given_fields = ["experience"] if values.get("experience") and not held.experience else []
    else:
        subject = subject_services.subject_create(actor=actor, **values)
        held_kinds = set()
        given_fields = ["full_name", "email"] + [f for f in ["mobile", "address"] if data.get(f)]
        if kind == "apply":  # staff entering an application by phone may have neither yet
            given_fields += [f for f, given in (("legal_id", data.get("legal_id_number")), ("referees", referees))
                             if given]
            if values["experience"]:
                given_fields.append("experience")
    if document is not None and IdentityDocument.Kind.ID_SCAN not in held_kinds:
        subject_services.document_add(subject=subject, actor=Actor.subject(subject), data=document)
        given_fields.append("document")
    if cv is not None and IdentityDocument.Kind.CV not in held_kinds:
        subject_services.document_add(subject=subject, actor=Actor.subject(subject), data=cv,
                                      kind=IdentityDocument.Kind.CV)
        given_fields.append("cv")
    if data.get("message"):
        subject_services.enquiry_add(subject=subject, actor=Actor.subject(subject), message=data["message"])
        given_fields.append("message")
    periods = [p.retention_days for p in purposes if p.retention_days]
    retention_days = max(periods) if periods else None
    others = list(ServiceEngagement.objects.filter(subject=subject, status=ServiceEngagement.Status.OPEN)
                  .exclude(vacancy=vacancy).select_related("vacancy")) if known else []
    earlier = ServiceEngagement.objects.filter(subject=subject, vacancy=vacancy).first() \
        if known and vacancy is not None else None
    if earlier is not None:
        subject_services.application_renew(engagement=earlier, actor=Actor.subject(subject),
                                           retention_days=retention_days)
    else:
        subject_services.engagement_open(
            subject=subject, actor=Actor.subject(subject),
            service=ServiceEngagement.Service.RECRUITMENT if kind == "apply" else ServiceEngagement.Service.ENQUIRY,
            retention_days=retention_days, vacancy=vacancy, reference=reference,
        )
    if known:
        subject_services.activity_touch(subject=subject)
    policy = policy_in_force()
    receipts = consents_give(subject=subject, purposes=purposes, context=context, policy=policy)
    submission = Submission.objects.create(key=key, subject=subject, kind=kind, vacancy=vacancy,
                                           purposes=[p.slug for p in purposes], fields=given_fields)

    language = _supported(context.language or get_language() or settings.LANGUAGE_CODE)
    with translation.override(language):
        vacancy_title = vacancy.title if vacancy is not None else ""
        other_titles = [e.vacancy.title if e.vacancy else str(e.get_service_display()) for e in others]
    # A known person is written to at the addresses held, by the name held: never at what the form said.
    name, email, mobile = ((held.full_name, held.email, held.mobile) if known
                           else (data["full_name"], data["email"], data.get("mobile")))
    shown_fields = given_fields
    if known:  # what we hold now, all of it: the form added only what was missing
        kinds = held_kinds | {IdentityDocument.Kind.ID_SCAN} if "document" in given_fields else held_kinds
        kinds = kinds | {IdentityDocument.Kind.CV} if "cv" in given_fields else kinds
        shown_fields = ["full_name", "email"] + [f for f in ["mobile", "address"] if getattr(held, f)]
        shown_fields += ["legal_id", "referees"]
        shown_fields += ["experience"] if held.experience or "experience" in given_fields else []
        shown_fields += ["document"] if IdentityDocument.Kind.ID_SCAN in kinds else []
        shown_fields += ["cv"] if IdentityDocument.Kind.CV in kinds else []
    message = {"fields": [FIELD_LABELS[f] for f in shown_fields], "purposes": [p.name for p in purposes],
               "link": link_url(subject), "link_expires_days": settings.SELF_SERVICE_LINK_DAYS,
               "full_name": name, "vacancy": vacancy_title, "updated": earlier is not None,
               "kept": known,
               # Handed over by a client company: the person learns from whom we got their data.
               "received_from": context.controller.name if context.controller else "",
               **_policy_link(policy)}
    # The email carries the signed receipts, built when it is sent from their ids (docs/proofs.md).
    messages = [Message(subject, "email", "confirmation", email,
                        {**message, "receipts": [str(r.pk) for r in receipts]}, language)]
    if others:  # one person, one record: tell them their applications now share it
        messages.append(Message(subject, "email", "one_record", email,
                                {"full_name": name, "vacancy": vacancy_title, "others": other_titles,
                                 "link": link_url(subject)}, language))
    if mobile:
        messages.append(Message(subject, "sms", "confirmation", str(mobile), message, language))
    told = [] if known else referees  # a known person's referees are the ones held
    claimed = referee_notices_claim(phones=[str(referee["phone"]) for referee in told])
    for referee in told:
        if str(referee["phone"]) not in claimed:
            audit_record(actor=actor, verb=Verb.REFEREE_NOTICE_SKIPPED, target=subject.pk,
                         detail={"referee": referee["id"], "reason": "notified-recently"})
            continue
        claimed.discard(str(referee["phone"]))  # the same number named twice is told once
        messages.append(Message(
            subject=subject, channel="sms", template="referee_notice", recipient=str(referee["phone"]),
            language=language,
            context={"applicant_name": data["full_name"], "referee_name": referee["name"],
                     "purpose": gettext_lazy("checking a job application as a referee"),
                     "retention": gettext_lazy("until the recruitment is complete, then deleted"),
                     "object_link": referee_url(subject, referee["id"])},
        ))
    notifications_queue(messages=messages)  # one insert, one send job for all of them
    return submission


def _policy_link(policy: PolicyVersion | None) -> dict:
    """Every message about consent links the policy version it was given under."""
    if policy is None:
        return {}
    return {"policy_version": policy.version,
            "policy_url": settings.SITE_URL + reverse("privacy-policy-version", args=[policy.number])}


def referee_notices_claim(*, phones: list[str]) -> set[str]:
    """The numbers of these that may be told now that they were named as referees: each at most once per
    REFEREE_NOTICE_INTERVAL_DAYS, whoever names it, so that nobody can use our forms to send SMS to a
    stranger again and again. One statement in the caller's transaction, no savepoint: a number never
    told gets its row, one told longer ago than the interval has its row renewed, one told within it
    keeps its row and is not returned. A concurrent claim of the same number waits for the other
    transaction and then loses (or wins, if that one rolled back)."""
    now = timezone.now()
    cutoff = now - timedelta(days=settings.REFEREE_NOTICE_INTERVAL_DAYS)
    by_digest: dict[str, str] = {}
    for phone in phones:
        by_digest.setdefault(blind_index_for(kind="referee-phone", normalised=phone), phone)
    if not by_digest:
        return set()
    table = connection.ops.quote_name(RefereeNotice._meta.db_table)
    at, before = connection.ops.adapt_datetimefield_value(now), connection.ops.adapt_datetimefield_value(cutoff)
    digests = sorted(by_digest)  # one order for every claim: two forms naming the same numbers cannot deadlock
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (phone_digest, sent_at) VALUES {', '.join(['(%s, %s)'] * len(digests))} "  # noqa: S608 (names ours, values bound)
            f"ON CONFLICT (phone_digest) DO UPDATE SET sent_at = excluded.sent_at WHERE {table}.sent_at < %s "
            "RETURNING phone_digest",
            [value for digest in digests for value in (digest, at)] + [before],
        )
        return {by_digest[row[0]] for row in cursor.fetchall()}


def referee_notices_expire(*, now=None) -> int:
    """Forget the numbers told longer ago than the interval (beat runs it daily, each claim too)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.REFEREE_NOTICE_INTERVAL_DAYS)
    return RefereeNotice.objects.filter(sent_at__lt=cutoff).delete()[0]


@transaction.atomic
def referee_remove(*, subject: DataSubject, referee_id: str) -> bool:
    """A referee objected: their details leave the application. Returns False if already gone."""
    record = PersonalRecord.objects.select_for_update().get(subject=subject)
    remaining = [r for r in record.referees if r.get("id") != referee_id]
    if len(remaining) == len(record.referees):
        return False
    removed = next(r for r in record.referees if r.get("id") == referee_id)
    # The message we sent them holds their number and name too.
    notifications_erase_to(subject_id=subject.pk, recipient=removed["phone"], channel="sms")
    subject_services.record_update(subject=subject, actor=Actor.system("referee-objection"),
                                   changes={"referees": remaining})
    audit_record(actor=Actor.system("referee-objection"), verb=Verb.REFEREE_OBJECTED, target=subject.pk,
                 detail={"referee": referee_id})
    return True


@transaction.atomic
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


@transaction.atomic
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
