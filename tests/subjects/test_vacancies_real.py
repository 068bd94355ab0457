"""Closing a vacancy through the real parts: PostgreSQL, Redis and a Celery worker process."""

import pytest

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import DataSubject, ErasureJob, PersonalRecord, ServiceEngagement, Vacancy
from apps.vault.models import DataKey, DeletionCertificate
from tests.conftest import wait_for
from tests.factories import SubjectFactory, VacancyFactory

pytestmark = pytest.mark.real_services
SYSTEM = Actor.system("test")


def test_closing_a_vacancy_with_300_applicants_erases_299_and_keeps_the_one_with_another_application(
        celery_worker):
    vacancy, elsewhere = VacancyFactory(), VacancyFactory()
    people = [SubjectFactory() for _ in range(300)]
    for person in people:
        services.engagement_open(subject=person, actor=SYSTEM, service="recruitment", vacancy=vacancy)
    stays = people[137]
    other_application = services.engagement_open(subject=stays, actor=SYSTEM, service="recruitment",
                                                 vacancy=elsewhere)
    assert services.vacancy_close_preview(vacancy=vacancy) == (299, 1)

    jobs = services.vacancy_close(vacancy=vacancy, actor=Actor.system("admin-test"))
    assert len(jobs) == 299

    erased = [p.pk for p in people if p.pk != stays.pk]
    wait_for(lambda: DeletionCertificate.objects.filter(subject_id__in=erased).count() == 299, timeout=120,
             interval=0.5)
    wait_for(lambda: not ErasureJob.objects.exclude(state=ErasureJob.State.DONE).exists(), timeout=30)
    assert DataSubject.objects.filter(pk__in=erased, status=DataSubject.Status.ERASED).count() == 299
    assert not PersonalRecord.objects.filter(subject_id__in=erased).exists()
    assert not DataKey.objects.filter(subject_id__in=erased).exists()
    assert AuditEvent.objects.filter(verb="subject.erased").count() == 299

    # The one who also applied elsewhere keeps their data and that application.
    assert not DeletionCertificate.objects.filter(subject_id=stays.pk).exists()
    assert DataSubject.objects.get(pk=stays.pk).status == DataSubject.Status.ACTIVE
    assert PersonalRecord.objects.get(subject=stays).full_name
    other_application.refresh_from_db()
    assert other_application.is_open and other_application.vacancy == elsewhere
    assert ServiceEngagement.objects.get(subject=stays, vacancy=vacancy).status == "completed"
    assert Vacancy.objects.get(pk=vacancy.pk).status == Vacancy.Status.CLOSED
