"""Client companies, tokens and calls for the API tests."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from apps.api.models import Scope
from apps.api.services import token_create
from apps.audit.services import Actor
from apps.subjects.models import Controller, Vacancy
from tests.factories import ControllerFactory

ALL_SCOPES = list(Scope.values)
OFFICER = Actor.system("test-privacy-officer")


def make_token(controller: Controller | None = None, scopes: list[str] | None = None, days: int = 30) -> str:
    controller = controller or ControllerFactory()
    _token, secret = token_create(controller=controller, name="test", scopes=scopes or ALL_SCOPES,
                                  expires_at=timezone.now() + timedelta(days=days), actor=OFFICER)
    return secret


def make_vacancy(controller: Controller, title: str = "Call-centre agent", **kwargs) -> Vacancy:
    return Vacancy.objects.create(controller=controller, title=title, description="Answering calls.",
                                  location="Nairobi", closing_date=timezone.localdate() + timedelta(days=30), **kwargs)


class Api:
    """Calls /api/v1/ with a token, the way a client company's system does."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client, self.token = client, token

    def _headers(self, extra: dict) -> dict:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in extra.items()}}

    def get(self, path: str, **headers):
        return self.client.get(f"/api/v1{path}", **self._headers(headers))

    def post(self, path: str, body: dict | None = None, **headers):
        if body is None:
            return self.client.post(f"/api/v1{path}", "", content_type="application/json", **self._headers(headers))
        return self.client.post(f"/api/v1{path}", body, content_type="application/json", **self._headers(headers))


def candidate_body(vacancy: Vacancy, n: int = 1, **overrides) -> dict:
    body = {
        "vacancy": str(vacancy.pk), "reference": f"ATS-{n:05d}", "language": "en",
        "person": {"full_name": "Achieng Otieno", "date_of_birth": "1997-06-12", "email": f"achieng{n}@example.org",
                   "mobile": "+254712000001",
                   "address": "P.O. Box 1, Kisumu", "legal_id_type": "national-id",
                   "legal_id_number": f"{30000000 + n}",
                   "referees": [{"name": "Wanjiru Kamau", "phone": "+254712000002", "relationship": "Manager"},
                                {"name": "Otieno Omondi", "phone": "+254712000003", "relationship": "Lecturer"}]},
        "consent": {"purposes": ["recruitment", "share-with-employer"],
                    "obtained_at": (timezone.now() - timedelta(days=1)).isoformat(),
                    "obtained_how": "web-form", "reference": "consent-form-v3"},
    }
    body.update(overrides)
    return body
