"""Staff open and complete services in the admin, through the services that audit them."""

import pytest

from apps.audit.models import AuditEvent
from apps.subjects.models import ErasureJob, ServiceEngagement
from tests.factories import ControllerFactory, EngagementFactory, SubjectFactory
from tests.staff.helpers import confirmed_action

pytestmark = pytest.mark.django_db


def test_staff_add_an_application_received_by_email_as_a_service(admin_client):
    subject = SubjectFactory()
    controller = ControllerFactory()
    response = admin_client.post("/admin/subjects/serviceengagement/add/", {
        "subject": str(subject.pk), "service": "recruitment", "reference": "REQ-77", "controller": str(controller.pk),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    engagement = ServiceEngagement.objects.get(subject=subject)
    assert engagement.reference == "REQ-77" and engagement.is_open
    assert AuditEvent.objects.get(verb="engagement.opened").target == str(subject.pk)


def test_the_add_form_explains_a_missing_person_instead_of_failing(admin_client):
    response = admin_client.post("/admin/subjects/serviceengagement/add/", {"service": "recruitment"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not ServiceEngagement.objects.exists()


def test_editing_the_reference_is_audited_and_the_person_cannot_be_swapped(admin_client):
    engagement = EngagementFactory()
    other = SubjectFactory()
    admin_client.post(f"/admin/subjects/serviceengagement/{engagement.pk}/change/", {
        "reference": "REQ-NEW", "controller": "", "subject": str(other.pk)})
    engagement.refresh_from_db()
    assert engagement.reference == "REQ-NEW" and engagement.subject_id != other.pk
    assert AuditEvent.objects.get(verb="engagement.changed").detail["fields"] == ["reference"]


def test_completing_a_selection_queues_the_erasures_in_batches(admin_client, django_capture_on_commit_callbacks):
    engagements = [EngagementFactory() for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        response = confirmed_action(admin_client, "/admin/subjects/serviceengagement/", {
            "action": "complete_selected", "_selected_action": [str(e.pk) for e in engagements]})
    assert "Completed; 5 erasure(s) queued." in response.content.decode()
    assert ErasureJob.objects.filter(state=ErasureJob.State.DONE).count() == 5
