"""Reads that cross models: vacancies visitors see, a person's applications."""

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.cache import content_cached

from .models import Controller, DataSubject, ServiceEngagement, Vacancy
from .services import lookup_digest, subjects_matching
from .services.vacancies import VACANCIES  # the content version the vacancy services bump (apps.core.cache)


def vacancies_open() -> QuerySet[Vacancy]:
    """Open vacancies, soonest closing first, with their client company (one query)."""
    return Vacancy.objects.filter(status=Vacancy.Status.OPEN).select_related("controller").order_by(
        "closing_date", "title")


def vacancies_open_ids() -> frozenset[str]:
    """The public ids of the open vacancies, cached until a vacancy or a client company is saved or closed."""
    return content_cached(VACANCIES, ("open-ids",), lambda: frozenset(str(pk) for pk in vacancies_open()
                                                                      .values_list("pk", flat=True)))


def vacancies_open_by_id() -> dict[str, Vacancy]:
    """The open vacancies (with their client companies) by public id, cached like vacancies_open_ids: a form's
    choice is checked without a query. Read-only: the same objects are handed to every caller in a process."""
    return content_cached(VACANCIES, ("open-by-id",), lambda: {str(v.pk): v for v in vacancies_open()})


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


def controller_recipients() -> list[dict[str, str]]:
    """The records of processing's recipients: the client companies we hand candidates to, with where they process
    the data and the safeguard for a transfer outside Kenya (apps.core.transfers)."""
    return [{"recipient": c.name, "kind": str(_("Client company (hiring)")), "country": c.country,
             "safeguard": c.transfer} for c in Controller.objects.order_by("name")]


def people_find(*, term: str) -> list[DataSubject]:
    """The active people staff mean by what they know: an email address or mobile number (through the blind
    index, never stored or searched in clear), a public id or a service reference. Exact matches only."""
    term = term.strip()
    kind, digest = lookup_digest(term)
    if digest:
        return subjects_matching(kind=kind, digest=digest)
    try:
        return list(DataSubject.objects.filter(pk=uuid.UUID(term), status=DataSubject.Status.ACTIVE))
    except ValueError:
        return list(DataSubject.objects.filter(engagements__reference=term, status=DataSubject.Status.ACTIVE)
                    .distinct())
