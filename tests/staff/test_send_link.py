"""Support send a person who lost their private link a fresh one, to the address on file only."""

import pytest
from django.contrib.auth.models import Group

from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(django_user_model, staff_client):
    user = django_user_model.objects.create_user("support", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user, staff_client(user)


def test_support_sends_a_fresh_link_to_the_address_on_file(support, django_capture_on_commit_callbacks, mailoutbox):
    user, client = support
    subject = SubjectFactory(email="imani@example.org")
    page = client.get(f"/admin/subjects/datasubject/{subject.pk}/change/").content.decode()
    assert "Send a fresh private link" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/people/{subject.pk}/send-link/", follow=True)
    assert "on its way" in response.content.decode()
    notification = Notification.objects.get(subject=subject, template="new_link")
    assert notification.recipient == "imani@example.org"
    assert [m.to for m in mailoutbox] == [["imani@example.org"]] and "/me/" in mailoutbox[0].body
    event = AuditEvent.objects.get(verb="link.sent_by_staff")
    assert event.actor_id == str(user.pk) and event.target == str(subject.pk)


def test_a_staff_member_without_the_role_cannot_send_links(django_user_model, staff_client):
    subject = SubjectFactory()
    outsider = staff_client(django_user_model.objects.create_user("temp", password="x" * 16, is_staff=True))
    assert outsider.post(f"/admin/people/{subject.pk}/send-link/").status_code == 403
    assert not Notification.objects.filter(template="new_link").exists()


def test_nobody_signed_out_can_send_links(client):
    subject = SubjectFactory()
    assert client.post(f"/admin/people/{subject.pk}/send-link/").status_code == 302
    assert not Notification.objects.filter(template="new_link").exists()
