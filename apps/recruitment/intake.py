"""The intake: receiving a sent form (person, record, engagement, consents, confirmation), and the forms
sent with the address of a person we know, held until that person confirms them."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy, gettext_noop

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.consent.models import ConsentRecord, PendingRequest, Purpose, RefereeNotice, Submission
from apps.consent.selectors import consents_current_for, purposes_for
from apps.consent.services import CollectionContext, consents_give, supported_language
from apps.notifications.services import Message, notifications_erase_to, notifications_queue
from apps.policies.models import PolicyVersion
from apps.policies.selectors import languages_of, policy_in_force
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
from apps.vault.services import blind_index_for

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


def _not_withdrawn(subject: DataSubject, purposes: list[Purpose]) -> list[Purpose]:
    """A client company's consent is its assertion: it never gives again a purpose the person withdrew."""
    current = consents_current_for(subject=subject)
    return [p for p in purposes if p.slug not in current or current[p.slug].action == ConsentRecord.Action.GIVEN]


def _record_values(kind: str, data: dict, referees: list[dict]) -> dict:
    values = {"full_name": data["full_name"], "email": subject_services.normalise_email(data["email"]),
              "mobile": data.get("mobile") or None,
              "address": data.get("address", ""), "referees": referees,
              "legal_id_type": data.get("legal_id_type", ""), "legal_id_number": data.get("legal_id_number", ""),
              "experience": (data.get("experience") or "").strip()}
    return values if kind == "apply" else {k: values[k] for k in ["full_name", "email", "mobile"]}


