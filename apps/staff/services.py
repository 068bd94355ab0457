"""Staff accounts (second factor, roles) and the privacy officer's registers. Each change is audited."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import (
    Actor,
    ChainReport,
    Entry,
    Verb,
    audit_chain_verify,
    audit_record,
    audit_records,
    audited_transaction,
)
from apps.consent.models import ConsentRecord, Purpose
from apps.consent.services import CollectionContext
from apps.core.datamap import Category
from apps.notifications.models import Notification
from apps.notifications.services import notification_queue
from apps.policies.selectors import languages_of
from apps.recruitment.intake import Landed, Received, submission_receive
from apps.subjects import services as subject_services
from apps.subjects.links import link_url
from apps.subjects.models import DataSubject, Enquiry, PersonalRecord, ServiceEngagement, SubjectRestricted
from apps.vault.services import KeyDestroyed

from .models import Breach, BreachNotice, EnrolmentToken, RightsRequest, rights_request_due
from .roles import groups_apply

BACKUP_CODES = 10


# --- second factor ----------------------------------------------------------------------------------
@audited_transaction()
def sign_in_lock_record(*, username: str, failures: int) -> None:
    """Staff sign-in was locked out after AXES_FAILURE_LIMIT wrong passwords or codes from one address:
    audited once per lock, naming the account by its id when one has that username; never the name typed
    (it may be anything, a password even) nor the address."""
    user = get_user_model().objects.filter(username=username).only("pk").first() if username else None
    audit_record(actor=Actor.system("sign-in"), verb=Verb.STAFF_SIGN_IN_LOCKED, target=str(user.pk) if user else "",
                 detail={"failures": failures, "account": "known" if user else "unknown",
                         "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)})


@audited_transaction()
def two_factor_start(*, user) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for a staff member who has none (replaces an unfinished one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)


def _enrolment_digest(code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(f"staff-enrolment:{normalised}".encode()).hexdigest()


@audited_transaction()
def enrolment_code_issue(*, user, issued_by) -> str:
    """A one-time code with which `user` may set up their first second factor (a password alone never
    can). Returned once, to be shown to the issuer once; only its hash is kept. Earlier unused codes for
    the user stop working. Issued by a superuser or the privacy officer (or `manage.py staff_enrolment_code`)."""
    raw = secrets.token_hex(8).upper()  # 64 bits; tries are counted by django-axes like wrong passwords
    code = "-".join(raw[i:i + 4] for i in range(0, 16, 4))
    now = timezone.now()
    EnrolmentToken.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
    token = EnrolmentToken.objects.create(user=user, digest=_enrolment_digest(code), issued_by=issued_by,
                                          issued_at=now,
                                          expires_at=now + timedelta(hours=settings.STAFF_ENROLMENT_HOURS))
    actor = Actor.staff(issued_by) if issued_by is not None else Actor.system("staff_enrolment_code")
    audit_record(actor=actor, verb=Verb.STAFF_ENROLMENT_ISSUED,
                 detail={"user": user.pk, "token": str(token.pk), "expires_at": token.expires_at.isoformat()})
    return code


@audited_transaction()
def enrolment_code_use(*, user, code: str) -> EnrolmentToken | None:
    """Spend the user's enrolment code; None if it is wrong, spent, expired or someone else's."""
    token = (EnrolmentToken.objects.select_for_update()
             .filter(user=user, digest=_enrolment_digest(code), used_at__isnull=True).first())
    if token is None or not token.is_usable:
        return None
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    return token


@audited_transaction()
def two_factor_confirm(*, user, device: TOTPDevice, code: str) -> list[str] | None:
    """The first code from the app proves it is set up: the device is confirmed and one-use backup codes
    are issued (returned once, to be shown once). None if the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    if not device.verify_token(code.strip().replace(" ", "")):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=c) for c in codes])
    audit_record(actor=Actor.staff(user), verb=Verb.STAFF_TWO_FACTOR_ENROLLED, detail={"backup_codes": len(codes)})
    return codes


