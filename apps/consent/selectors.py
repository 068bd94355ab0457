from django.utils.translation import gettext_lazy as _

from apps.policies.selectors import policy_in_force
from apps.subjects.models import DataSubject

from .models import ConsentRecord, Purpose


def consents_current_for(*, subject: DataSubject) -> dict[str, ConsentRecord]:
    """The newest receipt per purpose slug."""
    current: dict[str, ConsentRecord] = {}
    for record in ConsentRecord.objects.filter(subject=subject).select_related("purpose", "policy_version"):
        current[record.purpose.slug] = record  # ordered by created_at: the last one wins
    return current


def purposes_for(collection_point: str) -> list[Purpose]:
    return [p for p in Purpose.objects.filter(active=True) if collection_point in p.collection_points]


def form_missing(collection_point: str) -> list[str]:
    """What a form needs before it may collect anything: a policy version in force, and at least one
    required purpose (what the form's processing rests on). Empty when the form is open."""
    missing = []
    if policy_in_force() is None:
        missing.append(_("a privacy policy version in force"))
    if not any(p.required for p in purposes_for(collection_point)):
        missing.append(_("a required purpose for this form"))
    return missing
