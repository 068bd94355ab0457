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
from apps.consent.models import ConsentRecord, RefereeNotice
from apps.consent.services import CollectionContext, purposes_shown
from apps.notifications.models import Notification
from apps.recruitment.intake import submission_receive
from apps.vault.services import key_scope
from tests.consent.helpers import application_post
from tests.factories import PDF_BYTES, VacancyFactory

pytestmark = pytest.mark.django_db(transaction=True)

# What a complete application to a vacancy costs now, received as the form's view receives it (the purposes
# and their notice versions as the page showed them, the key looked up by the view): 17 statements (152
# before issue 10, 35 after its first round): BEGIN, the vacancy read as it is share-locked, is the applicant
# known (an advisory lock on their email's blind index, then the look-up), the person, key, record, lookups
# (one insert), ID scan, engagement, the receipts (one insert), the submission, the referee-number claims
# (one upsert), the messages (one insert), the audit events (lock a chain head; insert them and move the head
# on, one statement), COMMIT.
MAX_STATEMENTS = 17
# The whole POST /apply/ since the verified intake (a form held for its code): one look-up of the form's key in
# both tables (sent before, held or received?), BEGIN, the form's own key, the sealed form and its email (one
# statement on PostgreSQL: apps.core.db.insert_together; three elsewhere), the audit event (lock a chain head;
# insert and move the head on: two statements on SQLite), COMMIT. The job chosen is checked against the cached open
# jobs, without a query; the page the visitor goes to next is named by a signed cookie, not a session row.
# 6 on PostgreSQL (12 before the key look-ups were merged, the job cached, the session row dropped and the inserts
# joined).
MAX_REQUEST_STATEMENTS = 6 if connection.vendor == "postgresql" else 9


def _application(n: int) -> dict:
    return {
        "full_name": "Amani Wekesa", "email": f"amani{n}@example.org", "mobile": f"+2547120000{n:02d}",
        "address": "P.O. Box 100-00200, Nairobi", "legal_id_type": "national-id", "legal_id_number": "27654321",
        "referees": [{"name": "Jane Muthoni", "phone": f"+2547220000{n:02d}", "relationship": "Manager"},
                     {"name": "Peter Odhiambo", "phone": f"+2547330000{n:02d}", "relationship": "Lecturer"}],
    }


def test_a_complete_application_is_stored_in_a_bounded_number_of_statements(demo_purposes):
    shown = purposes_shown(kind="apply", language="en")  # as the page showed them, each with its notice
    purposes = [p for p in shown if p.slug in {"recruitment", "share-with-employer", "marketing"}]
    context = CollectionContext(collection_point="apply-form", form_version="t", source=ConsentRecord.Source.WEB_FORM,
                                language="en", notices=tuple((p.slug, p.notice.pk) for p in purposes))
    vacancy = VacancyFactory()
    submission_receive(key=uuid.uuid4(), kind="apply", data=_application(1), purposes=purposes, context=context,
                       document=PDF_BYTES, vacancy=vacancy)  # warms the caches, as a worker's first request does
    events_before = AuditEvent.objects.count()

    with key_scope(), CaptureQueriesContext(connection) as queries:  # key_scope: as the middleware gives a request
        received = submission_receive(key=uuid.uuid4(), kind="apply", data=_application(2), purposes=purposes,
                                      context=context, document=PDF_BYTES, vacancy=vacancy, offered=shown,
                                      key_checked=True)

    # Up to the submission's COMMIT; what follows are its jobs, run in-process after the commit in a unit test.
    statements = _up_to_commit(queries)
    kinds = Counter(s.split()[0].upper() for s in statements)
    assert received.created
    assert len(statements) <= MAX_STATEMENTS, f"{len(statements)} statements: {kinds}"
    assert kinds["SAVEPOINT"] == 0, kinds
    # Nothing was lost to the savings: every message and every audit event is there, and the log verifies.
    subject = received.submission.subject
    assert Notification.objects.filter(subject=subject).count() == 4
    assert ConsentRecord.objects.filter(subject=subject).count() == len(purposes)
    assert AuditEvent.objects.count() - events_before >= 1 + 1 + 1 + len(purposes) + 4
    assert RefereeNotice.objects.count() == 4  # two numbers per application, each claimed once
    assert audit_chain_verify().ok


def test_a_visitor_s_application_is_one_bounded_request(client, demo_purposes):
    client.post("/apply/", application_post(email="first@example.org", mobile="0712 000 001",
                                            referee_1_phone="0722 000 001", referee_2_phone="0733 000 001"))
    client.cookies.clear()  # a new visitor
    form = application_post()
    form.update({f"notice_{p.slug}": p.notice.pk for p in purposes_shown(kind="apply", language="en")})  # as shown

    with CaptureQueriesContext(connection) as queries:
        response = client.post("/apply/", form)

    assert response.status_code == 302
    statements = _up_to_commit(queries)  # what follows are its jobs, run in-process in a unit test
    assert len(statements) <= MAX_REQUEST_STATEMENTS, [s[:80] for s in statements]
    assert not any("django_session" in q["sql"] for q in queries.captured_queries)  # a cookie names the form
    assert client.get(response["Location"]).status_code == 200  # and the code page finds the form


def _up_to_commit(queries: CaptureQueriesContext) -> list[str]:
    statements = [q["sql"] for q in queries.captured_queries]
    return statements[:[s.split()[0].upper() for s in statements].index("COMMIT") + 1]
