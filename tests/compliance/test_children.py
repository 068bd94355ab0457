"""Children (Data Protection Act 2019, s.33): the application asks the date of birth and refuses anyone under
MINIMUM_APPLICANT_AGE (18) in plain words, keeping nothing of the form (no form held for a code, no kept upload,
no message); the API refuses a minor candidate with `candidate_minor`."""

import uuid
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from apps.recruitment.forms import age_on
from apps.recruitment.models import PendingSubmission, UploadKept
from apps.subjects.models import DataSubject
from apps.vault.models import DataKey
from tests.api.helpers import Api, candidate_body, make_token, make_vacancy
from tests.consent.helpers import application_post, fill_application
from tests.factories import PDF_BYTES, ControllerFactory, VacancyFactory


def _born_years_ago(years: int, *, days_later: int = 0) -> date:
    """Born exactly `years` ago today in Nairobi (1 March for a 29 February), then `days_later` days later."""
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = date(today.year - years, 3, 1)
    return born + timedelta(days=days_later)


def _nothing_kept() -> None:
    assert not PendingSubmission.objects.exists() and not UploadKept.objects.exists()
    assert not DataSubject.objects.exists() and not Notification.objects.exists() and not DataKey.objects.exists()


def test_age_counts_completed_years():
    assert age_on(date(2008, 3, 1), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 3, 1), date(2026, 3, 1)) == 18
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17  # a leap-day birthday counts from 1 March


@pytest.mark.django_db
def test_a_child_is_refused_in_plain_words_and_nothing_is_kept_not_even_an_earlier_tries_files(client,
                                                                                               demo_purposes):
    key = str(uuid.uuid4())
    # A first try with a mistake elsewhere keeps the accepted scan for the form (as for anyone).
    first = client.post("/apply/", application_post(key=key, mobile="12"))
    assert first.status_code == 400 and UploadKept.objects.count() == 1
    child = _born_years_ago(17).strftime("%d/%m/%Y")
    response = client.post("/apply/", application_post(
        key=key, kept="1", date_of_birth=child, id_document=None,
        cv=SimpleUploadedFile("cv.pdf", b"%PDF-1.7\n" + b"cv " * 50, content_type="application/pdf")))
    page = response.content.decode()
    assert response.status_code == 403
    assert "You are too young to apply" in page and "aged 18 or older" in page and "Nothing you typed" in page
    assert "Amani" not in page  # nothing typed is shown back either
    _nothing_kept()


@pytest.mark.django_db
def test_the_age_is_a_setting_and_an_adult_today_is_held_for_the_code(client, demo_purposes, settings):
    settings.MINIMUM_APPLICANT_AGE = 21
    nineteen = _born_years_ago(19).strftime("%d/%m/%Y")
    response = client.post("/apply/", application_post(date_of_birth=nineteen))
    assert response.status_code == 403 and "aged 21 or older" in response.content.decode()
    assert not PendingSubmission.objects.exists()
    settings.MINIMUM_APPLICANT_AGE = 18
    response = client.post("/apply/", application_post(date_of_birth=_born_years_ago(18).strftime("%d/%m/%Y")))
    assert response.status_code == 302 and PendingSubmission.objects.count() == 1


@pytest.mark.django_db
def test_a_date_in_the_future_or_unreadable_is_a_field_error_not_a_refusal(client, demo_purposes):
    for typed in ("31/12/2999", "yesterday", ""):
        page = client.post("/apply/", application_post(date_of_birth=typed)).content.decode()
        assert "Enter your date of birth" in page and "too young" not in page
    assert not PendingSubmission.objects.exists()


@pytest.mark.django_db
def test_the_refusal_speaks_swahili(client, demo_purposes):
    client.cookies["django_language"] = "sw"
    page = client.post("/apply/", application_post(date_of_birth=_born_years_ago(16).strftime("%d/%m/%Y")),
                       HTTP_ACCEPT_LANGUAGE="sw").content.decode()
    assert "Bado hujafikia umri wa kutuma ombi" in page and "miaka 18 au zaidi" in page


@pytest.mark.django_db
def test_the_api_refuses_a_minor_candidate_and_stores_nothing(client, demo_purposes):
    controller = ControllerFactory(name="Safari Telecom Ltd")
    vacancy, api = make_vacancy(controller), Api(client, make_token(controller))
    body = candidate_body(vacancy)
    body["person"]["date_of_birth"] = _born_years_ago(17).isoformat()
    response = api.post("/candidates", body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "candidate_minor" and "take no application from a child" in answer["message"]
    assert answer["fields"] == [{"field": "person.date_of_birth", "message": "You must be 18 or older to apply."}]
    assert not DataSubject.objects.exists() and not Notification.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="consent").exists()

    body["person"].pop("date_of_birth")
    response = api.post("/candidates", body)
    assert response.status_code == 422 and "person.date_of_birth" in response.content.decode()
    body["person"]["date_of_birth"] = _born_years_ago(30).isoformat()
    assert api.post("/candidates", body).status_code == 201


def test_the_schema_requires_the_date_of_birth_and_names_the_refusal(client):
    schema = client.get("/api/v1/openapi.json").json()
    person = schema["components"]["schemas"]["PersonIn"]
    assert "date_of_birth" in person["required"] and person["properties"]["date_of_birth"]["format"] == "date"
    assert "candidate_minor" in person["properties"]["date_of_birth"]["description"]


@pytest.mark.real_services
def test_a_child_applying_in_the_browser_is_told_plainly_and_nothing_is_kept(page, live_server, celery_worker,
                                                                            demo_purposes, tmp_path):
    scan = tmp_path / "id-scan.pdf"
    scan.write_bytes(PDF_BYTES)
    vacancy = VacancyFactory()
    page.goto(f"/apply/?vacancy={vacancy.pk}")
    expect(page.locator("section.notice")).to_contain_text("We also ask your date of birth, only to check that you "
                                                           "are 18 or older: we do not keep it.")
    fill_application(page, scan=scan, email="young.applicant@example.org")
    # 18 tomorrow: still a child today.
    page.get_by_label("Date of birth").fill(_born_years_ago(18, days_later=1).strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", name="You are too young to apply")).to_be_visible()
    expect(page.get_by_text("We take job applications only from people aged 18 or older. Nothing you typed or "
                            "attached was kept.")).to_be_visible()
    _nothing_kept()
