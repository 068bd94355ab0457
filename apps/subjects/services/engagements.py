"""Service engagements: opened when someone asks for a service, completed (one or thousands at once),
kept alive by activity, closed by the retention sweep. Completing a person's last one erases them.

While a person's processing is restricted (DPA s.34) their services are neither opened, changed nor
completed: completing one would erase them, which is processing beyond storage."""

import uuid
from collections.abc import Iterable

from django.utils import timezone

from apps.audit.services import Actor, Entry, Verb, audit_record, audit_records, audited_transaction

from ..models import DataSubject, ErasureJob, ServiceEngagement, SubjectRestricted
from .erasure import Reason, chunked, erasures_request
from .restriction import restricted_any

CHUNK = 500  # engagements completed per transaction


def engagement_open(*, subject: DataSubject, actor: Actor, service: str, reference: str = "",
                    controller=None, retention_days: int | None = None, vacancy=None) -> ServiceEngagement:
    """Open a service. An application to a vacancy is "application to <vacancy>": for its client company.
    SubjectRestricted if the person's processing is restricted: raised before the transaction block, so a
    caller that catches it keeps a usable transaction (a block without a savepoint that ends in an
    exception spoils the caller's)."""
    if restricted_any(subjects=[subject]):
        raise SubjectRestricted
    return _engagement_open(subject=subject, actor=actor, service=service, reference=reference,
                            controller=controller, retention_days=retention_days, vacancy=vacancy)


@audited_transaction(savepoint=False)
def _engagement_open(*, subject: DataSubject, actor: Actor, service: str, reference: str,
                     controller, retention_days: int | None, vacancy) -> ServiceEngagement:
    # An application is for the vacancy's client company (its id: the company itself need not be read).
    controller_id = vacancy.controller_id if vacancy is not None else controller.pk if controller else None
    engagement = ServiceEngagement.objects.create(subject=subject, service=service, reference=reference,
                                                  controller_id=controller_id, retention_days=retention_days,
                                                  vacancy=vacancy)
    detail = {"engagement": str(engagement.pk), "service": service}
    if vacancy is not None:
        detail["vacancy"] = str(vacancy.pk)
    audit_record(actor=actor, verb=Verb.ENGAGEMENT_OPENED, target=subject.pk, detail=detail)
    return engagement


@audited_transaction()
def application_renew(*, engagement: ServiceEngagement, actor: Actor,
                      retention_days: int | None = None) -> ServiceEngagement:
    """The person applied again to the same vacancy: the one application is updated (opened again if it
    had ended while the person stayed with us for another service) and its retention clock restarts."""
    engagement = ServiceEngagement.objects.select_for_update().get(pk=engagement.pk)
    reopened = not engagement.is_open
    engagement.status, engagement.completed_at = ServiceEngagement.Status.OPEN, None
    engagement.last_activity_at, engagement.retention_notice_at = timezone.now(), None
    if retention_days is not None:
        engagement.retention_days = max(retention_days, engagement.retention_days or 0)
    engagement.save(update_fields=["status", "completed_at", "last_activity_at", "retention_notice_at",
                                   "retention_days"])
    audit_record(actor=actor, verb=Verb.APPLICATION_UPDATED, target=engagement.subject_id,
                 detail={"engagement": str(engagement.pk), "vacancy": str(engagement.vacancy_id),
                         "reopened": reopened})
    return engagement


@audited_transaction()
def engagement_change(*, engagement: ServiceEngagement, actor: Actor, changes: dict) -> list[str]:
    """Staff correct an engagement's reference or controller. Returns the names changed."""
    allowed = {"reference", "controller"}
    if set(changes) - allowed:
        raise ValueError(f"only {sorted(allowed)} can be changed")
    engagement = ServiceEngagement.objects.select_for_update().select_related("subject").get(pk=engagement.pk)
    if engagement.subject.is_restricted:
        raise SubjectRestricted
    changed = [name for name, value in changes.items() if getattr(engagement, name) != value]
    for name in changed:
        setattr(engagement, name, changes[name])
    if changed:
        engagement.save(update_fields=changed)
        audit_record(actor=actor, verb=Verb.ENGAGEMENT_CHANGED, target=engagement.subject_id,
                     detail={"engagement": str(engagement.pk), "fields": sorted(changed)})
    return changed


