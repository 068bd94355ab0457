"""What a client company may see: only its own vacancies, candidates, engagements and erasures."""

import re
import uuid

from django.db.models import Q, QuerySet

from apps.subjects.models import Controller, DataSubject, ErasureJob, ServiceEngagement, Vacancy
from apps.vault.models import DeletionCertificate
from apps.vault.routers import vault_db

from .schemas import REFERENCE_PATTERN


def vacancies_of(*, controller: Controller) -> QuerySet[Vacancy]:
    return Vacancy.objects.filter(controller=controller).order_by("closing_date", "title")


def vacancy_of(*, controller: Controller, vacancy_id: uuid.UUID) -> Vacancy | None:
    return Vacancy.objects.filter(controller=controller, pk=vacancy_id).first()


def candidate_of(*, controller: Controller, public_id: uuid.UUID) -> tuple[DataSubject, list[ServiceEngagement]] | None:
    """The person and their engagements with this client company; None if it never handed them over."""
    engagements = list(ServiceEngagement.objects.filter(controller=controller, subject_id=public_id)
                       .select_related("subject").order_by("opened_at"))
    if not engagements:
        return None
    return engagements[0].subject, engagements


def engagements_matching(*, controller: Controller, reference: str) -> list[ServiceEngagement]:
    """The client company's engagements named by our id or by its own reference (at most two looked at)."""
    try:
        by = Q(pk=uuid.UUID(reference))
    except ValueError:
        # A reference the schema could never have stored (a NUL byte, say) names nothing: not sent to the database.
        valid = 0 < len(reference) <= 64 and re.fullmatch(REFERENCE_PATTERN, reference)
        by = Q(reference=reference) if valid else Q(pk__in=[])
    return list(ServiceEngagement.objects.filter(by, controller=controller).order_by("opened_at")[:2])


def shared_with_others(*, controller: Controller, subject_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these people who also have a service that is not this client company's (an application to
    another company's job, an enquiry): when their data goes depends on those too, so this company is told
    nothing of it (neither their erasure nor their status once its own services ended)."""
    return set(ServiceEngagement.objects.filter(subject_id__in=subject_ids).exclude(controller=controller)
               .values_list("subject_id", flat=True))


def erasure_of(*, controller: Controller, job_id: uuid.UUID) -> ErasureJob | None:
    """An erasure job of a person whose every service was with this client company."""
    job = ErasureJob.objects.filter(pk=job_id, subject__engagements__controller=controller).distinct().first()
    if job is None or shared_with_others(controller=controller, subject_ids=[job.subject_id]):
        return None
    return job


def candidate_status(*, subject: DataSubject, engagements: list[ServiceEngagement], controller: Controller) -> str:
    """What a client company may read of its candidate's state: "active" while any of its services is open;
    then "erased" (or "active" until the erasure ran) for a person who was with it alone, and "ended" for
    a person who has other services, whose state is not this company's to see."""
    if any(e.is_open for e in engagements):
        return "active"
    if shared_with_others(controller=controller, subject_ids=[subject.pk]):
        return "ended"
    return subject.status


def certificate_of(*, job: ErasureJob) -> DeletionCertificate | None:
    if not job.certificate_id:
        return None
    return DeletionCertificate.objects.using(vault_db()).filter(pk=job.certificate_id).exclude(signed="").first()
