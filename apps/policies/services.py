"""Publishing policy versions."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record

from .models import PolicyVersion


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
    audit_record(actor=actor, verb="policy.published", target=f"policy-{policy.version}")
    return policy, True
