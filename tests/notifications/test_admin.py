import pytest
from django.urls import reverse

from tests.factories import SubjectFactory
from tests.notifications.fakes import queue_without_sending

pytestmark = pytest.mark.django_db

ADDRESS = "nyambura@example.org"
LINK = "https://portal.example.org/me/admin-secret/"


@pytest.fixture
def notification():
    return queue_without_sending(subject=SubjectFactory(), channel="email", template="new_link",
                                 recipient=ADDRESS, context={"link": LINK})


def test_staff_see_the_delivery_record_but_never_the_address_or_content(admin_client, notification):
    listing = admin_client.get(reverse("admin:notifications_notification_changelist"))
    detail = admin_client.get(reverse("admin:notifications_notification_change", args=[notification.pk]))
    for response in (listing, detail):
        assert response.status_code == 200
        body = response.content.decode()
        assert "new_link" in body and "Pending" in body
        assert ADDRESS not in body and "admin-secret" not in body
    assert 'name="recipient"' not in detail.content.decode()


def test_notifications_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, notification):
    assert admin_client.get(reverse("admin:notifications_notification_add")).status_code == 403
    change_url = reverse("admin:notifications_notification_change", args=[notification.pk])
    admin_client.post(change_url, {"status": "sent", "template": "confirmation"})
    notification.refresh_from_db()
    assert notification.status == "pending" and notification.template == "new_link"
    delete_url = reverse("admin:notifications_notification_delete", args=[notification.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
