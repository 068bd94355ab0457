"""Each audit anchor is signed and appended to the public log: cutting the audit log and deleting its stored
anchors, as a database superuser, passes verify_audit_chain but not verify_transparency_log, and forks the
log that witnesses hold heads of."""

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from apps.audit.models import AuditAnchor
from apps.audit.services import Actor, Entry, audit_records
from apps.vault import tasks, transparency
from apps.vault.models import AnchorEntry, LogLeaf
from apps.vault.proofs import proof_verify
from privacy_portal_verify import merkle
from tests.vault.helpers import as_superuser, erase_people

pytestmark = pytest.mark.django_db


def _events(n: int, chain: int | None = None):
    with transaction.atomic():
        return audit_records(entries=[Entry(Actor.system("test"), "pii.revealed", f"t{i}") for i in range(n)],
                             chain=chain)


def test_an_anchor_is_signed_appended_and_proved_in_the_log_beside_certificates(capsys):
    erase_people(2)
    _events(3)
    assert tasks.audit_anchor_log_task() == 1
    assert tasks.audit_anchor_log_task() == 0  # nothing moved: no new anchor, nothing appended
    entry = AnchorEntry.objects.get()
    assert entry.heads == AuditAnchor.objects.get(pk=entry.anchor_id).heads
    assert proof_verify(entry.signed)["type"] == "audit-anchor"
    leaf = LogLeaf.objects.get(anchor_id=entry.anchor_id)
    assert leaf.certificate_id is None and leaf.leaf_hash == merkle.leaf_hash(entry.signed.encode()).hex()
    head = transparency.tree_head_publish()
    proof = transparency.inclusion_proof(leaf_hash=leaf.leaf_hash, size=head.size)
    assert merkle.verify_inclusion(bytes.fromhex(leaf.leaf_hash), proof["leaf_index"], head.size,
                                   [bytes.fromhex(p) for p in proof["proof"]], bytes.fromhex(head.root_hash))
    erase_people(1)  # certificates go on being appended after it
    transparency.tree_head_publish()
    call_command("verify_transparency_log")
    call_command("verify_audit_chain")
    assert "OK: 4 leaves, 3 certificates, 2 heads" in capsys.readouterr().out


def test_the_audit_log_cut_with_its_stored_anchors_deleted_is_caught_by_the_public_log():
    events = _events(4)
    chain, kept = events[0].chain, events[1]
    tasks.audit_anchor_log_task()
    transparency.tree_head_publish()
    as_superuser("DELETE FROM audit_auditevent WHERE chain = %s AND seq > %s", [chain, kept.seq])
    as_superuser("UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain = %s",
                  [kept.seq, kept.hash, chain])
    as_superuser("DELETE FROM audit_auditanchor", [])
    call_command("verify_audit_chain")  # the database alone no longer knows the chain was longer
    problems = transparency.log_verify().problems
    assert any(f"the audit log was cut: chain {chain} no longer has event {events[-1].seq}" in p for p in problems)
    assert any("is in the public log but gone from the audit log" in p for p in problems)
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_transparency_log")


def test_an_anchor_dropped_from_the_key_store_is_caught():
    _events(2)
    tasks.audit_anchor_log_task()
    entry = AnchorEntry.objects.get()
    as_superuser("DELETE FROM vault_anchorentry", [])
    assert any(f"audit anchor {entry.anchor_id} is in the log but no longer in the key store" in p
               for p in transparency.log_verify().problems)
