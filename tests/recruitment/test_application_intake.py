"""Applications are for a vacancy: one person per email address, one application per person and vacancy."""

import base64
import uuid

import pytest

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.consent.models import ConsentRecord, Purpose, Submission
from apps.consent.services import CollectionContext
from apps.notifications.models import Notification
from apps.recruitment.intake import Received, intake_confirm_code, intake_hold
from apps.recruitment.models import PendingSubmission
from apps.subjects.models import DataSubject, IdentityDocument, PersonalRecord, ServiceEngagement, Vacancy
from apps.subjects.services import (
    DocumentRejected,
    VacancyClosed,
    erasure_request,
    restriction_set,
    subject_erase,
    subject_export,
)
from tests.factories import PDF_BYTES, PNG_BYTES, VacancyFactory

pytestmark = pytest.mark.django_db
CONTEXT = CollectionContext(collection_point="apply-form", form_version="t", source=ConsentRecord.Source.WEB_FORM)
CV = b"%PDF-1.7\n% curriculum vitae\n" + b"worked as a clerk " * 50


def _data(**overrides) -> dict:
    data = {"full_name": "Amani Wekesa", "email": "amani.wekesa@example.org", "mobile": "+254712345678",
            "address": "P.O. Box 100-00200, Nairobi", "legal_id_type": "national-id", "legal_id_number": "27654321",
            "referees": [{"name": "Jane Muthoni", "phone": "+254722111222", "relationship": "Manager"},
                         {"name": "Peter Odhiambo", "phone": "+254733444555", "relationship": "Lecturer"}],
            "experience": "Five years as a stores clerk."}
    data.update(overrides)
    return data


def _hold(vacancy: Vacancy | None, *, cv: bytes | None = None, **overrides) -> PendingSubmission:
    """A form sent from the website: held until the address's owner types the code."""
    purposes = list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"]))
    return intake_hold(key=uuid.uuid4(), kind="apply", data=_data(**overrides), purposes=purposes, context=CONTEXT,
                       document=PDF_BYTES, vacancy=vacancy, cv=cv)


def _apply(vacancy: Vacancy | None, *, cv: bytes | None = None, **overrides) -> Received:
    """A form sent and confirmed with the code emailed to its address."""
    pending = _hold(vacancy, cv=cv, **overrides)
    outcome, submission = intake_confirm_code(pending_id=pending.pk, code=pending.code)
    assert outcome == "confirmed"
    return Received(submission, True)


def test_an_application_is_an_engagement_for_the_vacancy_and_its_client(demo_purposes):
    vacancy = VacancyFactory()
    received = _apply(vacancy, cv=CV)
    engagement = ServiceEngagement.objects.get(subject=received.submission.subject)
    assert engagement.vacancy == vacancy
    assert engagement.controller == vacancy.controller
    assert received.submission.vacancy == vacancy
    assert {"cv", "experience", "document"} <= set(received.submission.fields)
    kinds = sorted(IdentityDocument.objects.filter(subject=engagement.subject).values_list("kind", flat=True))
    assert kinds == ["cv", "id-scan"]
    assert PersonalRecord.objects.get(subject=engagement.subject).experience == "Five years as a stores clerk."


def test_applying_twice_to_the_same_vacancy_keeps_one_application(demo_purposes):
    vacancy = VacancyFactory()
    first = _apply(vacancy, cv=CV).submission.subject
    second = _apply(vacancy, cv=CV + b"v2", email="Amani.Wekesa@Example.org", address="Box 7, Kisumu").submission
    assert second.subject == first
    assert DataSubject.objects.count() == 1
    assert ServiceEngagement.objects.filter(subject=first).count() == 1
    # What we hold is not changed by a form: the person corrects it through their link.
    assert PersonalRecord.objects.get(subject=first).address == "P.O. Box 100-00200, Nairobi"
    assert IdentityDocument.objects.filter(subject=first, kind="cv").count() == 1
    assert IdentityDocument.objects.filter(subject=first, kind="id-scan").count() == 1
    assert AuditEvent.objects.filter(verb="application.updated", target=str(first.pk)).exists()
    assert not Notification.objects.filter(subject=first, template="one_record").exists()
    confirmations = Notification.objects.filter(subject=first, template="confirmation", channel="email")
    assert [n.context["kept"] for n in confirmations.order_by("created_at")] == [False, True]


def test_applying_to_a_second_vacancy_reuses_the_person_and_tells_them(demo_purposes):
    first_vacancy, second_vacancy = VacancyFactory(), VacancyFactory()
    person = _apply(first_vacancy, experience="").submission.subject
    again = _apply(second_vacancy, full_name="Amani Wekesa Otieno", cv=CV).submission.subject
    assert again == person
    assert DataSubject.objects.count() == 1
    applications = ServiceEngagement.objects.filter(subject=person, status="open")
    assert {e.vacancy for e in applications} == {first_vacancy, second_vacancy}
    record = PersonalRecord.objects.get(subject=person)
    assert record.full_name == "Amani Wekesa"  # kept as held
    assert record.experience == "Five years as a stores clerk."  # what was missing is added
    assert IdentityDocument.objects.filter(subject=person, kind="cv").count() == 1
    told = Notification.objects.get(subject=person, template="one_record", channel="email")
    assert told.context["others"] == [first_vacancy.title]
    assert told.context["vacancy"] == second_vacancy.title


