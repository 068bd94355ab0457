"""The controller API through the real parts: gunicorn, PostgreSQL, Redis, a Celery worker process and an
SMTP server. A client company hands over a candidate, the person is told from whom we got their data, the
client completes the service and polls the erasure until the signed certificate; the data is gone."""

import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from apps.audit.services import Actor
from apps.subjects import services as subject_services
from apps.subjects.models import DataSubject, IdentityDocument, PersonalRecord
from apps.vault.models import DataKey
from apps.vault.proofs import proof_verify
from tests.api.helpers import candidate_body, make_token, make_vacancy
from tests.conftest import wait_for
from tests.factories import PDF_BYTES, ControllerFactory

pytestmark = pytest.mark.real_services


def test_hand_over_email_complete_and_certificate_through_the_real_parts(web_server, celery_worker, mailbox,
                                                                        demo_purposes):
    controller = ControllerFactory(name="Safari Telecom Ltd")
    vacancy = make_vacancy(controller)
    base = f"http://127.0.0.1:{web_server.port}/api/v1"
    auth = {"Authorization": f"Bearer {make_token(controller)}"}

    response = requests.post(f"{base}/candidates", json=candidate_body(vacancy, n=41), headers=auth, timeout=30)
    assert response.status_code == 201, response.text
    public_id, engagement_id = response.json()["public_id"], response.json()["engagement"]["id"]

    email = wait_for(lambda: next((m for m in mailbox if "achieng41@example.org" in m["X-Envelope-To"]), None),
                     timeout=30)
    text = next(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                for part in email.walk() if part.get_content_type() == "text/plain")
    assert "Safari Telecom Ltd gave us your personal and professional details" in text
    assert "/me/" in text  # the private link to see, correct, export or delete

    subject = DataSubject.objects.get(pk=public_id)
    document = subject_services.document_add(subject=subject, actor=Actor.subject(subject), data=PDF_BYTES)
    stored = Path(settings.MEDIA_ROOT) / document.stored_name
    assert stored.exists()

    response = requests.post(f"{base}/engagements/{engagement_id}/complete", headers=auth, timeout=30)
    assert response.status_code == 202, response.text
    (job_id,) = response.json()["erasure_jobs"]

    deadline, erasure = time.monotonic() + 30, {}
    while time.monotonic() < deadline and not erasure.get("certificate"):
        erasure = requests.get(f"{base}/erasures/{job_id}", headers=auth, timeout=30).json()
        time.sleep(0.2)
    assert erasure["state"] == "done" and erasure["certificate"], erasure
    assert proof_verify(erasure["certificate"]["signed"])["subject_id"] == public_id

    assert not PersonalRecord.objects.filter(subject_id=public_id).exists()
    assert not IdentityDocument.objects.filter(subject_id=public_id).exists()
    assert not DataKey.objects.filter(subject_id=public_id).exists()
    assert not stored.exists()
    status = requests.get(f"{base}/candidates/{public_id}", headers=auth, timeout=30).json()
    assert status["status"] == "erased"


def _answers(base: str, auth: dict, public_id: str, job_id: str | None = None) -> dict:
    """Everything a client company can read about its candidate, field by field."""
    answers = {"status": requests.get(f"{base}/candidates/{public_id}", headers=auth, timeout=30).json(),
               "vacancies": requests.get(f"{base}/vacancies", headers=auth, timeout=30).json()}
    if job_id:
        answers["erasure"] = requests.get(f"{base}/erasures/{job_id}", headers=auth, timeout=30).json()
    return answers


def test_two_client_companies_with_one_email_see_nothing_of_each_other_through_the_real_parts(
        web_server, celery_worker, mailbox, demo_purposes):
    base = f"http://127.0.0.1:{web_server.port}/api/v1"
    a, b = ControllerFactory(name="Safari Telecom Ltd"), ControllerFactory(name="Jamii Bank")
    auth_a, auth_b = ({"Authorization": f"Bearer {make_token(c)}"} for c in (a, b))
    first = requests.post(f"{base}/candidates", json=candidate_body(make_vacancy(a), n=51), headers=auth_a,
                          timeout=30).json()
    before = _answers(base, auth_a, first["public_id"])
    # B hands over the same person (the same email) and then ends its service.
    second = requests.post(f"{base}/candidates", json=candidate_body(make_vacancy(b, "Teller"), n=51), headers=auth_b,
                           timeout=30).json()
    assert second["public_id"] != first["public_id"]
    assert requests.get(f"{base}/candidates/{first['public_id']}", headers=auth_b, timeout=30).status_code == 404
    (job_b,) = requests.post(f"{base}/engagements/{second['engagement']['id']}/complete", headers=auth_b,
                             timeout=30).json()["erasure_jobs"]
    wait_for(lambda: requests.get(f"{base}/erasures/{job_b}", headers=auth_b, timeout=30).json().get("certificate"),
             timeout=30)
    assert requests.get(f"{base}/erasures/{job_b}", headers=auth_a, timeout=30).status_code == 404
    # A's answers did not change in any field; A's person and its private link are untouched.
    assert _answers(base, auth_a, first["public_id"]) == before
    assert PersonalRecord.objects.filter(subject_id=first["public_id"]).exists()
    # The person was told by each company separately, each naming itself only.
    def confirmations() -> list | None:
        found = [m for m in mailbox
                 if "achieng51@example.org" in m["X-Envelope-To"] and "holds about you" in m["Subject"]]
        return found if len(found) == 2 else None

    told = wait_for(confirmations, timeout=30)
    bodies = [next(p.get_payload(decode=True).decode() for p in m.walk() if p.get_content_type() == "text/plain")
              for m in told]
    assert sorted(("Safari Telecom Ltd" in t, "Jamii Bank" in t) for t in bodies) == [(False, True), (True, False)]