def _receive(*, key: uuid.UUID, kind: str, data: dict, purposes: list[Purpose], context: CollectionContext,
             document: bytes | None, vacancy: Vacancy | None = None, cv: bytes | None = None,
             actor: Actor | None = None, reference: str = "", confirmed: bool = False) -> Submission:
    referees = [{"id": uuid.uuid4().hex, **r} for r in data.get("referees", [])]
    public = actor is None and context.controller is None and not confirmed  # a visitor's form, no staff, no client
    actor = actor or (Actor.controller(context.controller) if context.controller else Actor.system(f"{kind}-form"))
    if vacancy is not None:
        vacancy = subject_services.vacancy_hold_open(vacancy_id=vacancy.pk)
    values = _record_values(kind, data, referees)
    subject = _applicant_known(email=data["email"], holder=context.controller) if kind == "apply" else None
    known = subject is not None
    if known and public:
        # A public form with the address of a person we know: it changes nothing until they confirm it.
        return _receive_held(key=key, kind=kind, data=data, purposes=purposes, context=context, document=document,
                             vacancy=vacancy, cv=cv, subject=subject)
    if known:
        # Whoever knows an address can send a form with it, so a form never changes what we already hold
        # about a person we know: a new mobile number would let a stranger ask for the private link by SMS,
        # a new ID scan or CV would replace theirs. Only what the record lacks is added; the person corrects
        # the rest through their private link (the confirmation says so, and it goes to the address held).
        held = PersonalRecord.objects.get(subject=subject)
        # Confirmed by the person from the address we hold (pending_request_confirm): what the record lacks
        # (address, legal ID, referees) is added too, never what it holds.
        filled = _missing_from(held, values, also=RECORD_FILLED_ON_CONFIRMATION if confirmed else ())
        # A mobile number the record holds may be a stranger's: anyone can apply first with another's email and
        # their own number, and would then get the private link by SMS. When the address's owner confirms a form
        # that does not give it, or a client company or our staff hand over the person with another number, it
        # is removed, and every link sent before stops working.
        given = _e164(values["mobile"])
        # A client company's hand-over never does (its record is its own, but the person may have corrected the
        # number through their link since): it asserts, the person decides.
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
        held_kinds = set(IdentityDocument.objects.filter(subject=subject).values_list("kind", flat=True))
        given_fields = [f for f in ["address", "legal_id", "referees", "experience"]
                        if {"legal_id": "legal_id_number"}.get(f, f) in filled]
    else:
        mobile_removed = False
        subject = subject_services.subject_create(actor=actor, holder=context.controller, **values)
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
    if known and context.controller is not None:
        purposes = _not_withdrawn(subject, purposes)
    policy = policy_in_force()
    receipts = consents_give(subject=subject, purposes=purposes, context=context, policy=policy)
    submission = Submission.objects.create(key=key, subject=subject, kind=kind, vacancy=vacancy,
                                           purposes=[p.slug for p in purposes], fields=given_fields)

    language = supported_language(context.language or get_language() or settings.LANGUAGE_CODE)
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
        shown_fields += [f for f, holds in (("legal_id", held.legal_id_number), ("referees", held.referees)) if holds]
        shown_fields += ["experience"] if held.experience or "experience" in given_fields else []
        shown_fields += ["document"] if IdentityDocument.Kind.ID_SCAN in kinds else []
        shown_fields += ["cv"] if IdentityDocument.Kind.CV in kinds else []
    message = {"fields": [FIELD_LABELS[f] for f in shown_fields], "purposes": [p.name for p in purposes],
               "link": link_url(subject), "link_expires_days": settings.SELF_SERVICE_LINK_DAYS,
               "full_name": name, "vacancy": vacancy_title, "updated": earlier is not None,
               "kept": known,
               # Added to a known person's record when they confirmed the form (what it lacked).
               "added": [FIELD_LABELS[f] for f in given_fields if known and f in ("address", "legal_id", "referees")],
               "mobile_removed": mobile_removed,
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
    # A known person's referees are the ones held, told when they were held first (a new record, or one
    # that had none until the person confirmed this form).
    told = referees if not known or "referees" in given_fields else []
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
            context={"applicant_name": name, "referee_name": referee["name"],
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


def _person_language(subject: DataSubject) -> str:
    """The language the person last heard from us in (they chose it on their own form)."""
    return supported_language(languages_of([subject.pk]).get(subject.pk) or settings.LANGUAGE_CODE)


def _receive_held(*, key: uuid.UUID, kind: str, data: dict, purposes: list[Purpose], context: CollectionContext,
                  document: bytes | None, vacancy: Vacancy | None, cv: bytes | None,
                  subject: DataSubject) -> Submission:
    """Keep the form, sealed with the person's key, and ask the person (at the address we hold, in their
    language, by the name we hold) whether it was them. Their record, consents and services are untouched.
    While PENDING_REQUESTS_WAITING_MAX of their forms wait already, the form is not kept and nobody is emailed
    (anyone can send forms with another's address: the person is not flooded); the visitor's page is the same."""
    sent = fields_sent(kind=kind, data=data, document=document, cv=cv)
    if PendingRequest.objects.filter(subject=subject).count() >= settings.PENDING_REQUESTS_WAITING_MAX:
        submission = Submission.objects.create(key=key, subject=subject, kind=kind, vacancy=vacancy,
                                               purposes=[p.slug for p in purposes], fields=sent, applied=False)
        audit_record(actor=Actor.system(f"{kind}-form"), verb=Verb.PENDING_REQUEST_DISCARDED, target=subject.pk,
                     detail={"why": "too-many-waiting", "submission": str(key)})
        return submission
    held = PersonalRecord.objects.get(subject=subject)
    request = PendingRequest(
        key=key, subject=subject, kind=kind, vacancy=vacancy, purposes=[p.slug for p in purposes],
        context={"collection_point": context.collection_point, "form_version": context.form_version,
                 "source": context.source,
                 "language": supported_language(context.language or get_language() or settings.LANGUAGE_CODE),
                 "notices": [list(n) for n in context.notices]},
        data={"form": _plain(data), "ip": context.ip, "user_agent": context.user_agent},
        document=document, cv=cv)
    request.save()
    # The same submission row a new person's form makes: a resubmission finds it, the done page reads it.
    submission = Submission.objects.create(key=key, subject=subject, kind=kind, vacancy=vacancy,
                                           purposes=[p.slug for p in purposes], fields=sent, applied=False)
    audit_record(actor=Actor.system(f"{kind}-form"), verb=Verb.PENDING_REQUEST_HELD, target=subject.pk,
                 detail={"by": "email", "request": str(request.pk), "submission": str(key)})
    language = _person_language(subject)
    with translation.override(language):
        vacancy_title = vacancy.title if vacancy is not None else ""
        purpose_names = [str(p.name) for p in purposes]
    notifications_queue(messages=[Message(subject, "email", "pending_confirm", held.email, {
        "full_name": held.full_name, "vacancy": vacancy_title, "fields": [FIELD_LABELS[f] for f in sent],
        "purposes": purpose_names, "link": pending_url(request.pk), "days": settings.PENDING_REQUEST_DAYS,
    }, language)])
    return submission


def pending_url(request_id: uuid.UUID) -> str:
    return settings.SITE_URL + reverse("recruitment:pending", args=[pending_token(request_id)])


class PendingOutcome:
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"
    GONE = "gone"  # used already, discarded, expired and erased, or the person erased
    INVALID = "invalid"
    EXPIRED = "expired"
    CLOSED = "closed"  # the job closed meanwhile: nothing applied, the request erased


MOBILE_DIGITS_SHOWN = 3


@dataclass
class PendingView:
    """What the confirmation page shows before the person chooses (never the form's values)."""

    kind: str
    vacancy: Vacancy | None
    fields: list[str]
    purposes: list[str]
    mobile_ending: str = ""  # the last digits of the form's mobile number, so the person can tell if it is theirs
    held_mobile_ending: str = ""  # set when confirming would remove the number we hold (not the form's)


def pending_request_show(*, token: str) -> tuple[PendingView | None, str]:
    """The pending request a link names, for the page that asks to confirm it; or why there is none."""
    request_id, problem = pending_resolve(token)
    if problem is not None:
        return None, problem.value
    request = PendingRequest.objects.select_related("vacancy__controller").filter(pk=request_id).first()
    if request is None:
        return None, PendingOutcome.GONE
    submission = Submission.objects.filter(pk=request.key).first()
    names = dict(Purpose.objects.filter(slug__in=request.purposes).values_list("slug", "name"))
    given = _e164(request.data["form"].get("mobile"))
    held = _e164(PersonalRecord.objects.get(subject=request.subject_id).mobile)
    return PendingView(kind=request.kind, vacancy=request.vacancy,
                       fields=[FIELD_LABELS[f] for f in (submission.fields if submission else [])],
                       purposes=[names[s] for s in request.purposes if s in names],
                       mobile_ending=given[-MOBILE_DIGITS_SHOWN:],
                       held_mobile_ending=held[-MOBILE_DIGITS_SHOWN:] if held != given else ""), ""


def _pending_erase(request: PendingRequest, *, verb: str, why: str = "") -> None:
    """The request and the submission row it made are deleted; audited without personal data."""
    Submission.objects.filter(pk=request.key, subject_id=request.subject_id).delete()
    request_id = request.pk
    request.delete()
    audit_record(actor=Actor.system("pending-requests") if verb == Verb.PENDING_REQUEST_EXPIRED else
                 Actor.subject(request.subject), verb=verb, target=request.subject_id,
                 detail={"request": str(request_id), **({"why": why} if why else {})})


def pending_request_confirm(*, token: str, discard: bool = False) -> str:
    """The person followed the link sent to the address we hold. Confirming applies the form once, as if the
    person had just sent it: the engagement opens, the consents ticked are given (a withdrawn one given again
    only here), what their record lacks is added, and the usual confirmation is sent. Discarding erases it.
    Either way the request is gone, so a second use changes nothing. Returns a PendingOutcome value."""
    request_id, problem = pending_resolve(token)
    if problem is not None:
        return problem.value
    try:
        with files_kept_only_if_committed(), audited_transaction(durable=True):
            request = PendingRequest.objects.select_for_update().select_related("subject").filter(pk=request_id).first()
            if request is None:
                return PendingOutcome.GONE
            if discard:
                _pending_erase(request, verb=Verb.PENDING_REQUEST_DISCARDED, why="not-me")
                return PendingOutcome.DISCARDED
            subject, form, shown = request.subject, request.data, request.context
            document, cv, vacancy, kind, key = request.document, request.cv, request.vacancy, request.kind, request.key
            context = CollectionContext(
                collection_point=shown["collection_point"], form_version=shown["form_version"], source=shown["source"],
                ip=form.get("ip", ""), user_agent=form.get("user_agent", ""), language=shown["language"],
                notices=tuple((slug, notice) for slug, notice in shown.get("notices", [])),
                consented_at=request.created_at)
            purposes = list(Purpose.objects.filter(slug__in=request.purposes, active=True))
            held_email = PersonalRecord.objects.get(subject=subject).email
            _pending_erase(request, verb=Verb.PENDING_REQUEST_CONFIRMED)
            _receive(key=key, kind=kind, data={**form["form"], "email": held_email}, purposes=purposes,
                     context=context, document=document, vacancy=vacancy, cv=cv, actor=Actor.subject(subject),
                     confirmed=True)
    except subject_services.VacancyClosed:  # it closed while the request waited: nothing applied
        with audited_transaction(durable=True):
            request = PendingRequest.objects.select_for_update().filter(pk=request_id).first()
            if request is not None:
                _pending_erase(request, verb=Verb.PENDING_REQUEST_DISCARDED, why="vacancy-closed")
        return PendingOutcome.CLOSED
    return PendingOutcome.CONFIRMED


def pending_requests_expire(*, now: datetime | None = None) -> int:
    """Erase the requests nobody confirmed within PENDING_REQUEST_DAYS (beat runs it hourly; the retention
    sweep deletes any it missed). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PENDING_REQUEST_DAYS)
    erased = 0
    for request_id in PendingRequest.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True):
        with audited_transaction(durable=True):
            request = (PendingRequest.objects.select_for_update(skip_locked=True)
                       .filter(pk=request_id, created_at__lt=cutoff).first())
            if request is not None:
                _pending_erase(request, verb=Verb.PENDING_REQUEST_EXPIRED)
                erased += 1
    return erased
