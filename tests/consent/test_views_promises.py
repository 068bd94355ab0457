"""The public forms: one address cannot flood them."""

import uuid

import pytest
from django.core.cache import cache

from apps.notifications.models import Notification
from apps.recruitment.models import PendingSubmission
from apps.subjects.models import DataSubject
from tests.consent.helpers import application_post, send_form

# Jobs are queued on commit, so these tests commit (as a real request does).
pytestmark = pytest.mark.django_db(transaction=True)


def contact_post(n: int) -> dict:
    return {"key": str(uuid.uuid4()), "full_name": "Baraka Otieno", "email": f"baraka{n}@example.org", "mobile": "",
            "message": "Do you hire drivers?", "consent_enquiry-response": "on"}


def application(n: int) -> dict:
    return application_post(email=f"amani{n}@example.org")


@pytest.mark.parametrize(("path", "valid_post"), [("/apply/", application), ("/contact/", contact_post)])
def test_the_21st_form_from_one_address_within_the_hour_is_refused_and_stores_no_one(client, demo_purposes, settings,
                                                                                     path, valid_post):
    settings.RATELIMIT_ENABLE = True  # demo_purposes turns limits off for the other form tests
    cache.clear()
    ip = "198.51.100.21"
    statuses = [client.post(path, valid_post(n), REMOTE_ADDR=ip).status_code for n in range(20)]
    assert statuses == [302] * 20
    assert PendingSubmission.objects.count() == 20  # held for their codes

    refused = client.post(path, valid_post(20), REMOTE_ADDR=ip)
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    assert PendingSubmission.objects.count() == 20 and Notification.objects.count() == 20
    # another visitor is still served
    assert client.post(path, valid_post(21), REMOTE_ADDR="198.51.100.22").status_code == 302
    assert PendingSubmission.objects.count() == 21


def test_a_contact_form_without_its_required_consent_is_refused_and_stores_no_one(client, demo_purposes):
    data = contact_post(1)
    del data["consent_enquiry-response"]
    response = send_form(client, "/contact/", data)
    assert response.status_code == 400
    assert "We cannot process this form without this consent" in response.content.decode()
    assert DataSubject.objects.count() == 0
