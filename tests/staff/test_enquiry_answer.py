"""A recruiter reads an enquiry through a reveal and answers it by email to the address on file."""

import pytest
from django.contrib.auth.models import Group

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.notifications.models import Notification
from apps.subjects import services
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enquiry():
    subject = SubjectFactory(email="jabali@example.org")
    services.engagement_open(subject=subject, actor=Actor.system("test"), service="enquiry")
    return services.enquiry_add(subject=subject, actor=Actor.system("test"), message="Do you hire in Mombasa?")


def _member(role, django_user_model, staff_client):
    user = django_user_model.objects.create_user(role.replace(" ", "-"), password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user, staff_client(user)


def test_a_recruiter_answers_an_enquiry_by_email(enquiry, django_user_model, staff_client, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    user, client = _member("recruiter", django_user_model, staff_client)
    revealed = client.post(f"/admin/subjects/enquiry/{enquiry.pk}/reveal/", {"reason": "enquiry"}).content.decode()
    assert "Do you hire in Mombasa?" in revealed and "Send the answer" in revealed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/enquiries/{enquiry.pk}/answer/",
                               {"body": "Yes: see our vacancies <b>page</b>."}, follow=True)
    assert "Your answer is on its way" in response.content.decode()
    assert [m.to for m in mailoutbox] == [["jabali@example.org"]]
    message = mailoutbox[0]
    assert "Yes: see our vacancies <b>page</b>." in message.body
    html = message.alternatives[0][0] if message.alternatives else ""
    assert "&lt;b&gt;page&lt;/b&gt;" in html and "<b>page</b>" not in html
    event = AuditEvent.objects.get(verb="enquiry.answered")
    assert event.actor_id == str(user.pk) and "vacancies" not in str(event.detail)
    assert Notification.objects.get(template="enquiry_reply").subject_id == enquiry.subject_id


def test_support_cannot_answer_enquiries(enquiry, django_user_model, staff_client):
    _user, client = _member("support", django_user_model, staff_client)
    assert client.post(f"/admin/enquiries/{enquiry.pk}/answer/", {"body": "Hello"}).status_code == 403
    assert not Notification.objects.filter(template="enquiry_reply").exists()


def test_an_outsider_is_sent_to_sign_in(enquiry, client):
    assert client.post(f"/admin/enquiries/{enquiry.pk}/answer/", {"body": "Hello"}).status_code == 302
    assert not Notification.objects.filter(template="enquiry_reply").exists()
