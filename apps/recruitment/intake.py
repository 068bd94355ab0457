"""The intake: receiving a sent form (person, record, engagement, consents, confirmation), and the forms
sent with the address of a person we know, held until that person confirms them."""

import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import F, Value
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy, gettext_noop

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.consent.models import ConsentRecord, Purpose, RefereeNotice, Submission
from apps.consent.selectors import consents_current_for, purposes_for
from apps.consent.services import CollectionContext, consents_give, supported_language
from apps.notifications.services import (
    Message,
    notifications_erase_for_intake,
    notifications_erase_for_intakes_gone,
    notifications_erase_to,
    notifications_queue,
)
from apps.policies.models import PolicyVersion
from apps.policies.selectors import policy_in_force
from apps.subjects import services as subject_services
from apps.subjects.links import link_url, pending_resolve, pending_token, referee_url
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
from apps.vault.routers import vault_db
from apps.vault.services import KeyDestroyed, blind_index_for, datakey_destroy, datakey_new, key_scope

from .models import PendingSubmission, UploadKept
from .uploads import uploads_take

# --- receiving a form ----------------------------------------------------------------------------
# Labels, not values: what a person is told we hold. Marked for translation, translated when shown.
FIELD_LABELS = {
    "full_name": gettext_noop("Full name"), "email": gettext_noop("Email address"),
    "mobile": gettext_noop("Mobile number"), "address": gettext_noop("Address"),
    "legal_id": gettext_noop("Legal ID type and number"), "document": gettext_noop("ID document"),
    "referees": gettext_noop("Two referees"), "message": gettext_noop("Your message"),
    "experience": gettext_noop("Your work experience"), "cv": gettext_noop("Your CV"),
    "right": gettext_noop("The right you want to exercise"),
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


def _applicant_known(*, email: str, holder: Controller | None) -> DataSubject | None:
    """The person already with us under this email (the newest, if an old duplicate exists), locked until
    the transaction ends; None if nobody is, if their erasure is already under way, or if their processing
    is restricted."""
    kind, digest = subject_services.lookup_digest(email)
    if connection.vendor == "postgresql":  # two first applications with one address at once: one person
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"applicant|{digest}"])
    # Only the records held for the same hand (the client company, or the person's own): a client company never
    # joins a person another company handed over or who applied to us themselves, nor the other way round.
    matching = subject_services.subjects_matching(kind=kind, digest=digest, holder=holder)
    if not matching:
        return None
    # Someone who only wrote to us is not who an application joins: anyone can send the contact form with
    # another's address and their own mobile number, and an application joined to that record would send
    # its private link to that number.
    applicants = set(ServiceEngagement.objects.filter(subject__in=matching).exclude(
        service=ServiceEngagement.Service.ENQUIRY).values_list("subject_id", flat=True))
    matching = [person for person in matching if person.pk in applicants]
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


def _not_withdrawn(email: str, purposes: list[Purpose]) -> list[Purpose]:
    """A client company's consent is its assertion: it never gives again a purpose the person withdrew, on any
    record we hold under their address (their own, or one a company handed over)."""
    kind, digest = subject_services.lookup_digest(email)
    withdrawn = {slug for subject in subject_services.subjects_matching(kind=kind, digest=digest)
                 for slug, receipt in consents_current_for(subject=subject).items()
                 if receipt.action == ConsentRecord.Action.WITHDRAWN}
    return [p for p in purposes if p.slug not in withdrawn]


def _record_values(kind: str, data: dict, referees: list[dict]) -> dict:
    values = {"full_name": data["full_name"], "email": subject_services.normalise_email(data["email"]),
              "mobile": data.get("mobile") or None,
              "address": data.get("address", ""), "referees": referees,
              "legal_id_type": data.get("legal_id_type", ""), "legal_id_number": data.get("legal_id_number", ""),
              "experience": (data.get("experience") or "").strip()}
    return values if kind == "apply" else {k: values[k] for k in ["full_name", "email", "mobile"]}


