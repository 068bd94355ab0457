"""Restriction of processing (Data Protection Act 2019, s.34): the person's data is only stored until the
restriction is lifted. The flag is checked where processing happens: disclosures (apps.policies), campaigns,
notifications other than about the restriction (apps.notifications), staff reveals other than for a rights
or legal request, and opening, changing or completing services (engagements.py, retention.py)."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, Verb, audit_record, audited_transaction

from ..models import DataSubject

# Set on the object subject_create returns until its transaction commits: nobody else can see the person yet,
# so nobody can have restricted them, and the checks below need not ask the database.
_UNSEEN = "_restriction_unseen"


def unseen_until_commit(subject: DataSubject) -> None:
    """subject_create: this person was made in the open transaction (no other transaction sees them)."""
    subject.__dict__[_UNSEEN] = True
    transaction.on_commit(lambda: subject.__dict__.pop(_UNSEEN, None))


def restricted_any(*, subjects: Iterable[DataSubject]) -> bool:
    """Whether the processing of any of these people is restricted now (read from the database, not from the
    objects, which may be older than a restriction), except those made in the caller's open transaction
    (unseen_until_commit): no other transaction can have restricted them, and restriction_set in this one
    clears the mark of the object it is given."""
    ids = {subject.pk for subject in subjects if not subject.__dict__.get(_UNSEEN)}
    return bool(ids) and DataSubject.objects.filter(pk__in=ids, restricted_at__isnull=False).exists()


@audited_transaction()
def restriction_set(*, subject: DataSubject, actor: Actor, ground: str) -> bool:
    """Restrict processing on one of the grounds of s.34(1). Returns False if it already was (nothing changes)."""
    if ground not in DataSubject.RestrictionGround.values:
        raise ValueError(f"unknown ground {ground!r}")
    subject.__dict__.pop(_UNSEEN, None)  # checked in the database from now on
    subject = DataSubject.objects.select_for_update().get(pk=subject.pk)
    if subject.is_erased:
        raise ValueError("this person's data has been erased")
    if subject.is_restricted:
        return False
    subject.restricted_at, subject.restriction_ground = timezone.now(), ground
    subject.save(update_fields=["restricted_at", "restriction_ground"])
    audit_record(actor=actor, verb=Verb.SUBJECT_RESTRICTED, target=subject.pk, detail={"ground": ground})
    return True


@audited_transaction()
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
