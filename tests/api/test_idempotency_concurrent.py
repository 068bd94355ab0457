"""Two requests at once with one Idempotency-Key (PostgreSQL, each on its own connection): one person."""

import threading

import pytest
from django.db import connections
from django.test import Client

from apps.api.models import IdempotencyKey
from apps.consent.models import ConsentRecord
from apps.subjects.models import DataSubject, ServiceEngagement
from tests.api.helpers import candidate_body, make_token, make_vacancy
from tests.factories import ControllerFactory


@pytest.mark.real_services
@pytest.mark.postgresql_only  # concurrent transactions
def test_two_requests_at_once_with_the_same_key_create_one_person(transactional_db, demo_purposes):
    controller = ControllerFactory()
    token, body = make_token(controller), candidate_body(make_vacancy(controller))
    barrier, answers = threading.Barrier(4), []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            response = Client().post("/api/v1/candidates", body, content_type="application/json",
                                     HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY="same-key")
            answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in answers] == [201] * 4, answers
    assert all(answer == answers[0][1] for _, answer in answers)
    assert DataSubject.objects.count() == 1 and ServiceEngagement.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    assert ConsentRecord.objects.count() == 2  # the two purposes, once
