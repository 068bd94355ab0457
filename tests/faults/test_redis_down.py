"""Redis (broker, result store, rate-limit counters) down while visitors send forms, then
restarted empty: nobody is told to try again for a form that was stored, nobody is stored or
emailed twice, and the health check answers at once."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from apps.recruitment.models import PendingSubmission
from apps.subjects.models import DataSubject
from tests.conftest import wait_for

from .harness import Visitor, accepted

pytestmark = pytest.mark.real_services

CLIENTS, FORMS = 4, 24


def _recipients(mailbox) -> Counter:
    return Counter(m["X-Envelope-To"] for m in mailbox)


def test_with_redis_down_every_form_is_answered_stored_once_and_emailed_once_after_it_is_back(fault_stack, mailbox):
    site = fault_stack.site
    visitors = [Visitor(site.url) for _ in range(CLIENTS)]
    forms = [visitors[i % CLIENTS].form("/apply/") for i in range(FORMS)]  # fetched before the outage
    fault_stack.redis.stop()
    try:
        def send(i: int) -> requests.Response:
            return visitors[i % CLIENTS].apply(f"applicant-{i}@example.org", hidden=forms[i])

        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            responses = list(pool.map(send, range(FORMS)))
        elapsed = time.monotonic() - started
        statuses = Counter(r.status_code for r in responses)
        assert all(accepted(r) for r in responses), statuses
        assert elapsed < FORMS * 2, f"{elapsed:.1f}s for {FORMS} forms: a publish stalled the response"

        # The other rate-limited pages keep serving too.
        resend = visitors[0].http.get(f"{site.url}/me/resend/", timeout=10)
        assert resend.status_code == 200
        assert visitors[1].contact("enquirer@example.org").status_code == 302
        assert visitors[2].http.get(f"{site.url}/me/not-a-real-token/", timeout=10).status_code < 500

        started = time.monotonic()
        health = requests.get(f"{site.url}/healthz", timeout=5)
        assert time.monotonic() - started < 1.0
        assert health.status_code == 503 and {"broker", "workers"} <= set(health.json()["failed"])
        assert "database" not in health.json()["failed"]
        assert requests.get(f"{site.url}/healthz/ready", timeout=5).status_code == 200  # the web host still serves
    finally:
        fault_stack.redis.start()  # empty: whatever was queued before the outage is gone too

    emails = {f"applicant-{i}@example.org" for i in range(FORMS)} | {"enquirer@example.org"}
    # Every form kept for its code, each address emailed its code once, nobody made before they confirm.
    assert PendingSubmission.objects.count() == len(emails) and not DataSubject.objects.exists()

    def all_delivered() -> bool:
        fault_stack.manage("redrive_notifications", "--older-than", "0")  # what beat does every 30 s
        return set(_recipients(mailbox)) >= emails

    wait_for(all_delivered, timeout=90, interval=2)
    time.sleep(2)  # anything sent twice would arrive now
    assert _recipients(mailbox) == Counter(dict.fromkeys(emails, 1))
    assert requests.get(f"{site.url}/healthz", timeout=5).json()["checks"]["broker"] == "ok"