@dataclass
class _Person:
    """Who a received form is about, and what it gave: the fields added, what the record held before."""

    subject: DataSubject
    known: bool
    given_fields: list[str]
    held: PersonalRecord | None = None  # a known person's record (as updated)
    held_kinds: set[str] = field(default_factory=set)  # kinds of documents a known person had already
    mobile_removed: bool = False


def _known_update(subject: DataSubject, *, values: dict, context: CollectionContext, actor: Actor, key: uuid.UUID,
                  confirmed: bool) -> _Person:
    """A form about a person we hold. It never changes what we already hold: a new ID scan or CV would replace
    theirs, a new number could bring the private link by SMS. Only what the record lacks is added (and, once
    the address's owner confirmed it, address, legal ID and referees too); the person corrects the rest through
    their private link (the confirmation says so, and it goes to the address held)."""
    held = PersonalRecord.objects.get(subject=subject)
    filled = _missing_from(held, values, also=RECORD_FILLED_ON_CONFIRMATION if confirmed else ())
    # A held number may be a stranger's (typed with another's email before anyone proved it): when the address's
    # owner confirms a form that does not give it, or our staff hand over the person with another number, it is
    # removed and every link sent before stops working. A client company's hand-over never does (the person may
    # have corrected the number through their link since): it asserts, the person decides.
    given = _e164(values["mobile"])
    mobile_removed = (held.mobile is not None and _e164(held.mobile) != given
                      and (confirmed or bool(given)) and context.controller is None)
    if mobile_removed:
        filled["mobile"] = None
        # The messages sent to that number hold it too (and the person's export would show it).
        notifications_erase_to(subject_id=subject.pk, recipient=_e164(held.mobile), channel="sms")
    if filled:
        subject_services.record_update(subject=subject, actor=actor, changes=filled)
        for name, value in filled.items():
            setattr(held, name, value)
    if mobile_removed:
        subject_services.subject_links_revoke(subject=subject, actor=actor)
    audit_record(actor=actor, verb=Verb.SUBJECT_MATCHED, target=subject.pk,
                 detail={"by": "email", "submission": str(key)})
    return _Person(subject=subject, known=True, held=held, mobile_removed=mobile_removed,
                   held_kinds=set(IdentityDocument.objects.filter(subject=subject).values_list("kind", flat=True)),
                   given_fields=[f for f in ["address", "legal_id", "referees", "experience"]
                                 if {"legal_id": "legal_id_number"}.get(f, f) in filled])


def _new_person(*, kind: str, data: dict, values: dict, context: CollectionContext, actor: Actor) -> _Person:
    subject = subject_services.subject_create(actor=actor, holder=context.controller, **values)
    given_fields = ["full_name", "email"] + [f for f in ["mobile", "address"] if data.get(f)]
    if kind == "apply":  # staff entering an application by phone may have neither yet
        given_fields += [f for f, given in (("legal_id", values["legal_id_number"]), ("referees", values["referees"]))
                         if given]
        given_fields += ["experience"] if values["experience"] else []
    return _Person(subject=subject, known=False, given_fields=given_fields)


def _attachments_add(person: _Person, *, document: bytes | None, cv: bytes | None, message: str) -> None:
    """The ID scan and CV (unless the person has one already) and the message sent to us."""
    subject, as_person = person.subject, Actor.subject(person.subject)
    if document is not None and IdentityDocument.Kind.ID_SCAN not in person.held_kinds:
        subject_services.document_add(subject=subject, actor=as_person, data=document)
        person.given_fields.append("document")
    if cv is not None and IdentityDocument.Kind.CV not in person.held_kinds:
        subject_services.document_add(subject=subject, actor=as_person, data=cv, kind=IdentityDocument.Kind.CV)
        person.given_fields.append("cv")
    if message:
        subject_services.enquiry_add(subject=subject, actor=as_person, message=message)
        person.given_fields.append("message")


