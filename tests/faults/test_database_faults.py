"""The database failing around a save: the response reflects what committed.

- Session writes fail (as when the database restarts after the form's transaction committed): a visitor's form
  writes no session row (a signed cookie names it), so the form, its code and the done page work all the same,
  and sending the same form again keeps nothing new and sends no second email.
- The database does not answer at all: a clear 503 saying so, not a 500.
(A real PostgreSQL restart under load: test_postgres_restart.py.)
"""

from collections import Counter

import psycopg
import pytest
import requests

from apps.recruitment.models import PendingSubmission
from apps.subjects.models import DataSubject
from tests.conftest import _test_database_url, log_dir, wait_for

from .conftest import _stack
from .harness import Visitor, accepted, free_port

pytestmark = pytest.mark.real_services

FAIL_SESSION_WRITES = """
CREATE FUNCTION pp_test_session_down() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = '57P01'; END $$;
CREATE TRIGGER pp_test_session_down BEFORE INSERT OR UPDATE ON django_session
    FOR EACH ROW EXECUTE FUNCTION pp_test_session_down();
"""


@pytest.fixture
def session_writes_fail():
    with psycopg.connect(_test_database_url(), autocommit=True) as conn:
        conn.execute(FAIL_SESSION_WRITES)
    yield
    with psycopg.connect(_test_database_url(), autocommit=True) as conn:
        conn.execute("DROP TRIGGER pp_test_session_down ON django_session; DROP FUNCTION pp_test_session_down()")


def test_a_visitor_s_form_writes_no_session_row_so_a_failing_session_write_changes_nothing(
        fault_stack, mailbox, session_writes_fail):
    visitor = Visitor(fault_stack.site.url)
    form = visitor.form("/apply/")  # an anonymous GET writes no session
    response = visitor.apply("amani@example.org", hidden=form)
    assert response.status_code == 302 and accepted(response)  # on to the code page: a cookie names the form
    assert PendingSubmission.objects.count() == 1 and not DataSubject.objects.exists()

    again = visitor.apply("amani@example.org", hidden=form)  # "did it work?": the same form once more
    assert again.status_code == 302 and accepted(again)
    assert PendingSubmission.objects.count() == 1
    wait_for(lambda: mailbox, timeout=30)
    assert Counter(m["X-Envelope-To"] for m in mailbox) == {"amani@example.org": 1}  # one code, once

    confirmed = visitor.confirm(PendingSubmission.objects.get().code)
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/sent/")
    done = visitor.http.get(fault_stack.site.url + "/sent/", timeout=30)
    assert done.status_code == 200 and "Thank you — we have received it" in done.text
    assert DataSubject.objects.count() == 1


def test_with_the_database_unreachable_pages_answer_a_clear_503(fault_redis, smtp_server, tmp_path):
    stack = _stack(redis=fault_redis, smtp_port=smtp_server[1], media=tmp_path / "media",
                   log_dir=log_dir() / "faults", DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/none")
    stack.site.log_path.write_bytes(b"")
    stack.site.start()
    try:
        for path in ("/apply/", "/contact/", "/privacy/"):
            response = requests.get(stack.site.url + path, timeout=10)
            assert response.status_code == 503, path
            assert "We could not reach our database" in response.text
            assert response.headers["Retry-After"] == "60"
        health = requests.get(stack.site.url + "/healthz", timeout=5)
        assert health.status_code == 503 and health.json()["checks"]["database"] == "fail"
        ready = requests.get(stack.site.url + "/healthz/ready", timeout=5)
        assert ready.status_code == 503 and ready.json()["failed"] == ["database"]
    finally:
        stack.site.stop()
