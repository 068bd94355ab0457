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


def held_for(*, controller: Controller, subject_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these people whose record is held for this client company (it handed them over). Only of them
    does it follow the erasure: a person who applied to its job on our website has a record of their own,
    whose fate depends on their other services, so once this company's services end it is told only "ended",
    the same whatever those other services are."""
    return set(DataSubject.objects.filter(pk__in=subject_ids, holder=controller).values_list("pk", flat=True))


def erasure_of(*, controller: Controller, job_id: uuid.UUID) -> ErasureJob | None:
    """An erasure job of a person whose record was held for this client company."""
    return ErasureJob.objects.filter(pk=job_id, subject__holder=controller).first()


def candidate_status(*, subject: DataSubject, engagements: list[ServiceEngagement], controller: Controller) -> str:
    """What a client company may read of its candidate's state: "active" while any of its services is open;
    then, for a record held for it, "erased" once erased (else still "active"), and for a person's own record
    "ended", whatever their other services are."""
    if any(e.is_open for e in engagements):
        return "active"
    return subject.status if subject.holder_id == controller.pk else "ended"


def certificate_of(*, job: ErasureJob) -> DeletionCertificate | None:
    if not job.certificate_id:
        return None
    return DeletionCertificate.objects.using(vault_db()).filter(pk=job.certificate_id).exclude(signed="").first()
