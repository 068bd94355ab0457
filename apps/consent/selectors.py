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