# --- people ---------------------------------------------------------------------------------------------
@audited_transaction()
def subject_link_send(*, subject: DataSubject, staff_user) -> Notification:
    """A person on the phone lost their private link: a fresh one goes to the address on file (never to an
    address given on the call), in the language of their last message."""
    if subject.is_erased:
        raise ValueError("this person's data has been erased")
    record = PersonalRecord.objects.get(subject=subject)
    notification = notification_queue(subject=subject, channel="email", template="new_link", recipient=record.email,
                                      context={"link": link_url(subject)}, language=_last_language(subject))
    audit_record(actor=Actor.staff(staff_user), verb=Verb.LINK_SENT_BY_STAFF, target=subject.pk,
                 detail={"notification": str(notification.pk)})
    return notification


def _last_language(subject: DataSubject) -> str:
    return (Notification.objects.filter(subject=subject).order_by("-created_at")
            .values_list("language", flat=True).first() or settings.LANGUAGE_CODE)


class EnquiryClosed(ValueError):
    """The enquiry was answered already (its service is closed) or its person erased."""


@audited_transaction()
def enquiry_answer(*, enquiry: Enquiry, staff_user, body: str) -> Notification:
    """Answer an enquiry by email to the address on file, and close the enquiry's service: that starts the
    person's erasure, which waits until the answer has gone (it is sealed with the key the erasure destroys).
    Exactly once: a second answer to a closed enquiry is refused (EnquiryClosed). The audit event names the
    enquiry, never the text. SubjectRestricted while the person's processing is restricted."""
    subject = DataSubject.objects.select_for_update().get(pk=enquiry.subject_id)  # one answer at a time
    if subject.is_erased:
        raise EnquiryClosed("this person's data has been erased")
    if subject.is_restricted:
        raise SubjectRestricted
    open_enquiries = list(ServiceEngagement.objects.filter(subject=subject, service=ServiceEngagement.Service.ENQUIRY,
                                                           status=ServiceEngagement.Status.OPEN)
                          .values_list("pk", flat=True))
    if not open_enquiries:
        raise EnquiryClosed("this enquiry has been answered and closed")
    record = PersonalRecord.objects.get(subject=subject)
    actor = Actor.staff(staff_user)
    notification = notification_queue(subject=subject, channel="email", template="enquiry_reply",
                                      recipient=record.email, context={"body": body.strip()},
                                      language=_last_language(subject))
    audit_record(actor=actor, verb=Verb.ENQUIRY_ANSWERED, target=subject.pk,
                 detail={"enquiry": str(enquiry.pk), "notification": str(notification.pk)})
    subject_services.engagements_complete(engagement_ids=open_enquiries, actor=actor,
                                          after_notification=notification.pk)
    return notification


# --- restriction of processing (DPA s.34) ----------------------------------------------------------------
def _tell(subject: DataSubject, template: str, context: dict) -> Notification | None:
    record = PersonalRecord.objects.filter(subject=subject).first()
    if record is None or not record.email:
        return None
    return notification_queue(subject=subject, channel="email", template=template, recipient=record.email,
                              context=context, language=_last_language(subject))


@audited_transaction()
def subject_restrict(*, subject: DataSubject, staff_user, ground: str) -> bool:
    """The privacy officer restricts processing on a ground of s.34(1); the person is told. False if it
    already was restricted (nothing is sent again)."""
    if not subject_services.restriction_set(subject=subject, actor=Actor.staff(staff_user), ground=ground):
        return False
    _tell(subject, "restriction_set", {"ground": DataSubject.RestrictionGround(ground).label})
    return True


