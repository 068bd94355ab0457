"""Bad requests get one JSON error shape with the right status, and never the values sent."""

import pytest

from tests.api.helpers import Api, candidate_body, make_token, make_vacancy
from tests.factories import ControllerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client) -> Api:
    return Api(client, make_token())


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = api.client.post("/api/v1/candidates", "x" * 2000, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_a_body_that_is_not_json_is_415_and_broken_json_is_400(api):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    response = api.client.post("/api/v1/candidates", "full_name=Achieng", content_type="text/plain", **auth)
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    response = api.client.post("/api/v1/candidates", '{"person": {"email": "achieng@example.org"',
                               content_type="application/json", **auth)
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"
    assert "achieng" not in response.content.decode()


def test_unknown_paths_and_methods_answer_in_the_same_shape(api):
    response = api.get("/no-such-thing")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = api.get("/candidates/not-a-uuid")
    assert response.status_code in (404, 422) and set(response.json()) == {"code", "message", "fields"}
    response = api.client.delete("/api/v1/vacancies", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_invalid_fields_are_422_with_the_field_names_and_without_the_values(api):
    response = api.post("/candidates", {"vacancy": "x-Achieng-Secret-x", "person": {"email": "wanjiru@example.org"}})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    fields = {f["field"] for f in body["fields"]}
    assert {"vacancy", "person.full_name", "consent"} <= fields
    assert "Achieng" not in response.content.decode() and "wanjiru" not in response.content.decode()


def test_json_nested_deeper_than_the_parser_goes_is_malformed_not_a_crash(api):
    response = api.client.post("/api/v1/candidates", "[" * 30000 + "]" * 30000, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


def test_an_unknown_purpose_is_named_by_what_we_accept_not_by_what_was_sent(client, demo_purposes):
    controller = ControllerFactory()
    api = Api(client, make_token(controller))
    body = candidate_body(make_vacancy(controller))
    body["consent"]["purposes"] = ["recruitment", "share-with-employer", "achieng.otieno@example.org"]
    response = api.post("/candidates", body)
    assert response.status_code == 422 and "achieng" not in response.content.decode()
    assert "recruitment" in response.json()["fields"][0]["message"]


def test_a_reference_no_client_could_have_stored_is_not_found_not_a_crash(api):
    response = api.post("/engagements/a%00b/complete")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
