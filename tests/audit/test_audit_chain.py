import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import Actor, audit_record, audited_transaction
from tests.audit.helpers import raw_as_superuser

pytestmark = pytest.mark.django_db


def _events(n: int = 20) -> list[AuditEvent]:
    return [audit_record(actor=Actor.system("test"), verb="links.revoked", target=f"t{i}", detail={"i": i})
            for i in range(n)]


def test_an_intact_log_verifies(capsys):
    _events()
    call_command("verify_audit_chain")
    assert "OK: 36 events verified" in capsys.readouterr().out  # 20 and a genesis event per chain (16)


@pytest.mark.django_db(transaction=True)  # each atomic block below is a real transaction
def test_a_transaction_writes_one_chain_and_transactions_spread_over_chains():
    events = []
    for _ in range(8):  # eight transactions, as eight requests' services make them
        with audited_transaction():
            batch = _events(5)
        assert len({e.chain for e in batch}) == 1
        events += batch
    chains = {e.chain for e in events}
    assert len(chains) > 1  # 8 random picks of 16 free chains are all equal with odds 16**-7
    for chain in chains:
        in_chain = sorted((e for e in events if e.chain == chain), key=lambda e: e.seq)
        assert [e.seq for e in in_chain] == list(range(2, len(in_chain) + 2))  # after the chain's genesis event
        assert all(b.prev_hash == a.hash for a, b in zip(in_chain, in_chain[1:], strict=False))


@pytest.mark.django_db(transaction=True)
def test_several_services_and_events_in_one_transaction_hold_one_chain_head():
    with transaction.atomic():  # e.g. an admin action over many people
        with audited_transaction():
            batch = _events(2)
        batch += _events(2)  # appended at once
        with audited_transaction():
            batch += _events(1)
    assert len({e.chain for e in batch}) == 1  # a transaction never holds two chain heads


def test_the_orm_and_admin_cannot_change_or_delete_events(admin_client):
    event = _events(1)[0]
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(verb="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("tamper", ["edit-detail", "edit-verb", "delete-middle", "delete-newest"])
def test_verify_finds_the_first_tampered_event(tamper, capsys):
    events = _events(30)
    chain = events[10].chain
    in_chain = sorted((e for e in events if e.chain == chain), key=lambda e: e.seq)
    victim = in_chain[-1] if tamper == "delete-newest" else in_chain[0]
    if tamper == "edit-detail":
        raw_as_superuser("UPDATE audit_auditevent SET detail = %s WHERE id = %s", ['{"i": 999}', victim.pk])
    elif tamper == "edit-verb":
        raw_as_superuser("UPDATE audit_auditevent SET verb = %s WHERE id = %s", ["nothing.happened", victim.pk])
    else:
        raw_as_superuser("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match=f"Audit chain broken at .*chain {chain}"):
        call_command("verify_audit_chain")


@pytest.mark.postgresql_only  # the trigger exists on PostgreSQL only
def test_postgresql_itself_refuses_update_and_delete():
    event = _events(1)[0]
    for sql in ["UPDATE audit_auditevent SET verb = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
