"""Vacancies: staff publish them, people apply to them, and closing one ends every open application to it.

Closing completes the open applications through engagements_complete, so each applicant whose last open
service it was is erased (in batches); an applicant with another open application keeps their data.
An application being received holds a share lock on its vacancy until it commits, and closing takes the
row lock first: an application is either in before the close (and is completed by it) or refused.
"""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.core.cache import content_bump

from ..models import Controller, ErasureJob, ServiceEngagement, Vacancy
from .engagements import engagements_complete

BEAT = Actor.system("close_vacancies")
# The content version these services bump (apps.core.cache): the open jobs (and their client companies' names)
# that public pages list. Read through apps.subjects.selectors.VACANCIES.
VACANCIES = "vacancies"


class VacancyClosed(ValueError):
    """An application for a vacancy that is closed (or does not exist): nothing is stored."""


@audited_transaction()
def vacancy_save(*, vacancy: Vacancy, actor: Actor, changed: list[str]) -> Vacancy:
    """Staff create or edit a vacancy. Audited with the names of the fields changed, never the texts."""
    created = vacancy._state.adding
    vacancy.full_clean()
    if not created and "controller" in changed and ServiceEngagement.objects.filter(vacancy=vacancy).exists():
        # Its applicants agreed to share with this client company, and the company may close it (erasing
        # them) through the API: another company cannot take it over.
        raise ValidationError({"controller": _("People have applied to this vacancy: its client company can no "
                                               "longer change. Close it and open a new one.")})
    vacancy.save()
    audit_record(actor=actor, verb=Verb.VACANCY_SAVED, target=vacancy.pk,
                 detail={"created": created, "fields": sorted(changed)})
    content_bump(VACANCIES)  # the pages that list open jobs show the change at once
    return vacancy


@audited_transaction()
def vacancy_ensure(*, controller_name: str, texts: dict[str, str], closing_date: date,
                   actor: Actor) -> tuple[Vacancy, bool]:
    """Create the vacancy (by client company and English title) unless it exists: a set-up file never
    changes one that staff may have edited. `texts`: title/description/location per language (title_en...)."""
    controller, _created = Controller.objects.get_or_create(name=controller_name)
    existing = Vacancy.objects.filter(controller=controller, title_en=texts["title_en"]).first()
    if existing is not None:
        return existing, False
    vacancy = Vacancy(controller=controller, closing_date=closing_date, **texts)
    return vacancy_save(vacancy=vacancy, actor=actor, changed=sorted(texts)), True


def vacancy_hold_open(*, vacancy_id: uuid.UUID) -> Vacancy:
    """The vacancy, if it is open, share-locked until the caller's transaction ends (closing it waits for
    that); VacancyClosed otherwise. Call it inside the transaction that stores the application. One
    statement: the row is read as it is locked (its client company is not loaded: `controller_id`)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("vacancy_hold_open must run inside the application's transaction")
    if connection.vendor == "postgresql":  # FOR SHARE: the ORM's select_for_update has no shared lock
        columns = ", ".join(connection.ops.quote_name(f.column) for f in Vacancy._meta.concrete_fields)
        table = connection.ops.quote_name(Vacancy._meta.db_table)
        rows = Vacancy.objects.raw(f"SELECT {columns} FROM {table} WHERE id = %s FOR SHARE", [vacancy_id])  # noqa: S608, S611 (names ours, value bound)
        vacancy = next(iter(rows), None)
    else:  # SQLite: one writer at a time, the transaction holds the database
        vacancy = Vacancy.objects.filter(pk=vacancy_id).first()
    if vacancy is None or not vacancy.is_open:
        raise VacancyClosed("the vacancy is closed or unknown")
    return vacancy


def _open_applications(vacancy: Vacancy):
    return ServiceEngagement.objects.filter(vacancy=vacancy, status=ServiceEngagement.Status.OPEN)


def vacancy_close_preview(*, vacancy: Vacancy) -> tuple[int, int]:
    """(erased, kept) if the vacancy closed now: applicants for whom it is the last open service, and
    applicants who keep their data because another service of theirs is still open."""
    applicants = _open_applications(vacancy).values("subject_id")
    total = applicants.count()  # one application per person and vacancy (a database constraint)
    kept = (ServiceEngagement.objects.filter(subject_id__in=applicants, status=ServiceEngagement.Status.OPEN)
            .exclude(vacancy=vacancy).values("subject_id").distinct().count())
    return total - kept, kept


def vacancy_close(*, vacancy: Vacancy, actor: Actor) -> list[ErasureJob]:
    """Close the vacancy and complete every open application to it (CHUNK per transaction); returns the
    erasure jobs queued. Closing a closed vacancy again completes what a failed run left open."""
    with audited_transaction():
        locked = Vacancy.objects.select_for_update().get(pk=vacancy.pk)
        if locked.is_open:
            erased, kept = vacancy_close_preview(vacancy=locked)
            locked.status, locked.closed_at = Vacancy.Status.CLOSED, timezone.now()
            locked.save(update_fields=["status", "closed_at"])
            audit_record(actor=actor, verb=Verb.VACANCY_CLOSED, target=locked.pk,
                         detail={"applications": erased + kept, "erased": erased, "kept": kept})
            content_bump(VACANCIES)
    vacancy.status, vacancy.closed_at = locked.status, locked.closed_at
    # After the commit: every application received before it is in; any later one was refused.
    ids = list(_open_applications(locked).values_list("pk", flat=True))
    return engagements_complete(engagement_ids=ids, actor=actor)


def vacancies_due(*, today: date | None = None) -> list[Vacancy]:
    """Open vacancies past their closing date and the grace period (VACANCY_CLOSE_GRACE_DAYS), and closed
    ones that still have open applications (a close that failed half-way)."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.VACANCY_CLOSE_GRACE_DAYS)
    due = list(Vacancy.objects.filter(status=Vacancy.Status.OPEN, closing_date__lt=cutoff))
    unfinished = Vacancy.objects.filter(status=Vacancy.Status.CLOSED,
                                        applications__status=ServiceEngagement.Status.OPEN).distinct()
    return due + list(unfinished)


def vacancies_close_due(*, today: date | None = None) -> int:
    """Close every vacancy that is due (beat runs this hourly; `manage.py close_vacancies` too). Returns how
    many people's erasure was queued."""
    jobs: list[ErasureJob] = []
    for vacancy in vacancies_due(today=today):
        jobs += vacancy_close(vacancy=vacancy, actor=BEAT)
    return len({job.subject_id for job in jobs})
