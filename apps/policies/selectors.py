from django.utils import timezone

from .models import PolicyVersion


def policy_in_force() -> PolicyVersion | None:
    return (PolicyVersion.objects.filter(published_at__isnull=False, effective_at__lte=timezone.now())
            .order_by("-effective_at").first())


def policies_published() -> list[PolicyVersion]:
    return list(PolicyVersion.objects.filter(published_at__isnull=False).order_by("-effective_at"))
