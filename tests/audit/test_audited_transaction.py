"""Events raised in an audited_transaction are appended together before it commits, and only if it does."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.audit.services import Actor, audit_chain_verify, audit_record, audited_transaction

pytestmark = pytest.mark.django_db(transaction=True)  # each block below is a real transaction
ACTOR = Actor.system("test")
GENESIS_VERB = "audit.genesis"  # each chain's first event


def _record(target: str) -> AuditEvent:
    return audit_record(actor=ACTOR, verb="links.revoked", target=target)


def test_a_transaction_appends_its_events_with_one_lock_one_insert_and_one_head_update():
    _record("first")  # the chain heads exist from the first event on
    with CaptureQueriesContext(connection) as queries, audited_transaction(durable=True):
        events = [_record(f"t{i}") for i in range(10)]
        assert AuditEvent.objects.exclude(verb=GENESIS_VERB).count() == 1  # buffered until the block ends
    sql = [q["sql"] for q in queries.captured_queries]
    inserts = [s for s in sql if 'INSERT INTO "audit_auditevent"' in s]
    head_updates = [s for s in sql if "UPDATE" in s and "audit_auditchainhead" in s and "FOR UPDATE" not in s]
    assert len(inserts) == 1 and len(head_updates) == 1
    stored = list(AuditEvent.objects.exclude(target="first").exclude(verb=GENESIS_VERB).order_by("seq"))
    assert [e.target for e in stored] == [f"t{i}" for i in range(10)]
    assert [e.seq for e in stored] == [e.seq for e in events]
    assert len({e.chain for e in stored}) == 1
    assert audit_chain_verify().ok


@pytest.mark.postgresql_only
def test_on_postgresql_the_head_is_locked_once_and_moved_by_the_insert_itself():
    _record("first")
    with CaptureQueriesContext(connection) as queries, audited_transaction(durable=True):
        for i in range(10):
            _record(f"t{i}")
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("audit_auditchainhead" in s and "FOR UPDATE" in s for s in sql) == 1
    inserts = [s for s in sql if 'INSERT INTO "audit_auditevent"' in s]
    head_updates = [s for s in sql if "UPDATE" in s and "audit_auditchainhead" in s and "FOR UPDATE" not in s]
    assert inserts == head_updates  # the insert and the head's update are one statement, one round trip
    assert audit_chain_verify().ok


def test_nothing_is_written_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), audited_transaction():
        _record("gone")
        raise RuntimeError("the request failed")
    assert not AuditEvent.objects.exclude(verb=GENESIS_VERB).exists()
    with audited_transaction():
        _record("kept")
    kept = AuditEvent.objects.exclude(verb=GENESIS_VERB)
    assert list(kept.values_list("target", "seq")) == [("kept", 2)]  # after its chain's genesis event
    assert audit_chain_verify().ok


def test_an_event_of_a_savepoint_that_rolls_back_is_dropped_with_it():
    with audited_transaction():
        _record("before")
        try:
            with transaction.atomic():
                _record("in the savepoint")
                raise IntegrityError("lost a race")
        except IntegrityError:
            pass
        with audited_transaction():  # a service inside: its events join the outer block's
            _record("after")
    assert list(AuditEvent.objects.exclude(verb=GENESIS_VERB).order_by("seq").values_list("target", flat=True)) == [
        "before", "after"]
    assert audit_chain_verify().ok


def test_outside_an_audited_transaction_an_event_is_appended_at_once():
    with transaction.atomic():
        _record("now")
        assert AuditEvent.objects.filter(target="now").exists()


def test_a_service_inside_a_savepoint_that_rolls_back_leaves_no_event():
    with audited_transaction():
        _record("before")
        try:
            with transaction.atomic():  # e.g. a view retrying a service that lost a race
                with audited_transaction():
                    _record("inside the service")
                raise IntegrityError("lost a race")
        except IntegrityError:
            pass
        with pytest.raises(RuntimeError), audited_transaction():
            _record("in a service that failed")
            raise RuntimeError("bad input")
    assert list(AuditEvent.objects.exclude(verb=GENESIS_VERB).values_list("target", flat=True)) == ["before"]
    assert audit_chain_verify().ok


def test_a_transaction_doomed_by_an_inner_failure_rolls_back_quietly_with_its_events():
    with audited_transaction():
        _record("doomed")
        try:
            with audited_transaction(savepoint=False):  # no savepoint: the whole transaction must roll back
                raise IntegrityError("lost a race")
        except IntegrityError:
            pass
    assert not AuditEvent.objects.exclude(verb=GENESIS_VERB).exists()
