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
