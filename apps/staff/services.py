"""Staff accounts (second factor, roles) and the privacy officer's registers. Each change is audited."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import Actor, ChainReport, Verb, audit_chain_verify, audit_record
from apps.notifications.models import Notification
from apps.notifications.services import notification_queue
from apps.subjects import services as subject_services
from apps.subjects.links import link_url
from apps.subjects.models import DataSubject, Enquiry, PersonalRecord

from .models import Breach, RightsRequest, rights_request_due
from .roles import groups_apply

BACKUP_CODES = 10


# --- second factor ----------------------------------------------------------------------------------
@transaction.atomic
def two_factor_start(*, user) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for a staff member who has none (replaces an unfinished one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)


@transaction.atomic
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
@transaction.atomic
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


@transaction.atomic
def enquiry_answer(*, enquiry: Enquiry, staff_user, body: str) -> Notification:
    """Answer an enquiry by email to the address on file. The answer is sealed in the notification with the
    person's key; the audit event names the enquiry, never the text. The enquiry's service is completed
    separately, once the answer has gone: completing it erases the person, and with them a queued email."""
    subject = enquiry.subject
    if subject.is_erased:
        raise ValueError("this person's data has been erased")
    record = PersonalRecord.objects.get(subject=subject)
    notification = notification_queue(subject=subject, channel="email", template="enquiry_reply",
                                      recipient=record.email, context={"body": body.strip()},
                                      language=_last_language(subject))
    subject_services.activity_touch(subject=subject)
    audit_record(actor=Actor.staff(staff_user), verb=Verb.ENQUIRY_ANSWERED, target=subject.pk,
                 detail={"enquiry": str(enquiry.pk), "notification": str(notification.pk)})
    return notification


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
@transaction.atomic
def roles_sync(*, actor: Actor) -> dict[str, int]:
    """Each role's group holds exactly the permissions apps.staff.roles names (after new models appear)."""
    counts = groups_apply(group_model=Group, permission_model=Permission)
    audit_record(actor=actor, verb=Verb.STAFF_ROLES_SYNCED, detail={"permissions": counts})
    return counts


# --- rights requests ------------------------------------------------------------------------------------
@transaction.atomic
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


@transaction.atomic
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


class RightsRequestNotReady(ValueError):
    pass


@transaction.atomic
def rights_request_complete(*, request: RightsRequest, actor: Actor, outcome: str) -> RightsRequest:
    """Close the request. Done as asked, an erasure request erases the person through the same service
    as the self-service page (an erasure job, queued after commit)."""
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != RightsRequest.State.OPEN:
        return request
    done = outcome == RightsRequest.Outcome.DONE
    if done and (request.subject_id is None or not request.identity_check):
        raise RightsRequestNotReady("identify the person and record how their identity was checked first")
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


@transaction.atomic
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


@transaction.atomic
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
