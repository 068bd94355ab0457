"""Writes to the policy versions. Each goes through here and is audited in the same transaction."""

from django.db import transaction

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
