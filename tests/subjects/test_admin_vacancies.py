"""Staff publish vacancies in English and Swahili and close them after seeing who will be erased."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.staff.roles import RECRUITER, SUPPORT
from apps.subjects import services
from apps.subjects.models import ErasureJob, ServiceEngagement, Vacancy
from tests.factories import ControllerFactory, SubjectFactory, VacancyFactory
from tests.staff.helpers import confirmed_action

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/subjects/vacancy/"


@pytest.fixture
def member(django_user_model, staff_client):
    def make(role: str):
        user = django_user_model.objects.create_user(role.replace(" ", "-"), password="x" * 16, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return staff_client(user)
    return make


def _apply(vacancy: Vacancy, n: int) -> list:
    people = [SubjectFactory() for _ in range(n)]
    for person in people:
        services.engagement_open(subject=person, actor=Actor.system("test"), service="recruitment", vacancy=vacancy)
    return people


def test_a_recruiter_publishes_a_vacancy_in_english_and_swahili_and_it_is_audited(member):
    recruiter = member(RECRUITER)
    controller = ControllerFactory()
    response = recruiter.post(f"{CHANGELIST}add/", {
        "controller": str(controller.pk), "title_en": "Driver", "title_sw": "Dereva",
        "description_en": "Drive the delivery van.", "description_sw": "Endesha gari la kusambaza mizigo.",
        "location_en": "Nakuru", "location_sw": "Nakuru", "closing_date": "2030-01-31"})
    assert response.status_code == 302, response.content.decode()[:2000]
    vacancy = Vacancy.objects.get()
    assert (vacancy.title_en, vacancy.title_sw, vacancy.status) == ("Driver", "Dereva", "open")
    assert AuditEvent.objects.filter(verb="vacancy.saved", target=str(vacancy.pk)).exists()


def test_closing_shows_who_will_be_erased_and_closes_only_once_confirmed(member, django_capture_on_commit_callbacks):
    recruiter = member(RECRUITER)
    vacancy, other = VacancyFactory(), VacancyFactory()
    people = _apply(vacancy, 3)
    services.engagement_open(subject=people[0], actor=Actor.system("test"), service="recruitment", vacancy=other)

    page = recruiter.post(CHANGELIST, {"action": "close_selected", "_selected_action": [str(vacancy.pk)]})
    text = page.content.decode()
    assert page.status_code == 200
    assert "2 people will be erased" in text and "1 person keeps their data." in text
    vacancy.refresh_from_db()
    assert vacancy.is_open and not ErasureJob.objects.exists()  # nothing happens before confirming

    with django_capture_on_commit_callbacks(execute=True):
        done = confirmed_action(recruiter, CHANGELIST, {"action": "close_selected",
                                                        "_selected_action": [str(vacancy.pk)]})
    assert "the erasure of 2 applicant(s) is queued" in done.content.decode()
    vacancy.refresh_from_db()
    assert vacancy.status == "closed"
    assert set(ErasureJob.objects.values_list("subject_id", flat=True)) == {people[1].pk, people[2].pk}
    assert ServiceEngagement.objects.get(subject=people[0], vacancy=other).is_open
    event = AuditEvent.objects.get(verb="vacancy.closed")
    assert event.actor_type == "staff"


def test_support_sees_vacancies_but_cannot_close_them(member):
    support = member(SUPPORT)
    vacancy = VacancyFactory()
    _apply(vacancy, 1)
    assert support.get(CHANGELIST).status_code == 200
    support.post(CHANGELIST, {"action": "close_selected", "_selected_action": [str(vacancy.pk)], "confirmed": "yes"})
    vacancy.refresh_from_db()
    assert vacancy.is_open and not ErasureJob.objects.exists()


def test_nobody_can_delete_a_vacancy(admin_client):
    vacancy = VacancyFactory()
    assert admin_client.get(f"{CHANGELIST}{vacancy.pk}/delete/").status_code == 403


def test_once_people_applied_the_vacancy_cannot_move_to_another_client_company(member):
    """Applicants agreed to share with this company, which may close it (and erase them) through the API."""
    recruiter = member(RECRUITER)
    vacancy, newcomer = VacancyFactory(), ControllerFactory()
    _apply(vacancy, 1)
    page = recruiter.get(f"{CHANGELIST}{vacancy.pk}/change/").content.decode()
    assert 'name="controller"' not in page  # shown, not editable
    vacancy.controller = newcomer
    with pytest.raises(ValidationError):
        services.vacancy_save(vacancy=vacancy, actor=Actor.system("test"), changed=["controller"])
    assert Vacancy.objects.get(pk=vacancy.pk).controller != newcomer
