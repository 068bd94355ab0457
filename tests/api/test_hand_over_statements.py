"""A client company's hand-over of a new candidate is a bounded number of SQL statements (issue 28).

Counted with CaptureQueriesContext (deterministic: a ceiling, not a timing), with the Idempotency-Key a client
sends, after a first call has filled the caches a worker keeps (purposes and their notices, the open jobs).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.consent.models import ConsentRecord
from tests.api.helpers import Api, candidate_body, make_token, make_vacancy
from tests.factories import ControllerFactory

pytestmark = pytest.mark.django_db

# The purposes and their notices come from the content cache (as the web form's do): 34 statements before, 30 now
# on PostgreSQL, 29 on SQLite (inside the test's own transaction, each BEGIN and COMMIT is a savepoint's statement).
# What is left is listed in docs/architecture.md ("The API's hand-over").
MAX_STATEMENTS = 30


def test_a_hand_over_is_a_bounded_number_of_statements(client, demo_purposes):
    controller = ControllerFactory(name="Safari Telecom Ltd")
    vacancy = make_vacancy(controller)
    api = Api(client, make_token(controller))
    api.post("/candidates", candidate_body(vacancy, n=1), idempotency_key="warm")  # the caches, as a first call fills

    with CaptureQueriesContext(connection) as queries:
        response = api.post("/candidates", candidate_body(vacancy, n=2), idempotency_key="second")

    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) <= MAX_STATEMENTS, "\n".join(s[:100] for s in statements)
    # Neither the purposes nor their notices are read: they come from the content cache.
    assert not [s for s in statements if 'FROM "consent_purpose"' in s or 'FROM "consent_purposenotice"' in s]
    receipts = ConsentRecord.objects.filter(subject_id=response.json()["public_id"])
    assert {r.purpose.slug for r in receipts} == {"recruitment", "share-with-employer"}
    assert all(r.notice_id is not None for r in receipts)  # each names the words the person is told of
