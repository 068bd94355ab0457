"""The audit log knows its own shape: a chain per AUDIT_CHAINS opened by a genesis event, and the newest
anchor saying how long each chain already was. What a database superuser without AUDIT_KEY can do to a
copy of the database (raw SQL, triggers bypassed) is each caught by `verify_audit_chain`."""

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from apps.audit.models import AuditChainHead, AuditEvent
from apps.audit.services import Actor, Entry, audit_anchor_publish, audit_chain_verify, audit_records
from tests.audit.helpers import as_superuser

pytestmark = pytest.mark.django_db


def _events(n: int, chain: int | None = None) -> list[AuditEvent]:
    with transaction.atomic():  # one transaction: one chain
        return audit_records(entries=[Entry(Actor.system("test"), "pii.revealed", f"t{i}", {"i": i})
                                      for i in range(n)], chain=chain)


def test_every_chain_starts_with_its_genesis_event_and_the_untouched_log_verifies(settings, capsys):
    genesis = AuditEvent.objects.filter(verb="audit.genesis", seq=1)
    assert sorted(genesis.values_list("chain", flat=True)) == list(range(settings.AUDIT_CHAINS))
    _events(3)
    audit_anchor_publish()
    _events(2)  # written after the newest anchor
    call_command("verify_audit_chain")
    assert f"OK: {settings.AUDIT_CHAINS + 5} events verified" in capsys.readouterr().out


def test_a_whole_chain_deleted_with_its_head_is_caught():
    chain = _events(3)[0].chain
    as_superuser(("DELETE FROM audit_auditevent WHERE chain = %s", [chain]),
                  ("DELETE FROM audit_auditchainhead WHERE chain = %s", [chain]))
    with pytest.raises(CommandError, match=rf"chain {chain}: chain is missing"):
        call_command("verify_audit_chain")


def test_every_event_and_head_deleted_is_caught():
    _events(3)
    as_superuser(("DELETE FROM audit_auditevent", []), ("DELETE FROM audit_auditchainhead", []))
    report = audit_chain_verify()
    assert not report.ok and "the audit log is empty" in report.problem
    with pytest.raises(CommandError, match="the audit log is empty"):
        call_command("verify_audit_chain")


def test_every_event_deleted_heads_kept_is_caught():
    _events(3)
    as_superuser(("DELETE FROM audit_auditevent", []))
    with pytest.raises(CommandError, match="chain head does not match its newest event"):
        call_command("verify_audit_chain")


def test_the_newest_events_deleted_and_the_head_set_back_are_caught_by_the_newest_anchor():
    events = _events(4)
    chain, kept = events[0].chain, events[1]
    audit_anchor_publish()  # taken every minute: the cut falls before it
    as_superuser(("DELETE FROM audit_auditevent WHERE chain = %s AND seq > %s", [chain, kept.seq]),
                  ("UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain = %s",
                   [kept.seq, kept.hash, chain]))
    with pytest.raises(CommandError, match=rf"chain {chain}.*older than the anchor of .* \(event {events[-1].seq}\)"):
        call_command("verify_audit_chain")


def test_a_chain_cut_short_that_grew_again_past_its_anchor_is_caught():
    events = _events(4)
    chain, kept = events[0].chain, events[1]
    audit_anchor_publish()
    as_superuser(("DELETE FROM audit_auditevent WHERE chain = %s AND seq > %s", [chain, kept.seq]),
                  ("UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain = %s",
                   [kept.seq, kept.hash, chain]))
    _events(5, chain=chain)  # the application goes on writing: the chain is longer than its anchor again
    assert AuditChainHead.objects.get(chain=chain).seq > events[-1].seq
    with pytest.raises(CommandError, match=rf"chain {chain}, seq {events[-1].seq}\): event differs from the anchor"):
        call_command("verify_audit_chain")


def test_a_chain_opened_later_gets_its_genesis_event(settings):
    settings.AUDIT_CHAINS += 1
    new = settings.AUDIT_CHAINS - 1
    assert not audit_chain_verify().ok  # the new chain is not there yet
    _events(1, chain=new)
    assert list(AuditEvent.objects.filter(chain=new).values_list("verb", "seq")) == [
        ("audit.genesis", 1), ("pii.revealed", 2)]
    assert audit_chain_verify().ok