def test_a_stranger_with_someones_email_cannot_take_over_their_record(demo_purposes):
    """Whoever knows an address can send a form with it. It stays a sealed form: the stranger never sees the
    code, which goes to the address; even a person who confirms it without reading keeps what they hold."""
    person = _apply(VacancyFactory()).submission.subject
    Notification.objects.all().delete()
    pending = _hold(VacancyFactory(), full_name="Mallory", mobile="+254799000111", legal_id_number="11111111",
                    referees=[{"name": "Eve", "phone": "+254799000222", "relationship": "Friend"}])
    assert intake_confirm_code(pending_id=pending.pk, code="000000")[0] == "wrong-code"
    assert not Notification.objects.filter(subject=person).exists()  # nothing reached the person's record
    assert Notification.objects.get(intake_id=pending.pk).recipient == "amani.wekesa@example.org"
    assert intake_confirm_code(pending_id=pending.pk, code=pending.code)[0] == "confirmed"  # without reading
    record = PersonalRecord.objects.get(subject=person)
    assert (record.full_name, record.legal_id_number) == ("Amani Wekesa", "27654321")
    # Not replaced by the form's number; the held one goes too, as it was not on the confirmed form: the person
    # adds theirs again through the private link.
    assert record.mobile is None
    assert [r["name"] for r in record.referees] == ["Jane Muthoni", "Peter Odhiambo"]
    recipients = {(n.channel, n.recipient) for n in Notification.objects.filter(subject=person)}
    assert ("email", "amani.wekesa@example.org") in recipients  # the private link: by email, the address held
    assert not any(r in {"+254799000111", "+254799000222"} for _channel, r in recipients)
    assert all(n.context.get("full_name") != "Mallory" for n in Notification.objects.filter(subject=person))


def test_a_person_whose_erasure_is_under_way_is_not_reused(demo_purposes):
    first = _apply(VacancyFactory()).submission.subject
    erasure_request(subject_id=first.pk, reason="subject-request", actor=Actor.system("test"))
    second = _apply(VacancyFactory()).submission.subject
    assert second != first


def test_an_application_to_a_closed_vacancy_stores_nothing(demo_purposes):
    vacancy = VacancyFactory(status=Vacancy.Status.CLOSED)
    with pytest.raises(VacancyClosed):
        _apply(vacancy, cv=CV)
    assert not DataSubject.objects.exists()
    assert not Submission.objects.exists()
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(("cv", "code"), [(PNG_BYTES, "type"), (b"%PDF-" + b"x" * (5 * 1024 * 1024), "too-large"),
                                          (b"plain text pretending.pdf", "type")])
def test_a_cv_that_is_not_a_pdf_of_at_most_5_mb_stores_nothing(demo_purposes, cv, code):
    with pytest.raises(DocumentRejected) as refused:
        _apply(VacancyFactory(), cv=cv)
    assert refused.value.code == code
    assert not DataSubject.objects.exists()


def test_a_restricted_record_is_not_added_to_by_a_new_application(demo_purposes):
    person = _apply(VacancyFactory()).submission.subject
    restriction_set(subject=person, actor=Actor.system("test"), ground=DataSubject.RestrictionGround.values[0])
    newcomer = _apply(VacancyFactory()).submission.subject
    assert newcomer != person
    assert ServiceEngagement.objects.filter(subject=person).count() == 1


def test_the_cv_and_experience_are_in_the_export_and_gone_after_erasure(demo_purposes):
    person = _apply(VacancyFactory(), cv=CV).submission.subject
    export = subject_export(subject=person, actor=Actor.subject(person))["data"]
    assert export["record"]["rows"][0]["experience"] == "Five years as a stores clerk."
    cvs = [d for d in export["documents"]["rows"] if d["kind"] == "cv"]
    assert len(cvs) == 1 and base64.b64decode(cvs[0]["content_base64"]) == CV
    assert export["engagements"]["rows"][0]["vacancy"]["title"]

    certificate = subject_erase(subject=person, reason="subject-request")
    assert "professional" in certificate.categories
    assert not IdentityDocument.objects.filter(subject=person).exists()
    assert not PersonalRecord.objects.filter(subject=person).exists()


def test_the_person_is_told_by_email_that_one_record_now_holds_both_applications(
        demo_purposes, mailoutbox, django_capture_on_commit_callbacks):
    first, second = VacancyFactory(), VacancyFactory()
    _apply(first)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _apply(second)
    told = next(m for m in mailoutbox if "one record for all your applications" in m.subject)
    assert told.to == ["amani.wekesa@example.org"]
    assert f"- {first.title}" in told.body and f"- {second.title}" in told.body
    assert "/me/" in told.body
    confirmation = next(m for m in mailoutbox if m is not told and "Confirm your application" not in m.subject)
    assert f'We have received your application for "{second.title}"' in confirmation.body
