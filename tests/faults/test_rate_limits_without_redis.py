"""The rate-limit counters live in Redis; with Redis unreachable each process counts on its own
(apps/core/cache.py): the forms keep answering, and a limit still holds."""

import logging

import pytest

from apps.recruitment.models import PendingSubmission
from tests.consent.helpers import application_post

from .harness import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_unreachable(settings) -> None:
    settings.CACHES = {"default": {
        "BACKEND": "apps.core.cache.RedisCacheWithLocalFallback",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }}


def test_with_the_counter_store_down_forms_still_work_and_the_limit_holds_per_process(
        client, demo_purposes, settings, redis_unreachable, caplog):
    settings.RATELIMIT_ENABLE = True
    caplog.set_level(logging.WARNING, logger="apps.core.cache")
    statuses = [client.post("/apply/", application_post(email=f"a{i}@example.org")).status_code for i in range(25)]
    assert 500 not in statuses
    assert statuses[:20] == [302] * 20  # FORM_POST_RATE's default, 20/h, counted in this process
    assert statuses[20:] == [429] * 5
    assert PendingSubmission.objects.count() == 20
    warnings = [r.getMessage() for r in caplog.records if r.name == "apps.core.cache"]
    assert len(warnings) == 1 and "counting in this process" in warnings[0]  # once per outage, not per request
