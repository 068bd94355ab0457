"""Tokens: only a hash is kept; missing, malformed, wrong, expired, revoked and under-scoped tokens are refused
with the error shape; every call is audited with the client company, endpoint and answer."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.api.models import ApiToken, Scope
from apps.api.services import tokens_revoke
from apps.audit.models import AuditEvent
from tests.api.helpers import OFFICER, Api, make_token, make_vacancy
from tests.factories import ControllerFactory

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["code"] == code
    return body


def test_it_stores_only_a_hash_of_the_token_and_a_public_prefix():
    secret = make_token()
    token = ApiToken.objects.get()
    assert secret.startswith(f"pp_{token.prefix}_") and len(secret.split("_", 2)[2]) == 43  # 256 bits
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get())
    assert secret not in stored and secret.split("_", 2)[2] not in stored
    created = AuditEvent.objects.get(verb="api_token.created")
    assert created.detail["token"] == token.prefix and secret not in str(created.detail)


def test_a_valid_token_lists_only_its_own_vacancies_and_is_marked_used(client):
    mine, theirs = ControllerFactory(), ControllerFactory()
    make_vacancy(mine, "Mine"), make_vacancy(theirs, "Theirs")
    response = Api(client, make_token(mine)).get("/vacancies")
    assert response.status_code == 200
    assert [v["title"] for v in response.json()] == ["Mine"]
    assert ApiToken.objects.get(controller=mine).last_used_at is not None


@pytest.mark.parametrize(("authorization", "code"), [
    (None, "token_missing"),
    ("Bearer not-a-token", "token_malformed"),
    ("Bearer pp_0123456789ab_" + "A" * 43, "token_invalid"),
])
def test_it_refuses_a_missing_malformed_or_unknown_token(client, authorization, code):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/api/v1/vacancies", **headers)
    _error(response, 401, code)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_a_token_with_the_right_prefix_and_a_wrong_secret(client):
    secret = make_token()
    wrong = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    _error(Api(client, wrong).get("/vacancies"), 401, "token_invalid")


def test_it_refuses_an_expired_token(client):
    secret = make_token(days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        _error(Api(client, secret).get("/vacancies"), 401, "token_expired")


def test_a_revoked_token_is_refused_from_its_next_call_and_the_revocation_is_audited(client):
    secret = make_token()
    api = Api(client, secret)
    assert api.get("/vacancies").status_code == 200
    assert tokens_revoke(token_ids=[ApiToken.objects.get().pk], actor=OFFICER) == 1
    _error(api.get("/vacancies"), 401, "token_revoked")
    assert AuditEvent.objects.filter(verb="api_token.revoked").count() == 1


def test_a_token_without_the_scope_is_refused_before_anything_is_looked_up(client):
    controller = ControllerFactory()
    api = Api(client, make_token(controller, scopes=[Scope.CANDIDATES_READ_STATUS]))
    _error(api.get("/vacancies"), 403, "insufficient_scope")


def test_every_call_is_audited_with_the_client_endpoint_and_answer_and_nothing_else(client):
    controller = ControllerFactory()
    secret = make_token(controller)
    Api(client, secret).get("/vacancies")
    Api(client, None).get("/vacancies")
    (ok,) = AuditEvent.objects.filter(verb="api.called")  # the call without a token is counted, not audited
    assert (ok.actor_type, ok.actor_id, ok.target) == ("controller", str(controller.pk), str(controller.pk))
    assert ok.detail == {"endpoint": "GET /api/v1/vacancies", "status": 200, "token": secret.split("_")[1]}


def test_calls_over_the_rate_limit_answer_429_per_token(client, settings):
    settings.API_RATE = "3/m"
    first, second = make_token(), make_token()
    api = Api(client, first)
    assert [api.get("/vacancies").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/vacancies")
    _error(response, 429, "rate_limited")
    assert response["Retry-After"]
    assert Api(client, second).get("/vacancies").status_code == 200  # counted per token


def test_an_address_that_keeps_sending_bad_tokens_is_slowed_down(client, settings):
    settings.API_FAILED_AUTH_RATE = "3/m"
    secret = make_token()
    for _ in range(3):
        assert Api(client, "pp_0123456789ab_" + "B" * 43).get("/vacancies").status_code == 401
    _error(Api(client, "pp_0123456789ab_" + "B" * 43).get("/vacancies"), 429, "rate_limited")
    assert Api(client, secret).get("/vacancies").status_code == 429  # from the same address, for a while


def test_refusals_to_a_locked_out_address_do_not_grow_the_audit_log(client, settings):
    settings.API_FAILED_AUTH_RATE = "2/m"
    bad = Api(client, "pp_0123456789ab_" + "B" * 43)
    statuses = [bad.get("/vacancies").status_code for _ in range(6)]
    assert statuses == [401, 401, 429, 429, 429, 429]
    assert not AuditEvent.objects.filter(verb="api.called").exists()  # counted and logged, not audited
    (locked,) = AuditEvent.objects.filter(verb="api.address_locked")  # the lock itself: once
    assert locked.detail == {"rate": "2/m", "seconds": locked.detail["seconds"]} and locked.target == ""
    assert "127.0.0.1" not in str(locked.detail)


def test_bad_tokens_from_many_addresses_are_counted_and_logged_not_audited(client, caplog):
    events = AuditEvent.objects.count()
    caplog.set_level("WARNING", logger="apps.api.services")
    bad = "pp_0123456789ab_" + "B" * 43
    for n in range(30):  # 30 addresses, each under its own failed sign-in limit
        response = client.get("/api/v1/vacancies", HTTP_AUTHORIZATION=f"Bearer {bad}", REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code == 401
    assert AuditEvent.objects.count() == events  # the append-only log did not grow
    lines = [r.getMessage() for r in caplog.records if "without a valid token" in r.getMessage()]
    assert len(lines) <= 2  # once a minute at most (the 30 calls may straddle a minute's end)
    assert not any(bad in line or "198.51.100" in line for line in caplog.text.splitlines())
