"""POST /api/v1/candidates: the person is created or found, the application opened for the client's vacancy,
consent receipts name the client company, the person is told from whom we got their data; Idempotency-Key."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.api.models import IdempotencyKey
from apps.api.services import idempotency_keys_expire
from apps.audit.models import AuditEvent
from apps.consent.models import ConsentRecord, Purpose
from apps.consent.receipts import receipt_payload
from apps.consent.services import CollectionContext, consent_give, consent_withdraw
from apps.recruitment.intake import submission_receive
from apps.subjects.links import link_resolve, link_token
from apps.subjects.models import DataSubject, ErasureJob, PersonalRecord, ServiceEngagement, Vacancy
from tests.api.helpers import Api, candidate_body, make_token, make_vacancy
from tests.factories import ControllerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(client, demo_purposes):
    controller = ControllerFactory(name="Safari Telecom Ltd")
    return controller, make_vacancy(controller), Api(client, make_token(controller))


def test_handing_over_a_candidate_records_controller_consent_and_tells_the_person_from_whom(
        setup, django_capture_on_commit_callbacks):
    controller, vacancy, api = setup
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/candidates", candidate_body(vacancy))
    assert response.status_code == 201, response.content
    body = response.json()
    engagement = ServiceEngagement.objects.get(pk=body["engagement"]["id"])
    assert (engagement.controller, engagement.vacancy, engagement.reference) == (controller, vacancy, "ATS-00001")
    assert str(engagement.subject_id) == body["public_id"]
    assert "achieng1@example.org" not in response.content.decode()  # ids and states only
    receipts = ConsentRecord.objects.filter(subject_id=engagement.subject_id)
    assert {r.purpose.slug for r in receipts} == {"recruitment", "share-with-employer"}
    receipt = receipts.first()
    assert (receipt.source, receipt.controller, receipt.obtained_how) == ("controller", controller, "web-form")
    assert receipt_payload(receipt)["collection"]["handed_over_by"]["controller_id"] == str(controller.pk)
    (email,) = [m for m in mail.outbox if "achieng1@example.org" in m.to]
    assert "Safari Telecom Ltd gave us your personal and professional details" in email.body
    assert "/me/" in email.body and "delete" in email.body
    called = AuditEvent.objects.filter(verb="api.called").last()
    assert called.detail["endpoint"] == "POST /api/v1/candidates" and called.detail["status"] == 201


def test_professional_details_are_kept_encrypted_with_the_record(setup):
    _controller, vacancy, api = setup
    body = candidate_body(vacancy)
    body["person"]["experience"] = "Five years in a call centre"
    public_id = api.post("/candidates", body).json()["public_id"]
    assert PersonalRecord.objects.get(subject_id=public_id).experience == "Five years in a call centre"


def test_the_same_email_is_the_same_person(setup):
    _controller, vacancy, api = setup
    other = make_vacancy(vacancy.controller, "Team leader")
    first = api.post("/candidates", candidate_body(vacancy)).json()
    second = api.post("/candidates", candidate_body(other, reference="ATS-2")).json()
    assert first["public_id"] == second["public_id"]
    assert ServiceEngagement.objects.filter(subject_id=first["public_id"]).count() == 2


def test_a_repeat_with_the_same_key_and_body_returns_the_first_answer_and_creates_nothing(setup):
    _controller, vacancy, api = setup
    body = candidate_body(vacancy)
    first = api.post("/candidates", body, idempotency_key="k-1")
    counts = (DataSubject.objects.count(), ConsentRecord.objects.count(), ServiceEngagement.objects.count())
    again = api.post("/candidates", body, idempotency_key="k-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert (DataSubject.objects.count(), ConsentRecord.objects.count(), ServiceEngagement.objects.count()) == counts


def test_the_same_key_with_another_body_is_a_conflict(setup):
    _controller, vacancy, api = setup
    api.post("/candidates", candidate_body(vacancy), idempotency_key="k-2")
    response = api.post("/candidates", candidate_body(vacancy, n=2), idempotency_key="k-2")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert DataSubject.objects.count() == 1


def test_keys_are_per_client_company(setup, client):
    _controller, vacancy, api = setup
    other_controller = ControllerFactory()
    other = Api(client, make_token(other_controller))
    api.post("/candidates", candidate_body(vacancy), idempotency_key="shared")
    response = other.post("/candidates", candidate_body(make_vacancy(other_controller), n=3),
                          idempotency_key="shared")
    assert response.status_code == 201 and IdempotencyKey.objects.count() == 2


def test_another_clients_vacancy_is_404_and_a_closed_one_409(setup, client):
    _controller, vacancy, api = setup
    theirs = make_vacancy(ControllerFactory())
    response = api.post("/candidates", candidate_body(theirs))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    Vacancy.objects.filter(pk=vacancy.pk).update(status=Vacancy.Status.CLOSED)
    assert api.post("/candidates", candidate_body(vacancy)).json()["code"] == "vacancy_closed"
    assert not DataSubject.objects.exists()


def test_fields_are_validated_as_on_the_form_without_echoing_them(setup):
    _controller, vacancy, api = setup
    body = candidate_body(vacancy)
    body["person"].update(email="not-an-email-Achieng", mobile="12", full_name="R2-D2 http://x")
    body["person"]["referees"][1]["phone"] = "999"
    response = api.post("/candidates", body)
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["fields"]}
    assert fields == {"person.email", "person.mobile", "person.full_name", "person.referees.1.phone"}
    assert "Achieng" not in response.content.decode() and "R2-D2" not in response.content.decode()
    assert not PersonalRecord.objects.exists()


def test_the_consent_evidence_must_cover_the_required_purposes(setup):
    _controller, vacancy, api = setup
    body = candidate_body(vacancy)
    body["consent"]["purposes"] = ["recruitment"]
    response = api.post("/candidates", body)
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "consent.purposes"
    body["consent"]["purposes"] = ["recruitment", "share-with-employer", "no-such-purpose"]
    assert api.post("/candidates", body).status_code == 422
    assert not DataSubject.objects.exists()


def test_closing_a_vacancy_through_the_api_erases_its_applicants(setup, django_capture_on_commit_callbacks):
    _controller, vacancy, api = setup
    public_id = api.post("/candidates", candidate_body(vacancy)).json()["public_id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/vacancies/{vacancy.pk}/close")
    assert response.status_code == 202
    assert response.json()["engagements_completed"] == 1 and len(response.json()["erasure_jobs"]) == 1
    assert not PersonalRecord.objects.filter(subject_id=public_id).exists()
    assert api.get(f"/candidates/{public_id}").json()["status"] == "erased"


def test_consent_evidence_needs_a_time_with_its_zone(setup):
    _controller, vacancy, api = setup
    body = candidate_body(vacancy)
    body["consent"]["obtained_at"] = "2026-11-27T10:00:00"
    response = api.post("/candidates", body)
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "consent.obtained_at"


def test_an_idempotency_key_used_again_after_its_answer_expired_is_a_new_hand_over(client, demo_purposes):
    """Keys are kept a day, submissions longer: the same key for another candidate later must never answer
    with (and let the client later complete and erase) the earlier person."""
    controller = ControllerFactory()
    api = Api(client, make_token(controller))
    vacancy, other = make_vacancy(controller), make_vacancy(controller, "Team leader")
    first = api.post("/candidates", candidate_body(vacancy, 1), **{"Idempotency-Key": "cand-42"})
    assert first.status_code == 201
    assert idempotency_keys_expire(now=timezone.now() + timedelta(days=2)) == 1
    second = api.post("/candidates", candidate_body(vacancy, 2), **{"Idempotency-Key": "cand-42"})
    assert second.status_code == 201 and second.json()["public_id"] != first.json()["public_id"]
    assert DataSubject.objects.count() == 2
    idempotency_keys_expire(now=timezone.now() + timedelta(days=2))
    third = api.post("/candidates", candidate_body(other, 3), **{"Idempotency-Key": "cand-42"})
    assert third.status_code == 201 and DataSubject.objects.count() == 3


def _applied_themselves(vacancy: Vacancy) -> DataSubject:
    """Someone applied through the public form (and confirmed it) with achieng1's email and a mobile number."""
    return submission_receive(
        key=uuid.uuid4(), kind="apply", data={"full_name": "Achieng Otieno", "email": "achieng1@example.org",
                                              "mobile": "+254799000111", "address": "", "referees": []},
        purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"])),
        context=CollectionContext(collection_point="apply-form", form_version="t", source="web-form"),
        vacancy=make_vacancy(vacancy.controller, "Earlier job")).submission.subject


