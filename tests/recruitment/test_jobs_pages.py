"""Visitors find the open jobs on the home page and /jobs/, read one, and apply to it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import translation
from django.utils.html import escape

from apps.audit.services import Actor
from apps.consent.models import Submission
from apps.subjects.links import link_token
from apps.subjects.models import DataSubject, IdentityDocument, ServiceEngagement, Vacancy
from apps.subjects.services import vacancy_close
from tests.consent.helpers import application_post, send_form
from tests.factories import PNG_BYTES, VacancyFactory

pytestmark = pytest.mark.django_db
CV = b"%PDF-1.7\n% my cv\n" + b"stores clerk " * 40


def test_the_home_page_lists_the_open_jobs_with_a_way_to_apply(demo_purposes, client):
    open_job = VacancyFactory()
    closed = VacancyFactory(status=Vacancy.Status.CLOSED)
    page = client.get("/").content.decode()
    assert open_job.title in page and closed.title not in page
    assert f'href="/apply/?vacancy={open_job.pk}"' in page
    assert f'href="/jobs/{open_job.pk}/"' in page


def test_the_jobs_page_shows_each_job_in_the_visitors_language(demo_purposes, client):
    job = VacancyFactory()
    assert job.title_en in client.get("/jobs/").content.decode()
    with translation.override("sw"):
        page = client.get("/jobs/", headers={"accept-language": "sw"}).content.decode()
    assert job.title_sw in page


def test_a_job_page_has_its_details_and_an_apply_button(demo_purposes, client):
    job = VacancyFactory()
    response = client.get(f"/jobs/{job.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert escape(job.description) in page and job.location in page and job.controller.name in page
    assert f'href="/apply/?vacancy={job.pk}"' in page


def test_a_closed_job_says_so_and_offers_no_apply_button(demo_purposes, client):
    job = VacancyFactory(status=Vacancy.Status.CLOSED)
    response = client.get(f"/jobs/{job.pk}/")
    assert response.status_code == 410
    assert "Applications for this job are closed." in response.content.decode()
    assert "/apply/?vacancy=" not in response.content.decode()
    assert client.get("/jobs/00000000-0000-4000-8000-000000000000/").status_code == 404


def test_the_form_names_the_job_it_was_opened_for(demo_purposes, client):
    job = VacancyFactory()
    page = client.get(f"/apply/?vacancy={job.pk}").content.decode()
    assert "You are applying for: <strong>" + job.title in page
    assert f'name="vacancy" value="{job.pk}"' in page


@pytest.mark.parametrize("given", ["closed", "00000000-0000-4000-8000-000000000000", "not-a-uuid"])
def test_the_form_for_a_closed_or_unknown_job_says_it_is_no_longer_open(demo_purposes, client, given):
    if given == "closed":
        given = str(VacancyFactory(status=Vacancy.Status.CLOSED).pk)
    response = client.get(f"/apply/?vacancy={given}")
    assert response.status_code == 410
    assert "This job is no longer open" in response.content.decode()


def test_an_application_for_a_closed_job_is_refused_with_a_message_and_nothing_stored(demo_purposes, client):
    job = VacancyFactory()
    Vacancy.objects.filter(pk=job.pk).update(status=Vacancy.Status.CLOSED)  # closed while the form was open
    response = send_form(client, "/apply/", application_post(vacancy=str(job.pk)))
    assert response.status_code == 400
    assert "This job is closed or does not exist." in response.content.decode()
    assert not DataSubject.objects.exists() and not Submission.objects.exists()


def test_an_application_without_a_job_asks_for_one(demo_purposes, client):
    response = send_form(client, "/apply/", application_post(vacancy=None))
    assert response.status_code == 400
    assert "Choose the job you are applying for." in response.content.decode()
    assert not DataSubject.objects.exists()


def test_a_cv_that_is_not_a_pdf_is_refused_with_a_message(demo_purposes, client):
    cv = SimpleUploadedFile("cv.pdf", PNG_BYTES, content_type="application/pdf")  # the name lies
    response = send_form(client, "/apply/", application_post(cv=cv))
    assert response.status_code == 400
    assert "This file is not a PDF." in response.content.decode()
    assert not DataSubject.objects.exists()


def test_an_application_with_a_cv_is_stored_and_the_done_page_says_what_happens_next(demo_purposes, client):
    job = VacancyFactory()
    response = send_form(client, "/apply/", application_post(
        vacancy=str(job.pk), experience="Six years in logistics.",
        cv=SimpleUploadedFile("cv.pdf", CV, content_type="application/pdf")), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert job.title in page and job.controller.name in page
    assert "What happens next" in page
    assert "When the recruitment for this job ends, we delete your data" in page
    assert "An email and an SMS with your private link are on their way." in page
    engagement = ServiceEngagement.objects.get(vacancy=job)
    assert IdentityDocument.objects.filter(subject=engagement.subject, kind="cv").count() == 1


def test_the_self_service_page_names_each_job_applied_for_and_its_state(demo_purposes, client,
                                                                       django_capture_on_commit_callbacks):
    first, second = VacancyFactory(), VacancyFactory()
    send_form(client, "/apply/", application_post(vacancy=str(first.pk)))
    send_form(client, "/apply/", application_post(vacancy=str(second.pk)))  # the same address proved again
    subject = DataSubject.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        vacancy_close(vacancy=first, actor=Actor.system("test"))  # the person stays: another one is open
    page = client.get(f"/me/{link_token(subject)}/").content.decode()
    section = page[page.index('id="applications"'):]
    assert escape(first.title) in section and escape(second.title) in section
    assert section.index(escape(second.title)) < section.index("in progress") < section.index(escape(first.title))
    assert "ended" in section[section.index(escape(first.title)):]


def test_with_no_job_open_the_form_says_so_instead_of_asking(demo_purposes, client):
    Vacancy.objects.update(status=Vacancy.Status.CLOSED)
    response = client.get("/apply/")
    assert "No jobs are open right now" in response.content.decode()
    assert "Send my application" not in response.content.decode()
    assert "No jobs are open right now. Please come back later." in client.get("/").content.decode()


def test_the_home_page_still_explains_itself_when_the_jobs_cannot_be_read(db, client, monkeypatch):
    def broken():
        raise OperationalError("the database went away")

    monkeypatch.setattr("apps.recruitment.views.vacancies_open", broken)
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "We cannot show the list of jobs just now." in page and "What we do with your personal data" in page
