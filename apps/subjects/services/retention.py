"""The retention sweep: what is past its retention period is erased, whether or not anyone marked it done.

- An open service with no activity for its purposes' retention period (or ABANDONED_RECORD_DAYS) is
  closed as expired and the person erased (they were told RETENTION_NOTICE_DAYS before, by selfservice).
- Someone with no service at all, older than ABANDONED_RECORD_DAYS, is erased.
- Someone whose last legal hold has ended is erased fully.
- Rows with a retention of their own in the personal-data map (unused submissions, old link requests,
  expired codes) are deleted.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.core import datamap

from ..models import DataSubject, ServiceEngagement
from .engagements import engagements_complete
from .erasure import Reason, erasures_request

SWEEP = Actor.system("enforce_retention")


def _open_candidates(*, older_than: datetime) -> list[ServiceEngagement]:
    """Open engagements of active people with no activity since `older_than` (a cheap first cut). People
    whose processing is restricted are left alone: their data is stored until the restriction is lifted."""
    return list(ServiceEngagement.objects.filter(status=ServiceEngagement.Status.OPEN,
                                                 subject__status=DataSubject.Status.ACTIVE,
                                                 subject__restricted_at__isnull=True,
                                                 last_activity_at__lt=older_than)
                .only("pk", "subject_id", "last_activity_at", "retention_days", "retention_notice_at"))


def _shortest_period() -> int:
    return min([settings.ABANDONED_RECORD_DAYS, *ServiceEngagement.objects.filter(
        status=ServiceEngagement.Status.OPEN, retention_days__isnull=False).values_list("retention_days", flat=True)
        .distinct()])


def _open_by_person(subject_ids: set) -> dict:
    people: dict = {}
    for engagement in ServiceEngagement.objects.filter(subject_id__in=subject_ids,
                                                       status=ServiceEngagement.Status.OPEN):
        people.setdefault(engagement.subject_id, []).append(engagement)
    return people


def engagements_expired(*, now: datetime) -> list[ServiceEngagement]:
    """Open engagements past their retention period that may close now. Closing one that leaves the person
    another open service erases nothing; closing a person's last ones erases them, so those close only once
    the person was told at least RETENTION_NOTICE_DAYS before (a late notice moves the day back)."""
    expired = [e for e in _open_candidates(older_than=now - timedelta(days=_shortest_period()))
               if e.expires_at <= now]
    notice = timedelta(days=settings.RETENTION_NOTICE_DAYS)
    closing = []
    for subject_id, engagements in _open_by_person({e.subject_id for e in expired}).items():
        mine = [e for e in expired if e.subject_id == subject_id]
        if len(mine) < len(engagements) or not notice:
            closing += mine
        elif all(e.retention_notice_at and e.retention_notice_at <= now - notice for e in engagements):
            closing += mine
    return closing


def enforce_retention(*, now: datetime | None = None) -> int:
    """Close and erase what is past retention. Returns how many people's erasure was queued."""
    now = now or timezone.now()
    expired = engagements_expired(now=now)
    jobs = engagements_complete(engagement_ids=[e.pk for e in expired], actor=SWEEP,
                                status=ServiceEngagement.Status.EXPIRED, reason=Reason.RETENTION)
    cutoff = now - timedelta(days=settings.ABANDONED_RECORD_DAYS)
    active = DataSubject.objects.filter(status=DataSubject.Status.ACTIVE, restricted_at__isnull=True)
    without_service = (active.filter(created_at__lt=cutoff, engagements__isnull=True)
                       .exclude(legal_holds__until__gt=now))
    holds_ended = (active.annotate(hold_until=Max("legal_holds__until")).filter(hold_until__lt=now)
                   .exclude(engagements__status=ServiceEngagement.Status.OPEN))
    rest = sorted(set(without_service.values_list("pk", flat=True)) | set(holds_ended.values_list("pk", flat=True)))
    jobs += erasures_request(subject_ids=rest, reason=Reason.RETENTION, actor=SWEEP)
    rows_expire(now=now)
    return len({job.subject_id for job in jobs})


@audited_transaction()
def rows_expire(*, now: datetime) -> dict[str, int]:
    """Delete the rows that the personal-data map gives a retention period of their own."""
    counts = datamap.expired_rows_delete(now=now)
    if counts:
        audit_record(actor=SWEEP, verb=Verb.RETENTION_ROWS_DELETED, detail={"counts": counts})
    return counts


@dataclass
class DueNotice:
    subject: DataSubject
    engagements: list[ServiceEngagement]
    erase_on: datetime  # the day we tell them: when their last open service ends, never sooner than notice


def people_due_notice(*, now: datetime) -> list[DueNotice]:
    """People whose data will be erased for inactivity within RETENTION_NOTICE_DAYS (when their last open
    service ends) and who were not yet told."""
    notice = timedelta(days=settings.RETENTION_NOTICE_DAYS)
    horizon = now + notice
    candidates = _open_candidates(older_than=horizon - timedelta(days=_shortest_period()))
    due = []
    people = _open_by_person({e.subject_id for e in candidates})
    subjects = DataSubject.objects.in_bulk(list(people))
    for subject_id, engagements in people.items():
        ends = max(e.expires_at for e in engagements)
        if ends <= horizon and any(e.retention_notice_at is None for e in engagements):
            due.append(DueNotice(subject=subjects[subject_id], engagements=engagements, erase_on=max(ends, horizon)))
    return due


@audited_transaction()
def person_notice_claim(*, due: DueNotice) -> bool:
    """Mark that the person is being told; False if someone already did (a second run, a second beat)."""
    claimed = ServiceEngagement.objects.filter(pk__in=[e.pk for e in due.engagements],
                                               retention_notice_at__isnull=True).update(retention_notice_at=timezone.now())
    if claimed:
        audit_record(actor=SWEEP, verb=Verb.RETENTION_NOTICE_SENT, target=due.subject.pk,
                     detail={"engagements": [str(e.pk) for e in due.engagements],
                             "erase_on": due.erase_on.date().isoformat()})
    return bool(claimed)
