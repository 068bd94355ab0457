"""Closing a vacancy ends its applications: those for whom it was the last one are erased, the rest keep."""

import datetime
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import DataSubject, ErasureJob, PersonalRecord, ServiceEngagement, Vacancy
from tests.factories import EngagementFactory, SubjectFactory, VacancyFactory

pytestmark = pytest.mark.django_db
STAFF = Actor.system("test")


def _applicants(vacancy: Vacancy, n: int) -> list[DataSubject]:
    people = [SubjectFactory() for _ in range(n)]
    for person in people:
        services.engagement_open(subject=person, actor=STAFF, service="recruitment", vacancy=vacancy)
    return people


def test_the_preview_counts_who_is_erased_and_who_keeps_their_data():
    vacancy, other = VacancyFactory(), VacancyFactory()
    people = _applicants(vacancy, 4)
    services.engagement_open(subject=people[0], actor=STAFF, service="recruitment", vacancy=other)
    EngagementFactory(subject=people[1], service="enquiry")  # an open enquiry keeps them too
    _applicants(other, 2)  # not applicants to this vacancy: not counted
    assert services.vacancy_close_preview(vacancy=vacancy) == (2, 2)


def test_closing_erases_those_whose_last_application_it_was_and_keeps_the_others(
        django_capture_on_commit_callbacks):
    vacancy, other = VacancyFactory(), VacancyFactory()
    people = _applicants(vacancy, 3)
    services.engagement_open(subject=people[0], actor=STAFF, service="recruitment", vacancy=other)

    with django_capture_on_commit_callbacks(execute=True):
        jobs = services.vacancy_close(vacancy=vacancy, actor=STAFF)

    assert {job.subject_id for job in jobs} == {people[1].pk, people[2].pk}
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.CLOSED and vacancy.closed_at
    assert not PersonalRecord.objects.filter(subject__in=people[1:]).exists()  # jobs run eagerly here
    assert PersonalRecord.objects.filter(subject=people[0]).exists()
    kept = ServiceEngagement.objects.get(subject=people[0], vacancy=other)
    assert kept.is_open
    assert ServiceEngagement.objects.get(subject=people[0], vacancy=vacancy).status == "completed"
    event = AuditEvent.objects.get(verb="vacancy.closed", target=str(vacancy.pk))
    assert event.detail == {"applications": 3, "erased": 2, "kept": 1}


def test_closing_twice_changes_nothing_the_second_time():
    vacancy = VacancyFactory()
    _applicants(vacancy, 2)
    services.vacancy_close(vacancy=vacancy, actor=STAFF)
    assert services.vacancy_close(vacancy=vacancy, actor=STAFF) == []
    assert ErasureJob.objects.count() == 2
    assert AuditEvent.objects.filter(verb="vacancy.closed").count() == 1


def test_beat_closes_a_vacancy_only_after_its_closing_date_and_the_grace_period(settings):
    settings.VACANCY_CLOSE_GRACE_DAYS = 14
    today = timezone.localdate()
    due = VacancyFactory(closing_date=today - datetime.timedelta(days=15))
    in_grace = VacancyFactory(closing_date=today - datetime.timedelta(days=14))
    _applicants(due, 1), _applicants(in_grace, 1)

    call_command("close_vacancies", stdout=StringIO())

    due.refresh_from_db(), in_grace.refresh_from_db()
    assert due.status == Vacancy.Status.CLOSED
    assert in_grace.status == Vacancy.Status.OPEN
    assert ServiceEngagement.objects.filter(vacancy=in_grace, status="open").count() == 1


def test_beat_finishes_a_close_that_stopped_half_way(django_capture_on_commit_callbacks):
    vacancy = VacancyFactory()
    person = _applicants(vacancy, 1)[0]
    Vacancy.objects.filter(pk=vacancy.pk).update(status=Vacancy.Status.CLOSED)  # its applications still open
    with django_capture_on_commit_callbacks(execute=True):
        assert services.vacancies_close_due() == 1
    assert not PersonalRecord.objects.filter(subject=person).exists()


@pytest.mark.postgresql_only  # a row lock held by one transaction while another waits: SQLite locks the file
@pytest.mark.django_db(transaction=True)
def test_closing_waits_for_an_application_being_stored_and_then_ends_it_too():
    vacancy, person = VacancyFactory(), SubjectFactory()
    holding, release = threading.Event(), threading.Event()

    def apply() -> None:
        try:
            with transaction.atomic():
                held = services.vacancy_hold_open(vacancy_id=vacancy.pk)
                holding.set()
                release.wait(10)
                services.engagement_open(subject=person, actor=STAFF, service="recruitment", vacancy=held)
        finally:
            connection.close()

    def close() -> None:
        try:
            services.vacancy_close(vacancy=vacancy, actor=STAFF)
        finally:
            connection.close()

    applying = threading.Thread(target=apply)
    applying.start()
    assert holding.wait(10)
    closing = threading.Thread(target=close)
    closing.start()
    closing.join(1.0)
    assert closing.is_alive(), "the close did not wait for the application in flight"
    release.set()
    applying.join(10), closing.join(20)

    assert ServiceEngagement.objects.get(subject=person, vacancy=vacancy).status == "completed"
    assert ErasureJob.objects.filter(subject=person).exists()
    with pytest.raises(services.VacancyClosed), transaction.atomic():  # and later ones are refused
        services.vacancy_hold_open(vacancy_id=vacancy.pk)
