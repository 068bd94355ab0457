"""The audit chain catches an event rewritten together with its own hash."""

import json

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.audit.services import Actor, audit_record, event_digest
from tests.audit.helpers import raw_as_superuser

pytestmark = pytest.mark.django_db


def test_an_event_edited_with_its_hash_recomputed_breaks_the_chain_at_the_next_event():
    for i in range(5):
        audit_record(actor=Actor.system("test"), verb="links.revoked", target=f"t{i}", detail={"i": i})
    victim = AuditEvent.objects.exclude(verb="audit.genesis").order_by("chain", "seq").first()
    follower = AuditEvent.objects.get(chain=victim.chain, seq=victim.seq + 1)
    forged = {"i": 999}
    forged_hash = event_digest(chain=victim.chain, seq=victim.seq, at=victim.at.isoformat(),
                               actor_type=victim.actor_type, actor_id=victim.actor_id, verb=victim.verb,
                               target=victim.target, detail=forged, prev_hash=victim.prev_hash)
    raw_as_superuser("UPDATE audit_auditevent SET detail = %s, hash = %s WHERE id = %s",
         [json.dumps(forged), forged_hash, victim.pk])
    assert AuditEvent.objects.get(pk=victim.pk).detail == forged  # the forgery is in place

    with pytest.raises(CommandError, match=rf"chain {follower.chain}, seq {follower.seq}\): previous hash"):
        call_command("verify_audit_chain")
