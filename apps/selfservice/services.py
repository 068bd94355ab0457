"""Step-up codes: proof that whoever holds the link also holds the mailbox (or phone) on file."""

import hmac
import logging
import secrets
import threading
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.core.jobs import enqueue_on_commit
from apps.notifications.erasure_notices import erasure_notice_prepare, erasure_notice_release
from apps.notifications.models import Notification
from apps.notifications.services import notification_queue
from apps.policies.selectors import policies_published
from apps.subjects import services as subject_services
from apps.subjects.links import link_url
from apps.subjects.models import DataSubject, PersonalRecord
from apps.vault.services import KeyDestroyed, blind_index_for, key_scope

from .export import export_archive
from .models import LinkRequest, StepUpCode

logger = logging.getLogger(__name__)


class StepUpResult(Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # too old, already used, or too many tries: ask for a new code
    NONE = "none"
    LOCKED = "locked"  # too many wrong codes for this link: it is signed out, ask for a new link


def _code_hmac(subject: DataSubject, code: str) -> str:
    return blind_index_for(kind=f"stepup:{subject.pk}", normalised=code)


@audited_transaction()
def stepup_issue(*, subject: DataSubject, channel: str = "email", language: str = "en") -> StepUpCode:
    """Send a fresh code; earlier unused codes stop working."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    StepUpCode.objects.filter(subject=subject, used_at__isnull=True).update(used_at=now)
    stepup = StepUpCode.objects.create(subject=subject, code_hmac=_code_hmac(subject, code),
                                       link_version=subject.link_version,
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


def _failures_today(*, subject: DataSubject, now) -> int:
    """Wrong codes tried in the last 24 hours for the person's current link, whichever code they were for."""
    return StepUpCode.objects.filter(
        subject=subject, link_version=subject.link_version, created_at__gte=now - timedelta(hours=24),
    ).aggregate(n=Sum("failures"))["n"] or 0


def stepup_tries_left(*, subject: DataSubject) -> tuple[int, bool]:
    """How many more wrong codes are allowed before the newest code stops working or, if that comes first, the
    link is signed out; and whether it is the link (what the page tells the person after a wrong code)."""
    stepup = (StepUpCode.objects.filter(subject=subject, used_at__isnull=True, link_version=subject.link_version)
              .order_by("-created_at").first())
    code_left = settings.STEPUP_MAX_TRIES - stepup.tries if stepup else 0
    link_left = settings.STEPUP_MAX_FAILURES - _failures_today(subject=subject, now=timezone.now())
    return max(0, min(code_left, link_left)), link_left <= code_left


@audited_transaction()
def stepup_verify(*, subject: DataSubject, code: str, language: str = "en") -> StepUpResult:
    """Check a code. Each code allows STEPUP_MAX_TRIES tries; across codes, the person's link allows
    STEPUP_MAX_FAILURES wrong codes a day. The last of those signs the link out and tells the person,
    by email, how to get a new one: whoever guesses with a leaked link has that many guesses in all."""
    # One verification per person at a time, so that parallel guesses cannot overshoot the budget.
    subject = DataSubject.objects.select_for_update().get(pk=subject.pk)
    now = timezone.now()
    if _failures_today(subject=subject, now=now) >= settings.STEPUP_MAX_FAILURES:
        return StepUpResult.LOCKED
    # A code sent before the links were signed out (or the email or number changed) opens nothing now.
    stepup = (StepUpCode.objects.select_for_update()
              .filter(subject=subject, used_at__isnull=True, link_version=subject.link_version)
              .order_by("-created_at").first())
    if stepup is None:
        return StepUpResult.NONE
    if stepup.expires_at <= now or stepup.tries >= settings.STEPUP_MAX_TRIES:
        return StepUpResult.EXPIRED
    StepUpCode.objects.filter(pk=stepup.pk).update(tries=F("tries") + 1)
    if not hmac.compare_digest(stepup.code_hmac, _code_hmac(subject, code.strip())):
        StepUpCode.objects.filter(pk=stepup.pk).update(failures=F("failures") + 1)
        audit_record(actor=Actor.subject(subject), verb=Verb.STEPUP_FAILED, target=subject.pk,
                     detail={"tries": stepup.tries + 1})
        if _failures_today(subject=subject, now=now) >= settings.STEPUP_MAX_FAILURES:
            _lock_links(subject=subject, now=now, language=language)
            return StepUpResult.LOCKED
        return StepUpResult.WRONG if stepup.tries + 1 < settings.STEPUP_MAX_TRIES else StepUpResult.EXPIRED
    StepUpCode.objects.filter(pk=stepup.pk).update(used_at=now)
    audit_record(actor=Actor.subject(subject), verb=Verb.STEPUP_VERIFIED, target=subject.pk)
    return StepUpResult.OK


def _lock_links(*, subject: DataSubject, now, language: str) -> None:
    StepUpCode.objects.filter(subject=subject, used_at__isnull=True).update(used_at=now)
    subject_services.subject_links_revoke(subject=subject, actor=Actor.system("stepup-lock"))
    record = PersonalRecord.objects.get(subject=subject)
    notification_queue(subject=subject, channel="email", template="link_locked", recipient=record.email,
                       context={"failures": settings.STEPUP_MAX_FAILURES}, language=language)


# --- new links on request (/me/resend/) -----------------------------------------------------------
@audited_transaction()
def link_request_create(*, address: str, language: str = "en") -> LinkRequest:
    """Record the request and queue the lookup: the same work whatever the address."""
    kind, digest = subject_services.lookup_digest(address.strip())
    request = LinkRequest.objects.create(kind=kind, digest=digest, language=language)
    if settings.REDIS_URL:
        enqueue_on_commit("apps.selfservice.tasks.link_request_task", str(request.pk))
    else:  # embedded mode: a job would run inside this request, and take longer for a known address
        transaction.on_commit(lambda: _process_after_the_answer(request_id=request.pk))
    return request


def _process_after_the_answer(*, request_id) -> None:
    """Embedded mode (no broker): the lookup and the sending run on a thread of their own, so that the
    page answers in the same time whether or not the address is on file."""

    def run() -> None:
        try:
            with key_scope():
                link_request_process(request_id=request_id)
        except Exception:
            logger.exception("link request %s failed", request_id)
        finally:
            connections.close_all()  # this thread's connections only

    threading.Thread(target=run, name="link-request", daemon=True).start()


def link_request_process(*, request_id) -> int:
    """Send a fresh link to every active person the address belongs to. Returns how many."""
    with audited_transaction():
        request = LinkRequest.objects.select_for_update(skip_locked=True).filter(pk=request_id).first()
        if request is None:  # done already, or another worker has it
            return 0
        subjects = subject_services.subjects_matching(kind=request.kind, digest=request.digest) if request.kind else []
        sent = 0
        for subject in subjects:
            record = PersonalRecord.objects.get(subject=subject)
            is_email = request.kind == "email"
            try:
                recipient = record.email if is_email else record.mobile.as_e164
            except KeyDestroyed:  # being erased right now: nothing to link to, and the others still get theirs
                continue
            notification_queue(subject=subject, channel="email" if is_email else "sms", template="new_link",
                               recipient=recipient, context={"link": link_url(subject)}, language=request.language)
            sent += 1
        request.delete()
    return sent


def link_requests_redrive(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    stale = list(LinkRequest.objects.filter(created_at__lt=timezone.now() - older_than).values_list("pk", flat=True))
    for request_id in stale:
        with audited_transaction():
            enqueue_on_commit("apps.selfservice.tasks.link_request_task", str(request_id))
    return len(stale)


# --- what a person does behind their private link -----------------------------------------------
@audited_transaction()
def subject_data_viewed(*, subject: DataSubject) -> None:
    audit_record(actor=Actor.subject(subject), verb=Verb.PII_VIEWED_BY_SUBJECT, target=subject.pk)


@audited_transaction(durable=True)
def record_correct(*, subject: DataSubject, changes: dict, language: str,
                   files: dict[str, bytes] | None = None) -> list[str]:
    """The person corrects their record, and replaces their ID scan or CV with `files` ({kind: bytes}; the
    earlier file of that kind goes once this commits). A new email address or mobile number ends every link
    sent so far (whoever has the old address or number may hold one): a new link goes to the email address on
    file, and the old address or number is told. Returns the fields changed (a replaced file by its kind)."""
    held = PersonalRecord.objects.get(subject=subject)
    old_email, old_mobile = held.email, held.mobile
    changed = subject_services.record_update(subject=subject, actor=Actor.subject(subject), changes=changes)
    for kind, data in (files or {}).items():
        subject_services.document_add(subject=subject, actor=Actor.subject(subject), data=data, kind=kind,
                                      replace=True)
        changed.append(kind)
    if changed:
        subject_services.activity_touch(subject=subject)
    if "email" in changed:
        notification_queue(subject=subject, channel="email", template="email_changed_notice", recipient=old_email,
                           context={}, language=language)
    if "mobile" in changed and old_mobile is not None:
        notification_queue(subject=subject, channel="sms", template="mobile_changed_notice",
                           recipient=old_mobile.as_e164, context={}, language=language)
    if {"email", "mobile"} & set(changed):
        record = PersonalRecord.objects.get(subject=subject)
        notification_queue(subject=subject, channel="email", template="new_link", recipient=record.email,
                           context={"link": link_url(subject)}, language=language)
    return changed


@audited_transaction(durable=True)
def links_sign_out(*, subject: DataSubject, language: str) -> None:
    """Every private link stops working; a new one goes to the address on file."""
    subject_services.subject_links_revoke(subject=subject, actor=Actor.subject(subject))
    record = PersonalRecord.objects.get(subject=subject)
    notification_queue(subject=subject, channel="email", template="new_link", recipient=record.email,
                       context={"link": link_url(subject)}, language=language)


@audited_transaction(durable=True)
def data_export(*, subject: DataSubject) -> dict:
    """The person's own export: everything the map holds, and every version of the policy."""
    body = subject_services.subject_export(subject=subject, actor=Actor.subject(subject))
    body["policy_versions"] = [
        {"version": p.version, "effective_at": p.effective_at.isoformat(),
         "url": settings.SITE_URL + reverse("privacy-policy-version", args=[p.version])}
        for p in policies_published()]
    return body


def data_export_archive(*, subject: DataSubject) -> bytes:
    """The person's export as a ZIP they can open (apps/selfservice/export.py), in the active language."""
    return export_archive(body=data_export(subject=subject))


def subject_delete_now(*, subject: DataSubject, language: str = "en") -> subject_services.Outcome:
    """The person asked us to delete everything: their services end and their data is erased now, and
    they get one email confirming it with the certificate's id. The address for that email is sealed
    before the erasure under a key of its own that expires (apps/notifications/erasure_notices.py); the
    erasure does not wait for the email, which a job sends after it."""
    record = PersonalRecord.objects.filter(subject=subject).first()
    notice = erasure_notice_prepare(subject_id=subject.pk, recipient=record.email, language=language) \
        if record and record.email else None
    outcome = subject_services.subject_erase_now(
        subject_id=subject.pk, reason=subject_services.Reason.SUBJECT_REQUEST, actor=Actor.subject(subject))
    if notice is not None:
        erasure_notice_release(notice=notice, certificate=outcome.certificate, held=outcome.held)
    return outcome


def engagements_keep(*, subject: DataSubject) -> int:
    """The person asked us to keep their application after a retention notice."""
    return subject_services.engagements_keep(subject=subject, actor=Actor.subject(subject))


def retention_notices_send(*, now=None) -> int:
    """Tell each person whose data will be erased for inactivity within RETENTION_NOTICE_DAYS, once, with
    the day it goes and their private link (where they can ask us to keep it). Beat runs this hourly."""
    now = now or timezone.now()
    sent = 0
    for due in subject_services.people_due_notice(now=now):
        with audited_transaction():
            if not subject_services.person_notice_claim(due=due):  # claimed first: told once
                continue
            subject = due.subject
            record = PersonalRecord.objects.get(subject=subject)
            language = (Notification.objects.filter(subject=subject).order_by("-created_at")
                        .values_list("language", flat=True).first() or settings.LANGUAGE_CODE)
            notification_queue(subject=subject, channel="email", template="retention_notice", recipient=record.email,
                               context={"link": link_url(subject), "erase_on": due.erase_on.date().isoformat()},
                               language=language)
        sent += 1
    return sent
