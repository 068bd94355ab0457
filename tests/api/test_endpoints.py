"""What a client company sees and changes: only its own things (404 otherwise, never 403), status without
personal values, completion that erases, and the signed deletion certificate."""

import uuid

import pytest

from apps.api.models import Scope
from apps.audit.services import Actor
from apps.subjects.models import PersonalRecord, ServiceEngagement
from apps.subjects.services import restriction_set
from apps.vault.proofs import proof_verify
from tests.api.helpers import Api, make_token, make_vacancy
from tests.factories import ControllerFactory, EngagementFactory, SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_clients(client):
    mine, theirs = ControllerFactory(), ControllerFactory()
    return mine, theirs, Api(client, make_token(mine)), Api(client, make_token(theirs))


def test_the_status_of_a_candidate_names_no_personal_value(two_clients):
    mine, _theirs, api, _other = two_clients
    engagement = EngagementFactory(controller=mine, reference="ATS-1")
    record = PersonalRecord.objects.get(subject=engagement.subject)
    response = api.get(f"/candidates/{engagement.subject_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "active" and [e["id"] for e in body["engagements"]] == [str(engagement.pk)]
    text = response.content.decode()
    for value in (record.full_name, record.email, record.mobile.as_e164, record.legal_id_number):
        assert value not in text


def test_another_clients_candidate_engagement_and_erasure_answer_404(two_clients, django_capture_on_commit_callbacks):
    mine, _theirs, api, other = two_clients
    engagement = EngagementFactory(controller=mine, reference="ATS-7", subject=SubjectFactory(holder=mine))
    assert other.get(f"/candidates/{engagement.subject_id}").status_code == 404
    assert other.post(f"/engagements/{engagement.pk}/complete").status_code == 404
    assert other.post("/engagements/ATS-7/complete").status_code == 404
    assert ServiceEngagement.objects.get(pk=engagement.pk).is_open
    with django_capture_on_commit_callbacks(execute=True):
        job = api.post(f"/engagements/{engagement.pk}/complete").json()["erasure_jobs"][0]
    response = other.get(f"/erasures/{job}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert other.get(f"/candidates/{uuid.uuid4()}").json()["code"] == "not_found"  # the same as not existing


def test_completing_by_reference_erases_the_person_and_the_erasure_gives_the_signed_certificate(
        two_clients, django_capture_on_commit_callbacks):
    mine, _theirs, api, _other = two_clients
    engagement = EngagementFactory(controller=mine, reference="ATS-9", subject=SubjectFactory(holder=mine))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/engagements/ATS-9/complete")
    assert response.status_code == 202
    (job,) = response.json()["erasure_jobs"]
    assert response.json()["engagement"]["status"] == "completed"
    erasure = api.get(f"/erasures/{job}").json()
    assert erasure["state"] == "done" and erasure["reason"] == "service-complete"
    certificate = erasure["certificate"]
    payload = proof_verify(certificate["signed"])
    assert payload["certificate_id"] == certificate["id"] and payload["subject_id"] == str(engagement.subject_id)
    assert not PersonalRecord.objects.filter(subject_id=engagement.subject_id).exists()
    status = api.get(f"/candidates/{engagement.subject_id}").json()
    assert status["status"] == "erased" and status["engagements"][0]["status"] == "completed"


def test_completing_twice_is_a_conflict_and_changes_nothing(two_clients, django_capture_on_commit_callbacks):
    mine, _theirs, api, _other = two_clients
    engagement = EngagementFactory(controller=mine)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/engagements/{engagement.pk}/complete").status_code == 202
    response = api.post(f"/engagements/{engagement.pk}/complete")
    assert response.status_code == 409 and response.json()["code"] == "engagement_not_open"


def test_the_person_is_erased_only_when_their_last_open_service_ends(two_clients):
    mine, _theirs, api, _other = two_clients
    engagement = EngagementFactory(controller=mine)
    EngagementFactory(subject=engagement.subject)  # another service, still open
    response = api.post(f"/engagements/{engagement.pk}/complete")
    assert response.status_code == 202 and response.json()["erasure_jobs"] == []
    assert PersonalRecord.objects.filter(subject_id=engagement.subject_id).exists()


def test_a_reference_two_engagements_share_must_be_named_by_id(two_clients):
    mine, _theirs, api, _other = two_clients
    first = EngagementFactory(controller=mine, reference="SAME")
    EngagementFactory(controller=mine, reference="SAME")
    assert api.post("/engagements/SAME/complete").json()["code"] == "reference_ambiguous"
    assert ServiceEngagement.objects.get(pk=first.pk).is_open


def test_completing_needs_its_scope(client):
    controller = ControllerFactory()
    engagement = EngagementFactory(controller=controller)
    api = Api(client, make_token(controller, scopes=[Scope.CANDIDATES_READ_STATUS, Scope.VACANCIES_READ]))
    assert api.post(f"/engagements/{engagement.pk}/complete").status_code == 403
    assert ServiceEngagement.objects.get(pk=engagement.pk).is_open


def test_another_clients_vacancy_cannot_be_closed_or_listed(two_clients):
    mine, _theirs, _api, other = two_clients
    vacancy = make_vacancy(mine)
    response = other.post(f"/vacancies/{vacancy.pk}/close")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    vacancy.refresh_from_db()
    assert vacancy.is_open
    assert other.get("/vacancies").json() == []


def test_completing_a_restricted_persons_service_is_a_conflict_not_a_202_that_does_nothing(two_clients):
    mine, _theirs, api, _other = two_clients
    engagement = EngagementFactory(controller=mine, reference="ATS-11")
    restriction_set(subject=engagement.subject, actor=Actor.system("test"), ground="legal-claim")
    response = api.post(f"/engagements/{engagement.pk}/complete")
    assert response.status_code == 409 and response.json()["code"] == "subject_restricted"
    assert ServiceEngagement.objects.get(pk=engagement.pk).is_open