def test_a_hand_over_never_joins_a_person_who_applied_themselves_nor_touches_their_number_or_links(setup):
    _controller, vacancy, api = setup
    person = _applied_themselves(vacancy)
    link = link_token(person)
    handed = api.post("/candidates", candidate_body(vacancy)).json()["public_id"]
    assert handed != str(person.pk)
    assert DataSubject.objects.get(pk=handed).holder == vacancy.controller
    assert PersonalRecord.objects.get(subject=person).mobile.as_e164 == "+254799000111"
    assert link_resolve(link).subject == person
    assert list(ServiceEngagement.objects.filter(subject=person).values_list("vacancy__title", flat=True)) == \
        ["Earlier job"]


def _answers(api: Api, public_id: str) -> dict:
    """Every answer a client company can read about its candidate and its jobs, field by field."""
    status, vacancies = api.get(f"/candidates/{public_id}"), api.get("/vacancies")
    return {"status": (status.status_code, status.json()), "vacancies": (vacancies.status_code, vacancies.json())}


def test_two_client_companies_with_one_email_see_nothing_of_each_other(client, demo_purposes):
    a, b = ControllerFactory(name="Safari Telecom Ltd"), ControllerFactory(name="Jamii Bank")
    api_a, api_b = Api(client, make_token(a)), Api(client, make_token(b))
    vacancy_a, vacancy_b = make_vacancy(a), make_vacancy(b, "Teller")
    first = api_a.post("/candidates", candidate_body(vacancy_a)).json()
    before = _answers(api_a, first["public_id"])
    second = api_b.post("/candidates", candidate_body(vacancy_b, reference="B-1")).json()
    # B gets a record of its own: another id, an engagement with nothing of A's in it.
    assert second["public_id"] != first["public_id"]
    assert set(second) == set(first) and set(second["engagement"]) == set(first["engagement"])
    assert second["engagement"]["vacancy"] == str(vacancy_b.pk)
    assert api_b.get(f"/candidates/{first['public_id']}").status_code == 404
    assert api_a.get(f"/candidates/{second['public_id']}").status_code == 404
    b_status = api_b.get(f"/candidates/{second['public_id']}").json()
    assert [e["vacancy"] for e in b_status["engagements"]] == [str(vacancy_b.pk)]
    # What A sees did not change in any field because B handed the same person over.
    assert _answers(api_a, first["public_id"]) == before
    # B ends its service: its record is erased; A's person and application are untouched, and A sees the same.
    done = api_b.post(f"/engagements/{second['engagement']['id']}/complete").json()
    assert len(done["erasure_jobs"]) == 1
    assert _answers(api_a, first["public_id"]) == before
    assert DataSubject.objects.get(pk=first["public_id"]).status == DataSubject.Status.ACTIVE
    # A's own erasure job is its own: B cannot read it, and A cannot read B's.
    assert api_a.get(f"/erasures/{done['erasure_jobs'][0]}").status_code == 404


