"""A complete application is stored in a bounded number of SQL statements (issue 10).

Counted with CaptureQueriesContext, which is deterministic: this is a ceiling, not a timing. It keeps the
savings (one transaction without savepoints, the audit events of a submission appended together,
the notification rows written in bulk) from creeping back one statement at a time.
"""

import uuid
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify
from apps.consent.models import ConsentRecord, Purpose
from apps.consent.services import CollectionContext, purpose_notice_current, submission_receive
from apps.notifications.models import Notification
from apps.vault.services import key_scope
from tests.factories import PDF_BYTES, VacancyFactory

pytestmark = pytest.mark.django_db(transaction=True)

# What a complete application to a vacancy costs now: 35 statements (152 before issue 10): the idempotency
# and purpose checks, BEGIN, the vacancy held open (share lock), is the applicant known (blind index), the
# person, key, record, lookups (one insert), ID scan, engagement, the policy, three receipts with their
# notices, the submission, two referee-number claims, is anyone restricted, four messages (one insert), the
# audit events (lock the head, one insert, update the head), COMMIT.
MAX_STATEMENTS = 35


def _application(n: int) -> dict:
    return {
        "full_name": "Amani Wekesa", "email": f"amani{n}@example.org", "mobile": f"+2547120000{n:02d}",
        "address": "P.O. Box 100-00200, Nairobi", "legal_id_type": "national-id", "legal_id_number": "27654321",
        "referees": [{"name": "Jane Muthoni", "phone": f"+2547220000{n:02d}", "relationship": "Manager"},
                     {"name": "Peter Odhiambo", "phone": f"+2547330000{n:02d}", "relationship": "Lecturer"}],
    }


def test_a_complete_application_is_stored_in_a_bounded_number_of_statements(demo_purposes):
    purposes = list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer", "marketing"]))
    context = CollectionContext(collection_point="apply-form", form_version="t", source=ConsentRecord.Source.WEB_FORM,
                                language="en")
    vacancy = VacancyFactory()
    for purpose in purposes:  # the page made these when it showed the form
        purpose_notice_current(purpose=purpose, language="en")
    submission_receive(key=uuid.uuid4(), kind="apply", data=_application(1), purposes=purposes, context=context,
                       document=PDF_BYTES, vacancy=vacancy)  # warms the caches, as a worker's first request does
    events_before = AuditEvent.objects.count()

    with key_scope(), CaptureQueriesContext(connection) as queries:  # key_scope: as the middleware gives a request
        received = submission_receive(key=uuid.uuid4(), kind="apply", data=_application(2), purposes=purposes,
                                      context=context, document=PDF_BYTES, vacancy=vacancy)

    # Up to the submission's COMMIT; what follows are its jobs, run in-process after the commit in a unit test.
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    statements = statements[:statements.index("COMMIT") + 1]
    kinds = Counter(statements)
    assert received.created
    assert len(statements) <= MAX_STATEMENTS, f"{len(statements)} statements: {kinds}"
    assert kinds["SAVEPOINT"] <= 2, kinds  # the referee-number claims, each of which may lose a race
    # Nothing was lost to the savings: every message and every audit event is there, and the log verifies.
    assert Notification.objects.filter(subject=received.submission.subject).count() == 4
    assert ConsentRecord.objects.filter(subject=received.submission.subject).count() == len(purposes)
    assert AuditEvent.objects.count() - events_before >= 1 + 1 + 1 + len(purposes) + 4
    assert audit_chain_verify().ok
