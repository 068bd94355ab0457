import pytest
from django.contrib.auth.models import Permission

from apps.audit.models import AuditEvent
from apps.vault.services import datakey_destroy
from tests.factories import SubjectFactory
from tests.staff.helpers import sign_in_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def recruiter(django_user_model):
    user = django_user_model.objects.create_user("recruiter", password="x" * 16, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_datasubject"))
    return user


def test_a_recruiter_without_the_permission_sees_masked_data_and_cannot_reveal(client, recruiter):
    subject = SubjectFactory(full_name="Halima Abdi")
    sign_in_verified(client, recruiter)
    page = client.get(f"/admin/subjects/datasubject/{subject.pk}/change/").content.decode()
    assert "Halima Abdi" not in page and "Ha•••••••di" in page and "Reveal" not in page
    assert client.post(f"/admin/subjects/datasubject/{subject.pk}/reveal/", {"reason": "x"}).status_code == 403
    assert not AuditEvent.objects.filter(verb="pii.revealed").exists()


def test_with_the_permission_and_a_reason_the_data_is_shown_and_audited(client, recruiter):
    recruiter.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    subject = SubjectFactory(full_name="Halima Abdi")
    sign_in_verified(client, recruiter)
    assert "Reveal" in client.get(f"/admin/subjects/datasubject/{subject.pk}/change/").content.decode()
    refused = client.post(f"/admin/subjects/datasubject/{subject.pk}/reveal/", {"reason": ""})
    assert refused.status_code == 302 and not AuditEvent.objects.filter(verb="pii.revealed").exists()
    response = client.post(f"/admin/subjects/datasubject/{subject.pk}/reveal/",
                           {"reason": "application", "note": "calling about the job"})
    assert "Halima Abdi" in response.content.decode() and "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(verb="pii.revealed")
    assert event.actor_id == str(recruiter.pk) and event.target == str(subject.pk)
    assert "Halima" not in str(event.detail) and "calling" not in str(event.detail)


def test_an_outsider_gets_nothing(client):
    subject = SubjectFactory(full_name="Halima Abdi")
    response = client.get(f"/admin/subjects/datasubject/{subject.pk}/change/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_person_met_mid_erasure_reads_as_erased_not_as_an_error(client, recruiter):
    """An erasure destroys the key before it deletes the rows: a page opened in between shows the person
    as erased (the answer-an-enquiry redirect lands there while the worker erases)."""
    recruiter.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    subject = SubjectFactory(full_name="Halima Abdi")
    datakey_destroy(subject_id=subject.pk)
    sign_in_verified(client, recruiter)
    listing = client.get("/admin/subjects/datasubject/")
    assert listing.status_code == 200 and "erased" in listing.content.decode()
    page = client.get(f"/admin/subjects/datasubject/{subject.pk}/change/")
    assert page.status_code == 200 and "erased" in page.content.decode()
    response = client.post(f"/admin/subjects/datasubject/{subject.pk}/reveal/", {"reason": "application"},
                           follow=True)
    assert "has just been erased" in response.content.decode()
    assert not AuditEvent.objects.filter(verb="pii.revealed").exists()