def _engagement_open(person: _Person, *, kind: str, vacancy: Vacancy | None, purposes: list[Purpose],
                     reference: str) -> tuple[ServiceEngagement | None, list[ServiceEngagement]]:
    """Open the service the form asks for (or renew the application to the same job). Returns the earlier
    application renewed, if any, and the person's other open services."""
    subject, as_person = person.subject, Actor.subject(person.subject)
    periods = [p.retention_days for p in purposes if p.retention_days]
    retention_days = max(periods) if periods else None
    others = list(ServiceEngagement.objects.filter(subject=subject, status=ServiceEngagement.Status.OPEN)
                  .exclude(vacancy=vacancy).select_related("vacancy")) if person.known else []
    earlier = ServiceEngagement.objects.filter(subject=subject, vacancy=vacancy).first() \
        if person.known and vacancy is not None else None
    if earlier is not None:
        subject_services.application_renew(engagement=earlier, actor=as_person, retention_days=retention_days)
    else:
        subject_services.engagement_open(
            subject=subject, actor=as_person, retention_days=retention_days, vacancy=vacancy, reference=reference,
            service=ServiceEngagement.Service.RECRUITMENT if kind == "apply" else ServiceEngagement.Service.ENQUIRY)
    if person.known:
        subject_services.activity_touch(subject=subject)
    return earlier, others


def _fields_held(person: _Person) -> list[str]:
    """What the confirmation lists: for a new person what the form gave, for a known one all we hold now."""
    if not person.known:
        return person.given_fields
    held, given = person.held, person.given_fields
    kinds = person.held_kinds | {k for f, k in (("document", IdentityDocument.Kind.ID_SCAN),
                                                ("cv", IdentityDocument.Kind.CV)) if f in given}
    shown = ["full_name", "email"] + [f for f in ["mobile", "address"] if getattr(held, f)]
    shown += [f for f, holds in (("legal_id", held.legal_id_number), ("referees", held.referees)) if holds]
    shown += ["experience"] if held.experience or "experience" in given else []
    shown += ["document"] if IdentityDocument.Kind.ID_SCAN in kinds else []
    shown += ["cv"] if IdentityDocument.Kind.CV in kinds else []
    return shown


def _referee_messages(person: _Person, *, referees: list[dict], name: str, language: str,
                      actor: Actor) -> list[Message]:
    """A known person's referees are the ones held, told when they were held first (a new record, or one that
    had none until the person confirmed this form); each number at most once per interval, whoever names it."""
    told = referees if not person.known or "referees" in person.given_fields else []
    claimed = referee_notices_claim(phones=[str(referee["phone"]) for referee in told])
    messages = []
    for referee in told:
        if str(referee["phone"]) not in claimed:
            audit_record(actor=actor, verb=Verb.REFEREE_NOTICE_SKIPPED, target=person.subject.pk,
                         detail={"referee": referee["id"], "reason": "notified-recently"})
            continue
        claimed.discard(str(referee["phone"]))  # the same number named twice is told once
        messages.append(Message(
            subject=person.subject, channel="sms", template="referee_notice", recipient=str(referee["phone"]),
            language=language,
            context={"applicant_name": name, "referee_name": referee["name"],
                     "purpose": gettext_lazy("checking a job application as a referee"),
                     "retention": gettext_lazy("until the recruitment is complete, then deleted"),
                     "object_link": referee_url(person.subject, referee["id"], name)}))
    return messages