def test_a_client_companys_consent_never_gives_again_what_the_person_withdrew(setup):
    _controller, vacancy, api = setup
    other = make_vacancy(vacancy.controller, "Team leader")
    body = candidate_body(vacancy)
    body["consent"]["purposes"] = ["recruitment", "share-with-employer", "marketing"]
    public_id = api.post("/candidates", body).json()["public_id"]
    person = DataSubject.objects.get(pk=public_id)
    optional = Purpose.objects.get(slug="marketing")
    consent_withdraw(subject=person, purpose=optional, context=CollectionContext(
        collection_point="self-service", form_version="t", source=ConsentRecord.Source.SELF_SERVICE))
    again = candidate_body(other, reference="ATS-2")
    again["consent"]["purposes"] = ["recruitment", "share-with-employer", "marketing"]
    assert api.post("/candidates", again).json()["public_id"] == public_id  # the same company's own record
    current = ConsentRecord.objects.filter(subject=person, purpose=optional).order_by("-created_at").first()
    assert current.action == ConsentRecord.Action.WITHDRAWN


def _applied_to_two_companies(a_vacancy: Vacancy, b_vacancy: Vacancy) -> DataSubject:
    """A person who applied on our website (confirmed) to one job of each company: one record of their own."""
    person = _applied_themselves(a_vacancy)
    submission_receive(
        key=uuid.uuid4(), kind="apply", data={"full_name": "Achieng Otieno", "email": "achieng1@example.org",
                                              "mobile": "+254799000111", "address": "", "referees": []},
        purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"])),
        context=CollectionContext(collection_point="apply-form", form_version="t", source="web-form"),
        vacancy=b_vacancy)
    return person


