"""Reads that cross models: vacancies visitors see, a person's applications."""

import uuid

from django.db.models import QuerySet

from .models import DataSubject, ServiceEngagement, Vacancy


def vacancies_open() -> QuerySet[Vacancy]:
    """Open vacancies, soonest closing first, with their client company (one query)."""
    return Vacancy.objects.filter(status=Vacancy.Status.OPEN).select_related("controller").order_by(
        "closing_date", "title")


def vacancy_get(*, pk: uuid.UUID | str | None) -> Vacancy | None:
    """A vacancy by its public id (open or closed); None if there is none."""
    try:
        return Vacancy.objects.select_related("controller").filter(pk=uuid.UUID(str(pk))).first() if pk else None
    except ValueError:
        return None


def engagements_of(*, subject: DataSubject) -> list[ServiceEngagement]:
    """A person's services (applications with their vacancy and client), newest first."""
    return list(ServiceEngagement.objects.filter(subject=subject).select_related("vacancy", "controller")
                .order_by("-opened_at"))
