"""PostgreSQL restarted while visitors send forms (a cluster of the test's own: the shared server
is never touched). No 5xx but a clear 503 while the database is down; a visitor who got the 503
sends the same form again; every form is stored once and emailed exactly once."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from tests.conftest import log_dir, wait_for

from .conftest import _stack
from .harness import Visitor, accepted, migrate_and_seed

pytestmark = pytest.mark.real_services

CLIENTS, FORMS = 4, 24


def test_a_database_restart_mid_load_loses_nothing_and_sends_nothing_twice(
        fault_postgres, fault_redis, smtp_server, mailbox, tmp_path):
    fault_postgres.create_database("pp_fault")
    url = fault_postgres.url("pp_fault")
    stack = _stack(redis=fault_redis, smtp_port=smtp_server[1], media=tmp_path / "media",
                   log_dir=log_dir() / "faults", DATABASE_URL=url)
    for log in (stack.site.log_path, stack.worker.log_path):
        log.write_bytes(b"")
    migrate_and_seed(stack.env)
    stack.worker.start()
    stack.site.start()
    try:
        visitors = [Visitor(stack.site.url) for _ in range(CLIENTS)]
        forms = [visitors[i % CLIENTS].form("/apply/") for i in range(FORMS)]
        statuses: Counter = Counter()
        lock = threading.Lock()

        def send(i: int) -> bool:
            for _ in range(20):  # a visitor told "try again in a few minutes" tries again (sooner)
                try:
                    response = visitors[i % CLIENTS].apply(f"applicant-{i}@example.org", hidden=forms[i])
                except requests.ConnectionError:
                    response = None
                with lock:
                    statuses[response.status_code if response is not None else "refused"] += 1
                if response is not None and accepted(response):
                    return True
                time.sleep(0.5)
            return False

        restarter = threading.Timer(1.0, fault_postgres.restart)
        restarter.start()
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(send, range(FORMS)))
        restarter.join()
        assert all(results), statuses
        assert not [s for s in statuses if isinstance(s, int) and s >= 500 and s != 503], statuses

        with psycopg.connect(url) as conn:
            held = conn.execute("SELECT count(*) FROM recruitment_pendingsubmission").fetchone()[0]
            people = conn.execute("SELECT count(*) FROM subjects_datasubject").fetchone()[0]
        assert held == FORMS and people == 0  # each kept once for its emailed code

        emails = {f"applicant-{i}@example.org" for i in range(FORMS)}

        def all_delivered() -> bool:
            stack.manage("redrive_notifications", "--older-than", "0")  # what beat does every 30 s
            return set(m["X-Envelope-To"] for m in mailbox) >= emails

        wait_for(all_delivered, timeout=120, interval=2)
        time.sleep(3)
        assert Counter(m["X-Envelope-To"] for m in mailbox) == Counter(dict.fromkeys(emails, 1))
    finally:
        stack.site.stop()
        stack.worker.stop()