def _confirmation_messages(person: _Person, *, data: dict, purposes: list[Purpose], receipts: list[ConsentRecord],
                           vacancy: Vacancy | None, earlier: ServiceEngagement | None,
                           others: list[ServiceEngagement], context: CollectionContext, policy: PolicyVersion | None,
                           language: str) -> tuple[list[Message], str]:
    """The confirmation (email, and SMS to a new person), and the "one record" email; and the name used."""
    subject, known = person.subject, person.known
    with translation.override(language):
        vacancy_title = vacancy.title if vacancy is not None else ""
        other_titles = [e.vacancy.title if e.vacancy else str(e.get_service_display()) for e in others]
    # A known person is written to at the addresses held, by the name held: never at what the form said.
    held = person.held
    name, email, mobile = ((held.full_name, held.email, held.mobile) if known
                           else (data["full_name"], data["email"], data.get("mobile")))
    message = {"fields": [FIELD_LABELS[f] for f in _fields_held(person)], "purposes": [p.name for p in purposes],
               "link": link_url(subject), "link_expires_days": settings.SELF_SERVICE_LINK_DAYS,
               "full_name": name, "vacancy": vacancy_title, "updated": earlier is not None, "kept": known,
               # Added to a known person's record when they confirmed the form (what it lacked).
               "added": [FIELD_LABELS[f] for f in person.given_fields
                         if known and f in ("address", "legal_id", "referees")],
               "mobile_removed": person.mobile_removed,
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
    if mobile and not known:
        # A person we already knew gets the private link by email only: the address they have just proved is
        # theirs (by confirming, or as the client company's hand-over names it), not a number held from before.
        messages.append(Message(subject, "sms", "confirmation", str(mobile), message, language))
    return messages, name


def _receive(*, key: uuid.UUID, kind: str, data: dict, purposes: list[Purpose], context: CollectionContext,
             document: bytes | None, vacancy: Vacancy | None = None, cv: bytes | None = None,
             actor: Actor | None = None, reference: str = "", confirmed: bool = False,
             policy: PolicyVersion | None = None) -> Submission:
    """Receive a form from a trusted hand (a confirmed form, our staff, a client company), in the caller's
    transaction: the person (found by the email's blind index among the records held for the same hand, or
    made), their files, the service, the receipts, the submission row and the messages, in one insert."""
    referees = [{"id": uuid.uuid4().hex, **r} for r in data.get("referees", [])]
    actor = actor or (Actor.controller(context.controller) if context.controller else Actor.system(f"{kind}-form"))
    if vacancy is not None:
        vacancy = subject_services.vacancy_hold_open(vacancy_id=vacancy.pk)
    values = _record_values(kind, data, referees)
    subject = _applicant_known(email=data["email"], holder=context.controller) if kind == "apply" else None
    person = (_known_update(subject, values=values, context=context, actor=actor, key=key, confirmed=confirmed)
              if subject is not None else _new_person(kind=kind, data=data, values=values, context=context,
                                                      actor=actor))
    _attachments_add(person, document=document, cv=cv, message=data.get("message") or "")
    earlier, others = _engagement_open(person, kind=kind, vacancy=vacancy, purposes=purposes, reference=reference)
    if context.controller is not None:
        purposes = _not_withdrawn(data["email"], purposes)
    policy = policy or policy_in_force()  # a held form's receipts name the version in force when it was sent
    receipts = consents_give(subject=person.subject, purposes=purposes, context=context, policy=policy)
    submission = Submission.objects.create(key=key, subject=person.subject, kind=kind, vacancy=vacancy,
                                           purposes=[p.slug for p in purposes], fields=person.given_fields)
    language = supported_language(context.language or get_language() or settings.LANGUAGE_CODE)
    messages, name = _confirmation_messages(person, data=data, purposes=purposes, receipts=receipts,
                                            vacancy=vacancy, earlier=earlier, others=others, context=context,
                                            policy=policy, language=language)
    messages += _referee_messages(person, referees=referees, name=name, language=language, actor=actor)
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


@audited_transaction()
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


# --- a public form about a person we know: held until that person confirms it ---------------------------
# What a confirmed form may add to a known person's record when the record lacks it (never the mobile
# number: it can bring the private link by SMS, so the person adds it through their link themselves).
RECORD_FILLED_ON_CONFIRMATION = ("address", "legal_id", "referees")


def _missing_from(held: PersonalRecord, values: dict, *, also: tuple[str, ...] = ()) -> dict:
    """The changes that add to `held` what it lacks and the form gave: its work experience always (as before),
    and the fields named in `also`. Never a value the record holds."""
    changes = {}
    if values.get("experience") and not held.experience:
        changes["experience"] = values["experience"]
    if "address" in also and values.get("address") and not held.address:
        changes["address"] = values["address"]
    if "legal_id" in also and values.get("legal_id_number") and not held.legal_id_number:
        changes |= {"legal_id_type": values.get("legal_id_type", ""), "legal_id_number": values["legal_id_number"]}
    if "referees" in also and values.get("referees") and not held.referees:
        changes["referees"] = values["referees"]
    return changes


def fields_sent(*, kind: str, data: dict, document: bytes | None, cv: bytes | None) -> list[str]:
    """The fields a form gave (names, never values), in the order the done page lists them: what a new
    person's submission records, and what a held one records too, so the page is the same for both."""
    if kind in _LANDINGS:
        return ["email", "right"]
    fields = ["full_name", "email"] + [f for f in ["mobile", "address"] if data.get(f)]
    if kind == "apply":
        fields += [f for f, given in (("legal_id", data.get("legal_id_number")), ("referees", data.get("referees")))
                   if given]
        fields += ["experience"] if (data.get("experience") or "").strip() else []
    fields += ["document"] if document is not None else []
    fields += ["cv"] if cv is not None else []
    fields += ["message"] if data.get("message") else []
    return fields


def _e164(number) -> str:
    """A phone number (a PhoneNumber, an E.164 string or nothing) as E.164, or ""."""
    return number.as_e164 if hasattr(number, "as_e164") else str(number or "")


def _plain(data: dict) -> dict:
    """The form's data as JSON (a phone number as E.164)."""
    return {k: (_e164(v) if hasattr(v, "as_e164") else v) for k, v in data.items()}


# --- a form from the website: nothing exists until the address's owner proves it -------------------------
class IntakeOutcome:
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"
    WRONG_CODE = "wrong-code"
    LOCKED = "locked"  # too many wrong codes: only the emailed link confirms it now
    GONE = "gone"  # confirmed already, discarded, or expired and destroyed
    INVALID = "invalid"
    EXPIRED = "expired"
    CLOSED = "closed"  # the job closed meanwhile: nothing applied, the form destroyed


def intake_url(pending_id: uuid.UUID) -> str:
    return settings.SITE_URL + reverse("recruitment:pending", args=[pending_token(pending_id)])


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _check_consents(kind: str, purposes: list[Purpose], offered: list[Purpose] | None) -> None:
    missing = {p.slug for p in (purposes_for(kind) if offered is None else offered) if p.required} \
        - {p.slug for p in purposes}
    if missing:
        raise RequiredConsentMissing(f"required consents missing: {sorted(missing)}")


def _policy_id() -> int | None:
    policy = policy_in_force()
    return policy.pk if policy else None


def _code_message(pending: PendingSubmission, *, template: str = "intake_code") -> Message:
    """The email to the address typed: the code, the link, what the form is, when it is deleted."""
    form = pending.data["form"]
    language = pending.context["language"]
    with translation.override(language):
        vacancy_title = str(pending.vacancy.title) if pending.vacancy is not None else ""
    return Message(None, "email", template, form["email"], {
        "code": pending.code, "link": intake_url(pending.pk), "vacancy": vacancy_title, "kind": pending.kind,
        "days": settings.INTAKE_PENDING_DAYS}, language, intake_id=pending.pk)


@dataclass(frozen=True)
class FormKeyState:
    """What a form's key already stands for: a form received (its submission) or one held for its code."""

    submission: Submission | None = None
    pending_id: uuid.UUID | None = None


def form_key_state(*, key: uuid.UUID) -> FormKeyState:
    """Whether this form was sent before (double click, back button): one statement asks both tables."""
    held = PendingSubmission.objects.filter(key=key).values_list("pk", Value("pending"))
    received = Submission.objects.filter(key=key).values_list("pk", Value("received"))
    found = dict((what, pk) for pk, what in held.union(received, all=True))
    if "received" in found:
        return FormKeyState(submission=Submission.objects.get(pk=found["received"]))
    return FormKeyState(pending_id=found.get("pending"))


def intake_hold(*, key: uuid.UUID, kind: str, data: dict, purposes: list[Purpose], context: CollectionContext,
                document: bytes | None = None, vacancy: Vacancy | None = None, cv: bytes | None = None,
                offered: list[Purpose] | None = None, take_kept: bool = False,
                key_checked: bool = False) -> PendingSubmission:
    """A form sent from the website: one sealed row under a key of its own and one email with a code, nothing
    else. The same statements whatever the address (it is not looked up). The same key twice returns the
    first row. RequiredConsentMissing, DocumentRejected (the CV) or VacancyClosed: nothing is stored.
    `take_kept`: files kept from the form's earlier try stand in for those not sent again (and are deleted).
    `key_checked`: the caller has just asked form_key_state (a form sent twice at the same moment is still
    caught: the key is unique)."""
    existing = None if key_checked else PendingSubmission.objects.filter(key=key).first()
    if existing is not None:
        return existing
    _check_consents(kind, purposes, offered)
    if cv is not None:
        subject_services.document_check(data=cv, kind=IdentityDocument.Kind.CV)
    if vacancy is not None and not vacancy.is_open:
        raise subject_services.VacancyClosed
    language = supported_language(context.language or get_language() or settings.LANGUAGE_CODE)
    pending = PendingSubmission(
        key=key, kind=kind, vacancy=vacancy, purposes=[p.slug for p in purposes],
        context={"collection_point": context.collection_point, "form_version": context.form_version,
                 "source": context.source, "language": language, "notices": [list(n) for n in context.notices],
                 "policy": _policy_id()},  # the version in force when the form was sent: its receipts name it
        expires_at=timezone.now() + timedelta(days=settings.INTAKE_PENDING_DAYS))
    try:
        with key_scope(), audited_transaction(durable=True):
            if take_kept:
                # The required scan must be there if it was not sent again; a CV only if the page kept one.
                expected = frozenset({"id_document"} if document is None and kind == "apply" else set())
                taken = uploads_take(form_key=key, expected=expected)
                document, cv = document or taken.get("id_document"), cv or taken.get("cv")
            # The form's key, the sealed form and its email: one statement where the key store shares the database.
            key_row = datakey_new(subject_id=pending.pk)
            if vault_db() != DEFAULT_DB_ALIAS:
                key_row.save(force_insert=True, using=vault_db())
            pending.data = {"form": _plain(data), "ip": context.ip, "user_agent": context.user_agent}
            pending.document, pending.cv, pending.code = document, cv, _new_code()
            audit_record(actor=Actor.system(f"{kind}-form"), verb=Verb.INTAKE_HELD, target=pending.pk,
                         detail={"kind": kind, **({"vacancy": str(vacancy.pk)} if vacancy else {})})
            notifications_queue(messages=[_code_message(pending)],
                                also_insert=[key_row, pending] if vault_db() == DEFAULT_DB_ALIAS else [pending])
    except IntegrityError:  # the same form sent twice at the same moment
        return PendingSubmission.objects.get(key=key)
    return pending


def _intake_destroy(pending: PendingSubmission, *, verb: str, why: str = "") -> None:
    """The row, its messages and its key go, in the caller's transaction."""
    notifications_erase_for_intake(intake_id=pending.pk)
    pending_id = pending.pk
    pending.delete()
    if vault_db() == DEFAULT_DB_ALIAS:  # with the rows, in the same transaction
        datakey_destroy(subject_id=pending_id)
    else:  # a key store of its own commits apart: only once the rows are surely gone (else the form is unreadable)
        transaction.on_commit(lambda: datakey_destroy(subject_id=pending_id))
    audit_record(actor=Actor.system("intake"), verb=verb, target=pending_id, detail={"why": why} if why else {})


@dataclass(frozen=True)
class Landed:
    """What a confirmed form of a registered kind became (a rights request in the staff register): its id, and
    what the page that confirmed it tells the person (no personal values)."""

    kind: str
    pk: uuid.UUID
    facts: dict = field(default_factory=dict)


# Forms that become something an app above this one owns (a rights request, apps.staff): that app registers how
# a confirmed form of its kind lands (land(form=..., language=..., received_at=...) -> Landed), in the same
# transaction that destroys the held form. The code, the link, the expiry and the reminder are the intake's own.
_LANDINGS: dict[str, Callable[..., Landed]] = {}


def intake_landing_register(kind: str, land: Callable[..., Landed]) -> None:
    _LANDINGS[kind] = land


def _intake_apply(pending: PendingSubmission) -> Submission | Landed:
    """The address's owner confirmed: the form is received as if sent now, by them (the person is found by the
    address they proved, or made); the receipts keep the words shown when the form was sent. A form of a kind
    another app registered lands there instead (the time it was sent is when it was received)."""
    shown, form = pending.context, pending.data
    if pending.kind in _LANDINGS:
        land, sent_at = _LANDINGS[pending.kind], pending.created_at
        _intake_destroy(pending, verb=Verb.INTAKE_CONFIRMED)
        return land(form=form["form"], language=shown["language"], received_at=sent_at)
    context = CollectionContext(
        collection_point=shown["collection_point"], form_version=shown["form_version"], source=shown["source"],
        ip=form.get("ip", ""), user_agent=form.get("user_agent", ""), language=shown["language"],
        notices=tuple((slug, notice) for slug, notice in shown.get("notices", [])))
    purposes = list(Purpose.objects.filter(slug__in=pending.purposes, active=True))
    document, cv, vacancy, kind, key = pending.document, pending.cv, pending.vacancy, pending.kind, pending.key
    _intake_destroy(pending, verb=Verb.INTAKE_CONFIRMED)
    policy = PolicyVersion.objects.filter(pk=shown.get("policy")).first() if shown.get("policy") else None
    return _receive(key=key, kind=kind, data=form["form"], purposes=purposes, context=context, document=document,
                    vacancy=vacancy, cv=cv, confirmed=True, policy=policy)


def _intake_settle(pending_id: uuid.UUID, decide) -> tuple[str, Submission | Landed | None]:
    """Lock the form and let `decide(pending)` return an outcome; confirming applies it in the same
    transaction. A job closed meanwhile destroys the form and says so; so does a form whose key is gone."""
    try:
        return _intake_settle_locked(pending_id, decide)
    except subject_services.VacancyClosed:
        why, outcome = "vacancy-closed", IntakeOutcome.CLOSED
    except KeyDestroyed:
        why, outcome = "key-gone", IntakeOutcome.GONE
    with audited_transaction(durable=True):
        pending = PendingSubmission.objects.select_for_update().filter(pk=pending_id).first()
        if pending is not None:
            _intake_destroy(pending, verb=Verb.INTAKE_DISCARDED, why=why)
    return outcome, None


def _intake_settle_locked(pending_id: uuid.UUID, decide) -> tuple[str, Submission | Landed | None]:
    with files_kept_only_if_committed(), key_scope(), audited_transaction(durable=True):
        pending = PendingSubmission.objects.select_for_update().filter(pk=pending_id).first()
        if pending is None:
            return IntakeOutcome.GONE, None
        if pending.expires_at <= timezone.now():
            _intake_destroy(pending, verb=Verb.INTAKE_EXPIRED)
            return IntakeOutcome.EXPIRED, None
        outcome = decide(pending)
        if outcome != IntakeOutcome.CONFIRMED:
            return outcome, None
        return outcome, _intake_apply(pending)


def intake_confirm_code(*, pending_id: uuid.UUID, code: str) -> tuple[str, Submission | Landed | None]:
    """The sender typed the code on the page they are on. Returns (IntakeOutcome, the submission if applied).
    After INTAKE_CODE_ATTEMPTS wrong codes only the emailed link confirms the form."""

    def decide(pending: PendingSubmission) -> str:
        if pending.code_attempts >= settings.INTAKE_CODE_ATTEMPTS:
            return IntakeOutcome.LOCKED
        if hmac.compare_digest(pending.code.encode(), (code or "").strip().encode()):
            return IntakeOutcome.CONFIRMED
        PendingSubmission.objects.filter(pk=pending.pk).update(code_attempts=F("code_attempts") + 1)
        audit_record(actor=Actor.system("intake"), verb=Verb.INTAKE_CODE_WRONG, target=pending.pk,
                     detail={"attempt": pending.code_attempts + 1})
        return IntakeOutcome.WRONG_CODE

    return _intake_settle(pending_id, decide)


def intake_confirm_link(*, token: str, discard: bool = False) -> tuple[str, Submission | Landed | None]:
    """The address's owner followed the emailed link and chose: confirm, or "it was not me" (destroyed)."""
    pending_id, problem = pending_resolve(token)
    if problem is not None:
        return problem.value, None

    def decide(pending: PendingSubmission) -> str:
        if discard:
            _intake_destroy(pending, verb=Verb.INTAKE_DISCARDED, why="not-me")
            return IntakeOutcome.DISCARDED
        return IntakeOutcome.CONFIRMED

    return _intake_settle(pending_id, decide)


@dataclass
class IntakeView:
    """What the emailed link's page shows before the person chooses (never the form's values)."""

    kind: str
    vacancy: Vacancy | None
    fields: list[str]
    purposes: list[str]


def intake_show(*, token: str) -> tuple[IntakeView | None, str]:
    """The form an emailed link names, for the page that asks to confirm it; or why there is none."""
    pending_id, problem = pending_resolve(token)
    if problem is not None:
        return None, problem.value
    pending = PendingSubmission.objects.select_related("vacancy__controller").filter(
        pk=pending_id, expires_at__gt=timezone.now()).first()
    if pending is None:
        return None, IntakeOutcome.GONE
    try:
        form = pending.data["form"]
    except KeyDestroyed:  # confirming or discarding it says so, and destroys the row
        return None, IntakeOutcome.GONE
    names = dict(Purpose.objects.filter(slug__in=pending.purposes).values_list("slug", "name"))
    sent = fields_sent(kind=pending.kind, data=form, document=pending.document, cv=pending.cv)
    return IntakeView(kind=pending.kind, vacancy=pending.vacancy, fields=[FIELD_LABELS[f] for f in sent],
                      purposes=[names[s] for s in pending.purposes if s in names]), ""


def key_owners(ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these ids are held forms or kept files: they own their data keys (apps.subjects orphans_remove)."""
    return (set(PendingSubmission.objects.filter(pk__in=ids).values_list("pk", flat=True))
            | set(UploadKept.objects.filter(pk__in=ids).values_list("pk", flat=True)))


def intake_waiting(*, pending_id: uuid.UUID) -> bool:
    """Whether the form is still waiting for its code (not confirmed, discarded or expired)."""
    return PendingSubmission.objects.filter(pk=pending_id, expires_at__gt=timezone.now()).exists()


def intakes_expire(*, now: datetime | None = None) -> tuple[int, int]:
    """Beat, hourly: destroy the forms nobody confirmed within INTAKE_PENDING_DAYS (the row, its messages and
    its key), and remind once, INTAKE_REMINDER_HOURS after it was sent, the address of each form still
    waiting. Returns (destroyed, reminded)."""
    now = now or timezone.now()
    destroyed = reminded = 0
    for pending_id in PendingSubmission.objects.filter(expires_at__lte=now).values_list("pk", flat=True):
        with audited_transaction(durable=True):
            pending = (PendingSubmission.objects.select_for_update(skip_locked=True)
                       .filter(pk=pending_id, expires_at__lte=now).first())
            if pending is not None:
                _intake_destroy(pending, verb=Verb.INTAKE_EXPIRED)
                destroyed += 1
    due = now - timedelta(hours=settings.INTAKE_REMINDER_HOURS)
    for pending_id in PendingSubmission.objects.filter(created_at__lte=due, reminded_at__isnull=True,
                                                       expires_at__gt=now).values_list("pk", flat=True):
        with key_scope(), audited_transaction(durable=True):
            pending = (PendingSubmission.objects.select_for_update(skip_locked=True)
                       .filter(pk=pending_id, reminded_at__isnull=True).first())
            if pending is None:
                continue
            try:
                reminder = _code_message(pending, template="intake_reminder")
            except KeyDestroyed:  # unreadable: nothing to remind of
                _intake_destroy(pending, verb=Verb.INTAKE_DISCARDED, why="key-gone")
                continue
            PendingSubmission.objects.filter(pk=pending.pk).update(reminded_at=now)
            notifications_queue(messages=[reminder])
            reminded += 1
    # Messages of forms the retention sweep deleted as a backstop (their keys go with the orphan sweep).
    notifications_erase_for_intakes_gone(waiting=PendingSubmission.objects.values("pk"))
    return destroyed, reminded
