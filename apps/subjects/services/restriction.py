"""Restriction of processing (Data Protection Act 2019, s.34): the person's data is only stored until the
restriction is lifted. The flag is checked where processing happens: disclosures (apps.policies), campaigns,
notifications other than about the restriction (apps.notifications), staff reveals other than for a rights
or legal request, and opening, changing or completing services (engagements.py, retention.py)."""

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, Verb, audit_record

from ..models import DataSubject

# While restricted, staff may still see the data to deal with the person's own request or a legal one.


@transaction.atomic
def restriction_set(*, subject: DataSubject, actor: Actor, ground: str) -> bool:
    """Restrict processing on one of the grounds of s.34(1). Returns False if it already was (nothing changes)."""
    if ground not in DataSubject.RestrictionGround.values:
        raise ValueError(f"unknown ground {ground!r}")
    subject = DataSubject.objects.select_for_update().get(pk=subject.pk)
    if subject.is_erased:
        raise ValueError("this person's data has been erased")
    if subject.is_restricted:
        return False
    subject.restricted_at, subject.restriction_ground = timezone.now(), ground
    subject.save(update_fields=["restricted_at", "restriction_ground"])
    audit_record(actor=actor, verb=Verb.SUBJECT_RESTRICTED, target=subject.pk, detail={"ground": ground})
    return True


@transaction.atomic
def restriction_lift(*, subject: DataSubject, actor: Actor, reason: str) -> bool:
    """Lift the restriction, with the reason. Returns False if there was none."""
    if reason not in DataSubject.RestrictionLifted.values:
        raise ValueError(f"unknown reason {reason!r}")
    subject = DataSubject.objects.select_for_update().get(pk=subject.pk)
    if not subject.is_restricted:
        return False
    ground, since = subject.restriction_ground, subject.restricted_at
    subject.restricted_at, subject.restriction_ground = None, ""
    subject.save(update_fields=["restricted_at", "restriction_ground"])
    audit_record(actor=actor, verb=Verb.SUBJECT_RESTRICTION_LIFTED, target=subject.pk,
                 detail={"ground": ground, "reason": reason, "since": since.isoformat()})
    return True
