"""Step-up codes: proof that whoever holds the link also holds the mailbox (or phone) on file."""

import hmac
import secrets
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.subjects.models import DataSubject, PersonalRecord
from apps.vault.services import blind_index_for

from .models import StepUpCode


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
    from apps.notifications.services import notification_queue

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
    audit_record(actor=Actor.subject(subject), verb="stepup.sent", target=subject.pk, detail={"channel": channel})
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
        audit_record(actor=Actor.subject(subject), verb="stepup.failed", target=subject.pk,
                     detail={"tries": stepup.tries + 1})
        return StepUpResult.WRONG if stepup.tries + 1 < settings.STEPUP_MAX_TRIES else StepUpResult.EXPIRED
    StepUpCode.objects.filter(pk=stepup.pk).update(used_at=now)
    audit_record(actor=Actor.subject(subject), verb="stepup.verified", target=subject.pk)
    return StepUpResult.OK


def stepup_codes_erase_for(*, subject_id) -> int:
    return StepUpCode.objects.filter(subject_id=subject_id).delete()[0]
