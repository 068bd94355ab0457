"""Reads for the privacy officer's dashboard: counts and clocks only, never a person's data."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from apps.audit.models import AuditEvent, Verb
from apps.consent.models import ConsentRecord
from apps.subjects.models import DataSubject, ErasureJob, ServiceEngagement

from .models import Breach, RightsRequest

BAR_WIDTH = 320  # px of the longest bar in the inline SVG charts


def bars(rows: list[tuple[str, int]]) -> dict:
    """A horizontal bar chart drawn server-side as SVG (no script, nothing from elsewhere)."""
    top = max((value for _label, value in rows), default=0) or 1
    return {"rows": [{"label": label, "value": value, "width": round(BAR_WIDTH * value / top), "y": i * 28}
                     for i, (label, value) in enumerate(rows)],
            "height": max(len(rows), 1) * 28, "width": BAR_WIDTH + 200}


def _engagement_ages(now) -> list[tuple[str, int]]:
    buckets = [("< 7 days", 0, 7), ("7–30 days", 7, 30), ("30–90 days", 30, 90), ("> 90 days", 90, None)]
    open_ = ServiceEngagement.objects.filter(status=ServiceEngagement.Status.OPEN)
    rows = []
    for label, low, high in buckets:
        qs = open_.filter(opened_at__lte=now - timedelta(days=low))
        if high is not None:
            qs = qs.filter(opened_at__gt=now - timedelta(days=high))
        rows.append((label, qs.count()))
    return rows


def overview() -> dict:
    now = timezone.now()
    people = dict(DataSubject.objects.values_list("status").annotate(n=Count("pk")).order_by())
    unfinished = ErasureJob.objects.exclude(state=ErasureJob.State.DONE)
    oldest = unfinished.aggregate(at=Min("created_at"))["at"]
    stuck_after = now - timedelta(seconds=settings.ERASURE_REQUEUE_SECONDS)
    since = now - timedelta(days=30)
    consents = (ConsentRecord.objects.filter(created_at__gte=since).values("purpose__slug", "action")
                .annotate(n=Count("pk")).order_by("purpose__slug", "action"))
    open_requests = RightsRequest.objects.filter(state=RightsRequest.State.OPEN).order_by("due_at")
    return {
        "people_bars": bars([(str(DataSubject.Status(s).label), people.get(s, 0)) for s in DataSubject.Status]),
        "people_restricted": DataSubject.objects.filter(status=DataSubject.Status.ACTIVE,
                                                        restricted_at__isnull=False).count(),
        "engagement_bars": bars(_engagement_ages(now)),
        "erasures_unfinished": unfinished.count(),
        "erasures_stuck": unfinished.filter(created_at__lt=stuck_after).count(),
        "erasure_oldest": oldest,
        "consent_bars": bars([(f"{c['purpose__slug']}: {c['action']}", c["n"]) for c in consents])
        if consents else None,
        "requests_overdue": [r for r in open_requests if r.due_at < now],
        "requests_due_soon": [r for r in open_requests if now <= r.due_at < now + timedelta(days=3)],
        "last_verification": AuditEvent.objects.filter(verb=Verb.AUDIT_VERIFIED).order_by("-at").first(),
        "breaches_open": list(Breach.objects.filter(state=Breach.State.OPEN).order_by("discovered_at")),
    }
