"""Staff manage the catalogue and export the consent log for an auditor."""

import csv
import io
import uuid
from datetime import UTC

import pytest
from django.urls import reverse

from apps.cookies.models import CookieConsent
from tests.staff.helpers import sign_in_verified

from .factories import CookieConsentFactory

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_staff_export_the_selected_consent_log_entries_as_csv(admin_client):
    visitor = uuid.uuid4()
    chosen = CookieConsentFactory(
        visitor_id=visitor, action=CookieConsent.Action.CUSTOM, gpc=True, gpc_decided=True, ip_hash="ab" * 32,
        choices={"necessary": True, "analytics": True, "marketing": False},
    )
    CookieConsentFactory()  # not selected
    response = admin_client.post(
        reverse("admin:cookies_cookieconsent_changelist"),
        {"action": "export_csv", "_selected_action": [chosen.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cookie-consent-log-')
    header, *rows = _csv(response)
    assert header[:4] == ["saved at (UTC)", "visitor id", "action", "allowed"]
    assert rows == [[
        chosen.created_at.astimezone(UTC).isoformat(timespec="seconds"),
        str(visitor), "custom", "analytics necessary", "marketing", "0123456789abcdef", "yes", "yes", "ab" * 32,
    ]]


def test_the_export_lists_oldest_first_without_a_query_per_row(admin_client, django_assert_max_num_queries):
    entries = CookieConsentFactory.create_batch(30)
    with django_assert_max_num_queries(12):
        response = admin_client.post(
            reverse("admin:cookies_cookieconsent_changelist"),
            {"action": "export_csv", "_selected_action": [e.pk for e in entries]},
        )
        rows = _csv(response)[1:]
    assert len(rows) == 30
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_the_consent_log_cannot_be_edited_or_deleted_in_the_admin(admin_client):
    entry = CookieConsentFactory()
    assert admin_client.get(reverse("admin:cookies_cookieconsent_add")).status_code == 403
    assert admin_client.get(reverse("admin:cookies_cookieconsent_delete", args=[entry.pk])).status_code == 403
    page = admin_client.get(reverse("admin:cookies_cookieconsent_change", args=[entry.pk]))
    assert page.status_code == 200 and 'type="submit" value="Save"' not in page.content.decode()


def test_a_staff_member_without_view_permission_cannot_export(client, django_user_model):
    staff = django_user_model.objects.create_user("clerk", password="a-long-password-123", is_staff=True)
    sign_in_verified(client, staff)
    entry = CookieConsentFactory()
    response = client.post(reverse("admin:cookies_cookieconsent_changelist"),
                           {"action": "export_csv", "_selected_action": [entry.pk]})
    assert response.status_code == 403


def test_staff_can_edit_the_catalogue_but_not_delete_the_necessary_category(admin_client, catalogue):
    assert admin_client.get(reverse("admin:cookies_cookiecategory_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:cookies_cookiedeclaration_changelist")).status_code == 200
    necessary = catalogue["necessary"]
    assert admin_client.get(reverse("admin:cookies_cookiecategory_delete", args=[necessary.pk])).status_code == 403
    change = admin_client.get(reverse("admin:cookies_cookiecategory_change", args=[catalogue["analytics"].pk]))
    assert change.status_code == 200


def test_staff_find_every_choice_of_one_visitor_by_their_id(admin_client):
    visitor = uuid.uuid4()
    CookieConsentFactory.create_batch(2, visitor_id=visitor)
    CookieConsentFactory()
    url = reverse("admin:cookies_cookieconsent_changelist")
    response = admin_client.get(url, {"q": str(visitor)})
    assert response.status_code == 200 and response.context["cl"].result_count == 2
    assert admin_client.get(url, {"q": "not-a-visitor-id"}).status_code == 200
