"""Writes to the policy versions. Each goes through here and is audited in the same transaction."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, Verb, audit_record

from .models import PolicyVersion


@transaction.atomic
def policy_version_save(*, version: PolicyVersion, actor: Actor, changed: list[str]) -> PolicyVersion:
    """Staff create or edit a policy version in the admin. Audited with the fields changed."""
    created = version._state.adding
    version.full_clean()
    version.save()
    audit_record(actor=actor, verb=Verb.POLICY_VERSION_SAVED, target=version.version,
                 detail={"created": created, "fields": sorted(changed)})
    return version


@transaction.atomic
def policy_version_ensure(*, version: str, title: str, summary: str, body: str, effective_at: datetime | None,
                          actor: Actor) -> tuple[PolicyVersion, bool]:
    """Publish this version unless one with its number exists (a published text is never rewritten)."""
    existing = PolicyVersion.objects.filter(version=version).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    policy = PolicyVersion.objects.create(version=version, title=title, summary=summary, body=body,
                                          effective_at=effective_at or now, published_at=now)
    audit_record(actor=actor, verb=Verb.POLICY_PUBLISHED, target=f"policy-{policy.version}")
    return policy, True
