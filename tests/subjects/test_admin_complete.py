"""Flow 3: a recruiter marks the engagement complete in the admin; the worker erases the person."""

import pytest

from apps.subjects.links import link_token
from apps.subjects.models import DataSubject, PersonalRecord
from apps.vault.models import DataKey, DeletionCertificate
from tests.conftest import wait_for
from tests.factories import EngagementFactory
from tests.staff.helpers import confirmed_action


def _complete_in_admin(admin_client, engagement) -> None:
    response = confirmed_action(admin_client, "/admin/subjects/serviceengagement/", {
        "action": "complete_selected", "_selected_action": [str(engagement.pk)]})
    assert "Completed; 1 erasure(s) queued." in response.content.decode()


@pytest.mark.real_services
def test_completing_in_the_admin_erases_within_seconds_and_the_link_says_deleted(celery_worker, admin_client, client):
    engagement = EngagementFactory()
    subject = engagement.subject
    token = link_token(subject)
    assert client.get(f"/me/{token}/").status_code == 200
    _complete_in_admin(admin_client, engagement)
    wait_for(lambda: DeletionCertificate.objects.filter(subject_id=subject.pk).exists(), timeout=15)
    assert not DataKey.objects.filter(subject_id=subject.pk).exists()
    assert not PersonalRecord.objects.filter(subject=subject).exists()
    response = client.get(f"/me/{token}/")
    assert response.status_code == 410 and "has been deleted" in response.content.decode()


@pytest.mark.django_db
def test_staff_see_masked_data_and_cannot_delete_people_in_the_admin(admin_client):
    subject = EngagementFactory().subject
    page = admin_client.get(f"/admin/subjects/datasubject/{subject.pk}/change/").content.decode()
    record = PersonalRecord.objects.get(subject=subject)
    assert record.full_name not in page and record.email not in page
    assert admin_client.get(f"/admin/subjects/datasubject/{subject.pk}/delete/").status_code == 403
    assert DataSubject.objects.filter(pk=subject.pk).exists()
