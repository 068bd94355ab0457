"""The privacy officer manages client companies and their tokens in the admin: the secret is shown once,
never stored, and revocation is audited. Support staff cannot see tokens."""

import pytest
from django.contrib.auth.models import Group

from apps.api.models import ApiToken
from apps.audit.models import AuditEvent
from apps.subjects.models import Controller
from tests.api.helpers import make_token
from tests.factories import ControllerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(django_user_model, staff_client):
    def make(role: str = "privacy officer"):
        user = django_user_model.objects.create_user(role.replace(" ", "-"), password="x" * 16, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return staff_client(user)
    return make


def test_the_privacy_officer_creates_a_token_and_sees_its_secret_once(officer):
    client = officer()
    controller = ControllerFactory(name="Safari Telecom Ltd")
    response = client.post("/admin/api/apitoken/add/", {
        "controller": controller.pk, "name": "ATS integration", "scopes": ["candidates:write", "vacancies:read"],
        "expires_at_0": "2027-06-01", "expires_at_1": "12:00:00"})
    assert response.status_code == 200, response.content[:2000]
    token = ApiToken.objects.get()
    page = response.content.decode()
    secret = page.split('id="api-token"')[1].split('value="')[1].split('"')[0]
    assert secret.startswith(f"pp_{token.prefix}_") and "no-store" in response["Cache-Control"]
    assert secret not in client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert secret not in client.get("/admin/api/apitoken/").content.decode()
    assert AuditEvent.objects.filter(verb="api_token.created", actor_type="staff").count() == 1
    assert client.get("/api/v1/vacancies", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_the_privacy_officer_revokes_tokens_and_manages_controllers(officer):
    client = officer()
    response = client.post("/admin/subjects/controller/add/", {
        "name": "Kilimo Bank", "country": "KE", "api_tokens-TOTAL_FORMS": "0", "api_tokens-INITIAL_FORMS": "0"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(verb="controller.saved").count() == 1
    secret = make_token(Controller.objects.get(name="Kilimo Bank"))
    token = ApiToken.objects.get()
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [str(token.pk)]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/vacancies", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_support_staff_cannot_see_or_make_tokens(officer):
    client = officer("support")
    assert client.get("/admin/api/apitoken/").status_code == 403
    assert client.get("/admin/api/apitoken/add/").status_code == 403