def engagement_complete(*, engagement: ServiceEngagement, actor: Actor,
                        after_notification: uuid.UUID | None = None) -> ErasureJob | None:
    """Mark one service complete. If it was the person's last open one, their erasure is queued (after
    `after_notification` has gone, if given). SubjectRestricted if the person's processing is restricted."""
    if DataSubject.objects.filter(pk=engagement.subject_id, restricted_at__isnull=False).exists():
        raise SubjectRestricted
    jobs = engagements_complete(engagement_ids=[engagement.pk], actor=actor, after_notification=after_notification)
    return jobs[0] if jobs else None


def engagements_restricted(*, engagement_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Those of these engagements that belong to people whose processing is restricted (they stay open)."""
    return list(ServiceEngagement.objects.filter(pk__in=list(engagement_ids), subject__restricted_at__isnull=False)
                .values_list("pk", flat=True))


def engagements_complete(*, engagement_ids: Iterable[uuid.UUID], actor: Actor,
                         status: str = ServiceEngagement.Status.COMPLETED,
                         reason: str = Reason.SERVICE_COMPLETE,
                         after_notification: uuid.UUID | None = None) -> list[ErasureJob]:
    """Complete many services, CHUNK per transaction; queue one erasure batch per chunk for the
    people whose last open service this was. Returns the erasure jobs written. Engagements of people
    whose processing is restricted are left open (engagements_restricted names them)."""
    jobs: list[ErasureJob] = []
    for chunk in chunked(sorted(set(engagement_ids)), CHUNK):
        with audited_transaction():
            jobs += _complete_chunk(engagement_ids=chunk, actor=actor, status=status, reason=reason,
                                    after_notification=after_notification)
    return jobs


def _complete_chunk(*, engagement_ids: list[uuid.UUID], actor: Actor, status: str, reason: str,
                    after_notification: uuid.UUID | None) -> list[ErasureJob]:
    subject_ids = set(ServiceEngagement.objects.filter(pk__in=engagement_ids).values_list("subject_id", flat=True))
    # Lock the people first, always in the same order: two of one person's engagements completed at
    # once must not each see the other still open and both skip the erasure. The lock also orders this
    # after a restriction being set.
    list(DataSubject.objects.select_for_update().filter(pk__in=subject_ids).order_by("pk").values_list("pk"))
    closing = list(ServiceEngagement.objects.filter(pk__in=engagement_ids, status=ServiceEngagement.Status.OPEN,
                                                    subject__restricted_at__isnull=True)
                   .values_list("pk", "subject_id"))
    if not closing:
        return []
    ServiceEngagement.objects.filter(pk__in=[pk for pk, _ in closing]).update(status=status,
                                                                             completed_at=timezone.now())
    verb = Verb.ENGAGEMENT_EXPIRED if status == ServiceEngagement.Status.EXPIRED else Verb.ENGAGEMENT_COMPLETED
    audit_records(entries=[Entry(actor, verb, subject_id, {"engagement": str(pk)}) for pk, subject_id in closing])
    affected = {subject_id for _, subject_id in closing}
    still_open = set(ServiceEngagement.objects.filter(subject_id__in=affected, status=ServiceEngagement.Status.OPEN)
                     .values_list("subject_id", flat=True))
    return erasures_request(subject_ids=sorted(affected - still_open), reason=reason, actor=actor,
                            after_notification=after_notification)


@audited_transaction()
def engagements_keep(*, subject: DataSubject, actor: Actor) -> int:
    """The person asked us to keep their application: its retention period starts again."""
    kept = ServiceEngagement.objects.filter(subject=subject, status=ServiceEngagement.Status.OPEN).update(
        last_activity_at=timezone.now(), retention_notice_at=None)
    if kept:
        audit_record(actor=actor, verb=Verb.ENGAGEMENT_KEPT, target=subject.pk, detail={"engagements": kept})
    return kept

