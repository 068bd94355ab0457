"""The chain is keyed (a rewrite without AUDIT_KEY is found) and anchored (a chain cut short is found)."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from apps.audit.checks import check_audit_key
from apps.audit.models import AuditAnchor, AuditChainHead, AuditEvent
from apps.audit.services import Actor, audit_anchor_publish, audit_record
from apps.audit.tasks import audit_anchor_task
from tests.audit.helpers import as_superuser

pytestmark = pytest.mark.django_db


def _events(n: int) -> list[AuditEvent]:
    with transaction.atomic():  # one transaction: one chain
        return [audit_record(actor=Actor.system("test"), verb="links.revoked", target=f"t{i}", detail={"i": i})
                for i in range(n)]


def _unkeyed(event: AuditEvent, **changes) -> str:
    """The hash an attacker without the key computes: the old SHA-256 over the same fields."""
    fields = {"chain": event.chain, "seq": event.seq, "at": event.at.isoformat(), "actor_type": event.actor_type,
              "actor_id": event.actor_id, "verb": event.verb, "target": event.target, "detail": event.detail,
              "prev_hash": event.prev_hash, **changes}
    canonical = json.dumps([fields[k] for k in ["chain", "seq", "at", "actor_type", "actor_id", "verb", "target",
                                                "detail", "prev_hash"]], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_an_event_edited_and_rehashed_without_the_key_is_detected():
    events = _events(5)
    newest = events[-1]
    forged = _unkeyed(newest, verb="nothing.happened")
    as_superuser(("UPDATE audit_auditevent SET verb = %s, hash = %s WHERE id = %s", ["nothing.happened", forged,
                                                                                       newest.pk]),
                  ("UPDATE audit_auditchainhead SET hash = %s WHERE chain = %s", [forged, newest.chain]))
    with pytest.raises(CommandError, match="event content does not match its hash"):
        call_command("verify_audit_chain")


def test_another_key_does_not_verify_the_chain(settings):
    _events(3)
    settings.AUDIT_KEY = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU="
    with pytest.raises(CommandError, match="does not match its hash"):
        call_command("verify_audit_chain")


def test_a_chain_cut_short_passes_the_keys_but_not_the_anchors(tmp_path, mailoutbox, settings, caplog, capsys):
    events = _events(4)
    chain = events[0].chain
    caplog.set_level("INFO", logger="apps.audit.services")
    audit_anchor_task(email=True)
    (mail,) = mailoutbox
    assert mail.to == [settings.PRIVACY_OFFICER_EMAIL] and "audit-anchor" in mail.body
    anchors = tmp_path / "anchors.txt"
    anchors.write_text(caplog.text)
    call_command("verify_audit_chain", anchors=anchors)
    assert "1 anchors match" in capsys.readouterr().out

    # The newest two events removed and the head set back: every remaining hash is genuine, but the log
    # kept its newest anchor and knows the chain was longer.
    as_superuser(("DELETE FROM audit_auditevent WHERE chain = %s AND seq > 3", [chain]),
                  ("UPDATE audit_auditchainhead SET seq = 3, hash = %s WHERE chain = %s", [events[1].hash, chain]))
    with pytest.raises(CommandError, match=rf"chain {chain}.*chain head \(event 3\) is older than the anchor"):
        call_command("verify_audit_chain")
    # The stored anchors deleted too: the keyed chain alone cannot tell, the emailed copy can.
    as_superuser(("DELETE FROM audit_auditanchor", []))
    call_command("verify_audit_chain")
    emailed = tmp_path / "email.txt"
    emailed.write_text(mail.body)
    with pytest.raises(CommandError, match=f"chain {chain}: event 5 anchored at .* is missing"):
        call_command("verify_audit_chain", anchors=emailed)


def test_anchors_hold_no_personal_data_only_heads():
    _events(2)
    anchor = audit_anchor_publish()
    heads = {str(h.chain): [h.seq, h.hash] for h in AuditChainHead.objects.all()}
    assert anchor["heads"] == heads and AuditAnchor.objects.get().heads == heads
    audit_anchor_publish()  # nothing new: no second stored anchor
    assert AuditAnchor.objects.count() == 1


def test_a_missing_audit_key_is_a_system_check_error_in_production(settings):
    settings.DEBUG, settings.AUDIT_KEY = False, ""
    (error,) = check_audit_key(None)
    assert error.id == "audit.E001" and "AUDIT_KEY" in error.msg
    settings.AUDIT_KEY = "c2hvcnQ="
    assert [e.id for e in check_audit_key(None)] == ["audit.E001"]


@pytest.mark.postgresql_only  # the trigger exists on PostgreSQL only
def test_postgresql_refuses_truncate_of_the_audit_log():
    _events(1)
    for table in ["audit_auditevent", "audit_auditchainhead"]:
        with pytest.raises(DatabaseError, match="TRUNCATE"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL privacy_portal.allow_audit_truncate = off")
                cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.exclude(verb="audit.genesis").count() == 1
