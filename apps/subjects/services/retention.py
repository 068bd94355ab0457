"""The retention sweep: what is past its retention period is erased, whether or not anyone marked it done.

- An open service with no activity for its purposes' retention period (or ABANDONED_RECORD_DAYS) is
  closed as expired and the person erased (they were told RETENTION_NOTICE_DAYS before, by selfservice).
- Someone with no service at all, older than ABANDONED_RECORD_DAYS, is erased.
- Someone whose last legal hold has ended is erased fully.
- Rows with a retention of their own in the personal-data map (unused submissions, old link requests,
  expired codes) are deleted.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.audit.services import Actor, Verb, audit_record
from apps.core import datamap

from ..models import DataSubject, ServiceEngagement
from .engagements import engagements_complete
from .erasure import Reason, erasures_request

SWEEP = Actor.system("enforce_retention")


def engagements_expired(*, now: datetime) -> list[ServiceEngagement]:
    """Open engagements whose retention period has passed without activity."""
    shortest = min([settings.ABANDONED_RECORD_DAYS, *ServiceEngagement.objects.filter(
        status=ServiceEngagement.Status.OPEN, retention_days__isnull=False).values_list("retention_days", flat=True)
        .distinct()])
    candidates = ServiceEngagement.objects.filter(status=ServiceEngagement.Status.OPEN,
                                                  last_activity_at__lt=now - timedelta(days=shortest))
    return [e for e in candidates.only("pk", "last_activity_at", "retention_days").iterator(chunk_size=2000)
            if e.expires_at <= now]


def enforce_retention(*, now: datetime | None = None) -> int:
    """Close and erase what is past retention. Returns how many people's erasure was queued."""
    now = now or timezone.now()
    expired = engagements_expired(now=now)
    jobs = engagements_complete(engagement_ids=[e.pk for e in expired], actor=SWEEP,
                                status=ServiceEngagement.Status.EXPIRED, reason=Reason.RETENTION)
    cutoff = now - timedelta(days=settings.ABANDONED_RECORD_DAYS)
    active = DataSubject.objects.filter(status=DataSubject.Status.ACTIVE)
    without_service = (active.filter(created_at__lt=cutoff, engagements__isnull=True)
                       .exclude(legal_holds__until__gt=now))
    holds_ended = (active.annotate(hold_until=Max("legal_holds__until")).filter(hold_until__lt=now)
                   .exclude(engagements__status=ServiceEngagement.Status.OPEN))
    rest = sorted(set(without_service.values_list("pk", flat=True)) | set(holds_ended.values_list("pk", flat=True)))
    jobs += erasures_request(subject_ids=rest, reason=Reason.RETENTION, actor=SWEEP)
    rows_expire(now=now)
    return len({job.subject_id for job in jobs})


@transaction.atomic
def rows_expire(*, now: datetime) -> dict[str, int]:
    """Delete the rows that the personal-data map gives a retention period of their own."""
    counts = datamap.expired_rows_delete(now=now)
    if counts:
        audit_record(actor=SWEEP, verb=Verb.RETENTION_ROWS_DELETED, detail={"counts": counts})
    return counts


def engagements_due_notice(*, now: datetime) -> list[ServiceEngagement]:
    """Open engagements that will expire within RETENTION_NOTICE_DAYS (not already past: the sweep closes
    those) and whose person was not yet told."""
    horizon = now + timedelta(days=settings.RETENTION_NOTICE_DAYS)
    candidates = ServiceEngagement.objects.filter(
        Q(retention_notice_at__isnull=True), status=ServiceEngagement.Status.OPEN,
        subject__status=DataSubject.Status.ACTIVE,
    ).select_related("subject")
    return [e for e in candidates.iterator(chunk_size=2000) if now < e.expires_at <= horizon]


@transaction.atomic
def engagement_notice_claim(*, engagement: ServiceEngagement) -> bool:
    """Mark that the person is being told their service will expire; False if someone already did."""
    claimed = ServiceEngagement.objects.filter(pk=engagement.pk, retention_notice_at__isnull=True).update(
        retention_notice_at=timezone.now())
    if claimed:
        audit_record(actor=SWEEP, verb=Verb.RETENTION_NOTICE_SENT, target=engagement.subject_id,
                     detail={"engagement": str(engagement.pk), "expires_at": engagement.expires_at.isoformat()})
    return bool(claimed)