@audited_transaction()
def subject_restriction_lift(*, subject: DataSubject, staff_user, reason: str) -> bool:
    """The privacy officer lifts the restriction with a reason; the person is told (s.34(3)). False if
    there was none."""
    if not subject_services.restriction_lift(subject=subject, actor=Actor.staff(staff_user), reason=reason):
        return False
    told = _tell(subject, "restriction_lifted", {"reason": DataSubject.RestrictionLifted(reason).label})
    # An erasure deferred by the restriction runs now, once the person has been told (the message is
    # sealed with the key the erasure destroys).
    subject_services.erasure_jobs_resume(subject_id=subject.pk, after_notification=told.pk if told else None)
    return True


# --- people received by email or phone -------------------------------------------------------------------
def person_add_by_staff(*, staff_user, key: uuid.UUID, kind: str, data: dict, purposes: list[Purpose],
                        channel: str, consented_at: datetime, language: str) -> Received:
    """A person who applied or asked by email or phone, entered by staff through the same intake as the
    forms: consent receipts record how (`channel`) and when the person agreed, and the person gets the
    confirmation email (and SMS) with their private link, in their language. Not atomic itself: the intake
    is one durable transaction of its own."""
    if consented_at > timezone.now():
        raise ValueError("consent cannot be given in the future")
    context = CollectionContext(collection_point=f"staff-{channel}", form_version="staff-1",
                                source=ConsentRecord.Source.STAFF, language=language, consented_at=consented_at)
    with translation.override(language):
        return submission_receive(key=key, kind=kind, data=data, purposes=purposes, context=context,
                                  actor=Actor.staff(staff_user))


# --- the audit log ----------------------------------------------------------------------------------------
def audit_log_verify(*, actor: Actor) -> ChainReport:
    """Walk every hash chain now; the result is itself an audit event, which the dashboard shows."""
    report = audit_chain_verify()
    detail = {"ok": report.ok, "events": report.count}
    if not report.ok:
        detail.update(chain=report.chain, problem=report.problem,
                      event=report.broken_at.pk if report.broken_at else None)
    audit_record(actor=actor, verb=Verb.AUDIT_VERIFIED, detail=detail)
    return report


# --- roles --------------------------------------------------------------------------------------------
@audited_transaction()
def roles_sync(*, actor: Actor) -> dict[str, int]:
    """Each role's group holds exactly the permissions apps.staff.roles names (after new models appear)."""
    counts = groups_apply(group_model=Group, permission_model=Permission)
    audit_record(actor=actor, verb=Verb.STAFF_ROLES_SYNCED, detail={"permissions": counts})
    return counts


# --- rights requests ------------------------------------------------------------------------------------
@audited_transaction()
def rights_request_record(*, actor: Actor, kind: str, channel: str, received_at: datetime,
                          subject: DataSubject | None = None, identity_check: str = "") -> RightsRequest:
    """A request received by email, letter or phone, with its statutory due date."""
    request = RightsRequest(kind=kind, channel=channel, received_at=received_at, subject=subject,
                            identity_check=identity_check,
                            due_at=rights_request_due(kind=kind, received_at=received_at))
    request.full_clean()
    request.save(force_insert=True)
    audit_record(actor=actor, verb=Verb.RIGHTS_REQUEST_RECEIVED, target=subject.pk if subject else "",
                 detail={"request": str(request.pk), "type": kind, "due": request.due_at.date().isoformat()})
    return request


