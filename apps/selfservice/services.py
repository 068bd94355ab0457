"""Step-up codes: proof that whoever holds the link also holds the mailbox (or phone) on file."""

import hmac
import secrets
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from apps.audit.services import Actor, Verb, audit_record
from apps.core.jobs import enqueue_on_commit
from apps.notifications.models import Notification
from apps.notifications.services import notification_queue
from apps.policies.selectors import policies_published
from apps.selfservice import tasks
from apps.subjects import services as subject_services
from apps.subjects.links import link_url
from apps.subjects.models import DataSubject, PersonalRecord
from apps.vault.services import blind_index_for

from .models import LinkRequest, StepUpCode


class StepUpResult(Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # too old, already used, or too many tries: ask for a new code
    NONE = "none"


def _code_hmac(subject: DataSubject, code: str) -> str:
    return blind_index_for(kind=f"stepup:{subject.pk}", normalised=code)


@transaction.atomic
def stepup_issue(*, subject: DataSubject, channel: str = "email", language: str = "en") -> StepUpCode:
    """Send a fresh code; earlier unused codes stop working."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    StepUpCode.objects.filter(subject=subject, used_at__isnull=True).update(used_at=now)
    stepup = StepUpCode.objects.create(subject=subject, code_hmac=_code_hmac(subject, code),
                                       expires_at=now + timedelta(minutes=settings.STEPUP_CODE_MINUTES))
    record = PersonalRecord.objects.get(subject=subject)
    if channel == "sms" and record.mobile:
        recipient = record.mobile.as_e164
    else:
        channel, recipient = "email", record.email
    notification_queue(subject=subject, channel=channel, template="stepup_code", recipient=recipient,
                       context={"code": code, "minutes": settings.STEPUP_CODE_MINUTES}, language=language)
    audit_record(actor=Actor.subject(subject), verb=Verb.STEPUP_SENT, target=subject.pk, detail={"channel": channel})
    return stepup


@transaction.atomic
def stepup_verify(*, subject: DataSubject, code: str) -> StepUpResult:
    stepup = (StepUpCode.objects.select_for_update().filter(subject=subject, used_at__isnull=True)
              .order_by("-created_at").first())
    if stepup is None:
        return StepUpResult.NONE
    now = timezone.now()
    if stepup.expires_at <= now or stepup.tries >= settings.STEPUP_MAX_TRIES:
        return StepUpResult.EXPIRED
    StepUpCode.objects.filter(pk=stepup.pk).update(tries=F("tries") + 1)
    if not hmac.compare_digest(stepup.code_hmac, _code_hmac(subject, code.strip())):
        audit_record(actor=Actor.subject(subject), verb=Verb.STEPUP_FAILED, target=subject.pk,
                     detail={"tries": stepup.tries + 1})
        return StepUpResult.WRONG if stepup.tries + 1 < settings.STEPUP_MAX_TRIES else StepUpResult.EXPIRED
    StepUpCode.objects.filter(pk=stepup.pk).update(used_at=now)
    audit_record(actor=Actor.subject(subject), verb=Verb.STEPUP_VERIFIED, target=subject.pk)
    return StepUpResult.OK


# --- new links on request (/me/resend/) -----------------------------------------------------------
@transaction.atomic
def link_request_create(*, address: str, language: str = "en") -> LinkRequest:
    """Record the request and queue the lookup: the same work whatever the address."""
    kind, digest = subject_services.lookup_digest(address.strip())
    request = LinkRequest.objects.create(kind=kind, digest=digest, language=language)
    enqueue_on_commit(tasks.link_request_task, str(request.pk))
    return request


def link_request_process(*, request_id) -> int:
    """Send a fresh link to every active person the address belongs to. Returns how many."""
    with transaction.atomic():
        request = LinkRequest.objects.select_for_update(skip_locked=True).filter(pk=request_id).first()
        if request is None:  # done already, or another worker has it
            return 0
        subjects = subject_services.subjects_matching(kind=request.kind, digest=request.digest) if request.kind else []
        for subject in subjects:
            record = PersonalRecord.objects.get(subject=subject)
            is_email = request.kind == "email"
            notification_queue(subject=subject, channel="email" if is_email else "sms", template="new_link",
                               recipient=record.email if is_email else record.mobile.as_e164,
                               context={"link": link_url(subject)}, language=request.language)
        request.delete()
    return len(subjects)


def link_requests_redrive(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    stale = list(LinkRequest.objects.filter(created_at__lt=timezone.now() - older_than).values_list("pk", flat=True))
    for request_id in stale:
        with transaction.atomic():
            enqueue_on_commit(tasks.link_request_task, str(request_id))
    return len(stale)


# --- what a person does behind their private link -----------------------------------------------
@transaction.atomic
def subject_data_viewed(*, subject: DataSubject) -> None:
    audit_record(actor=Actor.subject(subject), verb=Verb.PII_VIEWED_BY_SUBJECT, target=subject.pk)


@transaction.atomic(durable=True)
def record_correct(*, subject: DataSubject, changes: dict, language: str) -> list[str]:
    """The person corrects their record. A new email address gets a new link (old links stop working)
    and the old address is told. Returns the fields changed."""
    old_email = PersonalRecord.objects.get(subject=subject).email
    changed = subject_services.record_update(subject=subject, actor=Actor.subject(subject), changes=changes)
    if changed:
        subject_services.activity_touch(subject=subject)
    if "email" in changed:
        record = PersonalRecord.objects.get(subject=subject)
        notification_queue(subject=subject, channel="email", template="email_changed_notice", recipient=old_email,
                           context={}, language=language)
        notification_queue(subject=subject, channel="email", template="new_link", recipient=record.email,
                           context={"link": link_url(subject)}, language=language)
    return changed


@transaction.atomic(durable=True)
def links_sign_out(*, subject: DataSubject, language: str) -> None:
    """Every private link stops working; a new one goes to the address on file."""
    subject_services.subject_links_revoke(subject=subject, actor=Actor.subject(subject))
    record = PersonalRecord.objects.get(subject=subject)
    notification_queue(subject=subject, channel="email", template="new_link", recipient=record.email,
                       context={"link": link_url(subject)}, language=language)


@transaction.atomic(durable=True)
def data_export(*, subject: DataSubject) -> dict:
    """The person's own export: everything the map holds, and every version of the policy."""
    body = subject_services.subject_export(subject=subject, actor=Actor.subject(subject))
    body["policy_versions"] = [
        {"version": p.version, "effective_at": p.effective_at.isoformat(),
         "url": settings.SITE_URL + reverse("privacy-policy-version", args=[p.version])}
        for p in policies_published()]
    return body


def subject_delete_now(*, subject: DataSubject) -> subject_services.Outcome:
    """The person asked us to delete everything: their services end and their data is erased now."""
    return subject_services.subject_erase_now(
        subject_id=subject.pk, reason=subject_services.Reason.SUBJECT_REQUEST, actor=Actor.subject(subject))


def engagements_keep(*, subject: DataSubject) -> int:
    """The person asked us to keep their application after a retention notice."""
    return subject_services.engagements_keep(subject=subject, actor=Actor.subject(subject))


def retention_notices_send(*, now=None) -> int:
    """Tell each person whose service will be closed for inactivity within RETENTION_NOTICE_DAYS, once,
    with their private link (where they can ask us to keep it). Beat runs this hourly."""
    now = now or timezone.now()
    sent = 0
    for engagement in subject_services.engagements_due_notice(now=now):
        with transaction.atomic():
            # Claimed first: a second run (or a second beat) does not tell the person twice.
            if not subject_services.engagement_notice_claim(engagement=engagement):
                continue
            subject = engagement.subject
            record = PersonalRecord.objects.get(subject=subject)
            language = (Notification.objects.filter(subject=subject).order_by("-created_at")
                        .values_list("language", flat=True).first() or settings.LANGUAGE_CODE)
            notification_queue(subject=subject, channel="email", template="retention_notice", recipient=record.email,
                               context={"link": link_url(subject),
                                        "erase_on": engagement.expires_at.date().isoformat()},
                               language=language)
        sent += 1
    return sent