def test_a_company_learns_nothing_of_a_persons_other_services_when_its_own_ends(client, demo_purposes):
    a, b = ControllerFactory(name="Safari Telecom Ltd"), ControllerFactory(name="Jamii Bank")
    api_a, api_b = Api(client, make_token(a)), Api(client, make_token(b))
    a_job, b_job = make_vacancy(a), make_vacancy(b, "Teller")
    person = _applied_to_two_companies(make_vacancy(a, "Earlier job"), b_job)
    # A's own application on the person's record ends: A may not tell whether another service keeps it alive.
    a_engagement = ServiceEngagement.objects.get(subject=person, vacancy__controller=a)
    done = api_a.post(f"/engagements/{a_engagement.pk}/complete").json()
    assert done["erasure_jobs"] == []
    status = api_a.get(f"/candidates/{person.pk}").json()
    assert status["status"] == "ended" and status["erased_at"] is None
    # B's ends too: the person is erased, and neither company can follow the erasure or tell when it ran.
    b_engagement = ServiceEngagement.objects.get(subject=person, vacancy=b_job)
    assert api_b.post(f"/engagements/{b_engagement.pk}/complete").json()["erasure_jobs"] == []
    job = ErasureJob.objects.get(subject=person)
    assert api_a.get(f"/erasures/{job.pk}").status_code == api_b.get(f"/erasures/{job.pk}").status_code == 404
    assert api_a.get(f"/candidates/{person.pk}").json()["status"] == "ended"
    assert a_job  # A's own vacancies are its own business
    # A person who applied on the website to A's job alone gets the very same answers: nothing tells them apart.
    lone = _applied_themselves(a_job)
    lone_engagement = ServiceEngagement.objects.get(subject=lone, vacancy__controller=a)
    assert api_a.post(f"/engagements/{lone_engagement.pk}/complete").json()["erasure_jobs"] == []
    assert api_a.get(f"/candidates/{lone.pk}").json()["status"] == "ended"


def test_a_withdrawal_on_the_persons_own_record_stands_against_any_companys_hand_over(setup):
    _controller, vacancy, api = setup
    own = _applied_themselves(vacancy)
    marketing = Purpose.objects.get(slug="marketing")
    consent_give(subject=own, purpose=marketing, context=CollectionContext(
        collection_point="apply-form", form_version="t", source=ConsentRecord.Source.WEB_FORM))
    consent_withdraw(subject=own, purpose=marketing, context=CollectionContext(
        collection_point="self-service", form_version="t", source=ConsentRecord.Source.SELF_SERVICE))
    body = candidate_body(vacancy)
    body["consent"]["purposes"] = ["recruitment", "share-with-employer", "marketing"]
    handed = api.post("/candidates", body).json()["public_id"]
    assert handed != str(own.pk)
    assert not ConsentRecord.objects.filter(subject_id=handed, purpose=marketing).exists()