@audited_transaction()
def rights_request_change(*, request: RightsRequest, actor: Actor, changes: dict) -> list[str]:
    """Identify the person or record how their identity was checked. Audits field names only."""
    allowed = {"subject", "identity_check", "channel"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not changeable here: {sorted(unknown)}")
    changed = [name for name, value in changes.items() if getattr(request, name) != value]
    for name in changed:
        setattr(request, name, changes[name])
    if changed:
        request.save(update_fields=changed)
        audit_record(actor=actor, verb=Verb.RIGHTS_REQUEST_CHANGED,
                     target=request.subject_id or "", detail={"request": str(request.pk), "fields": sorted(changed)})
    return changed


def rights_request_land(*, form: dict, language: str, received_at: datetime) -> Landed:
    """A request from the public rights page, confirmed by the code emailed to its address (apps.recruitment.intake
    calls this in the transaction that destroys the held form). It lands in the register with its statutory clock
    (received when it was sent). If we hold someone under that address (any record, whoever it is held for), the
    request names them, their identity counts as checked by the emailed code, and they are emailed the due date
    in their language; if nobody, it is recorded as answered (no data), and the confirming page says so."""
    kind, digest = subject_services.lookup_digest(form["email"])
    matching = subject_services.subjects_matching(kind=kind, digest=digest) if digest else []
    subject = next((s for s in matching if s.holder_id is None), matching[0] if matching else None)
    actor = Actor.system("rights-form")
    request = rights_request_record(
        actor=actor, kind=form["right"], channel=RightsRequest.Channel.WEB_FORM, received_at=received_at,
        subject=subject, identity_check=RightsRequest.IdentityCheck.EMAIL_CODE if subject else "")
    if subject is None:
        rights_request_complete(request=request, actor=actor, outcome=RightsRequest.Outcome.NO_DATA)
        return Landed(kind="rights", pk=request.pk, facts={"right": request.kind, "due": None})
    with translation.override(language):
        due = date_format(timezone.localtime(request.due_at), "j F Y")
        right = str(request.get_kind_display())
    notification_queue(subject=subject, channel=Notification.Channel.EMAIL, template="rights_request_received",
                       recipient=form["email"], language=language,
                       context={"right": right, "due": due, "reference": str(request.pk)[:8]})
    return Landed(kind="rights", pk=request.pk, facts={"right": request.kind, "due": request.due_at})


class RightsRequestNotReady(ValueError):
    """The request cannot be closed as done yet; the message (translatable, no personal data) says why."""


@audited_transaction()
def rights_request_complete(*, request: RightsRequest, actor: Actor, outcome: str) -> RightsRequest:
    """Close the request. Done as asked, an erasure request erases the person through the same service
    as the self-service page (an erasure job, queued after commit)."""
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != RightsRequest.State.OPEN:
        return request
    done = outcome == RightsRequest.Outcome.DONE
    if done and (request.subject_id is None or not request.identity_check):
        raise RightsRequestNotReady(gettext_lazy("identify the person and record how their identity was checked "
                                                 "first"))
    if done and request.kind == RightsRequest.Kind.RESTRICTION and \
            not DataSubject.objects.filter(pk=request.subject_id, restricted_at__isnull=False).exists():
        # The ground (s.34(1)) is chosen on the person's page, where the restriction is set and audited.
        raise RightsRequestNotReady(gettext_lazy("restrict the processing of the person's data first, from their "
                                                 "page, with the ground"))
    if done and request.kind == RightsRequest.Kind.ERASURE:
        subject_services.erasure_request(subject_id=request.subject_id, reason=subject_services.Reason.SUBJECT_REQUEST,
                                         actor=actor)
    request.state = RightsRequest.State.COMPLETED if done or outcome == RightsRequest.Outcome.WITHDRAWN \
        else RightsRequest.State.REFUSED
    request.outcome = outcome
    request.completed_at = timezone.now()
    request.save(update_fields=["state", "outcome", "completed_at"])
    audit_record(actor=actor, verb=Verb.RIGHTS_REQUEST_COMPLETED, target=request.subject_id or "",
                 detail={"request": str(request.pk), "type": request.kind, "outcome": outcome,
                         "overdue": request.completed_at > request.due_at})
    return request


# --- breaches -----------------------------------------------------------------------------------------------
BREACH_FIELDS = ["summary", "occurred_at", "discovered_at", "categories", "people_affected", "risk", "containment",
                 "commissioner_notified_at", "controllers_notified_at", "people_notified_at", "state"]


@audited_transaction()
def breach_record(*, actor: Actor, **fields) -> Breach:
    unknown = set(fields) - set(BREACH_FIELDS)
    if unknown:
        raise ValueError(f"not breach fields: {sorted(unknown)}")
    breach = Breach(**fields)
    breach.full_clean()
    breach.save(force_insert=True)
    audit_record(actor=actor, verb=Verb.BREACH_RECORDED,
                 detail={"breach": str(breach.pk), "people_affected": breach.people_affected, "risk": breach.risk})
    return breach


BREACH_NOTICE_CHUNK = 200  # people told per transaction


def breach_people_notify(*, breach: Breach, subject_ids: list[uuid.UUID], staff_user) -> int:
    """Tell each person affected by a breach, by email in their language, exactly once per breach whatever
    the number of presses: the register (BreachNotice) records who was told and when, each audited.
    Erased people are skipped. Returns how many were told by this call."""
    told = 0
    ids = sorted(set(subject_ids))
    for start in range(0, len(ids), BREACH_NOTICE_CHUNK):
        told += _breach_notify_chunk(breach=breach, subject_ids=ids[start:start + BREACH_NOTICE_CHUNK],
                                     staff_user=staff_user)
    return told


@audited_transaction()
def _breach_notify_chunk(*, breach: Breach, subject_ids: list[uuid.UUID], staff_user) -> int:
    breach = Breach.objects.select_for_update().get(pk=breach.pk)  # two presses at once: one after the other
    done = set(BreachNotice.objects.filter(breach=breach, subject_id__in=subject_ids)
               .values_list("subject_id", flat=True))
    people = list(DataSubject.objects.filter(pk__in=set(subject_ids) - done, status=DataSubject.Status.ACTIVE)
                  .order_by("pk"))
    records = {r.subject_id: r for r in PersonalRecord.objects.filter(subject__in=people)}
    languages = languages_of([p.pk for p in people])
    now, actor, entries = timezone.now(), Actor.staff(staff_user), []
    for person in people:
        record = records.get(person.pk)
        try:
            email = record.email if record is not None else None
        except KeyDestroyed:  # being erased right now: there is nobody left to tell
            continue
        if not email:
            continue  # nobody to write to (a record under a legal hold may have lost its address)
        notification = notification_queue(
            subject=person, channel="email", template="breach_notice", recipient=email,
            language=languages.get(person.pk) or settings.LANGUAGE_CODE,
            context={"summary": breach.summary, "containment": breach.containment,
                     "discovered_on": timezone.localdate(breach.discovered_at).isoformat(),
                     "categories": [Category(c).label for c in breach.categories if c in Category.values]})
        notice = BreachNotice.objects.create(breach=breach, subject=person, notified_at=now,
                                             notification_id=notification.pk)
        entries.append(Entry(actor, Verb.BREACH_PERSON_NOTIFIED, person.pk,
                             {"breach": str(breach.pk), "notice": str(notice.pk),
                              "notification": str(notification.pk)}))
    if entries:
        audit_records(entries=entries)
        if breach.people_notified_at is None:
            breach.people_notified_at = now
            breach.save(update_fields=["people_notified_at"])
    return len(entries)


@audited_transaction()
def breach_update(*, breach: Breach, actor: Actor, changes: dict) -> list[str]:
    """Containment, notifications sent, closing. Audits field names only (the summary is free text)."""
    unknown = set(changes) - set(BREACH_FIELDS)
    if unknown:
        raise ValueError(f"not breach fields: {sorted(unknown)}")
    changed = [name for name, value in changes.items() if getattr(breach, name) != value]
    for name in changed:
        setattr(breach, name, changes[name])
    if changed:
        breach.full_clean()
        breach.save(update_fields=changed)
        audit_record(actor=actor, verb=Verb.BREACH_UPDATED,
                     detail={"breach": str(breach.pk), "fields": sorted(changed)})
    return changed
