"""Every chain of AUDIT_CHAINS starts with a genesis event, so that verification knows which chains must
exist: a chain deleted whole (events and head) or an emptied log no longer verifies. Chains that already
have events keep them (their first event stands in for the genesis). On PostgreSQL the anchors are
append-only like the events.
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from apps.audit.services import GENESIS, event_digest

TRIGGERS = """
CREATE TRIGGER audit_anchor_append_only BEFORE UPDATE OR DELETE ON audit_auditanchor
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_auditanchor
    FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate_refused();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_anchor_append_only ON audit_auditanchor;
DROP TRIGGER IF EXISTS audit_anchor_no_truncate ON audit_auditanchor;
"""


def genesis(apps, schema_editor) -> None:
    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "AuditChainHead")
    db = schema_editor.connection.alias
    used = set(event_model.objects.using(db).values_list("chain", flat=True).distinct())
    at = timezone.now()
    for chain in range(settings.AUDIT_CHAINS):
        if chain in used:
            continue
        fields = {"chain": chain, "seq": 1, "at": at, "actor_type": "system", "actor_id": "audit",
                  "verb": "audit.genesis", "target": "", "detail": {"chains": settings.AUDIT_CHAINS},
                  "prev_hash": GENESIS}
        value = event_digest(**{**fields, "at": at.isoformat()})
        event_model.objects.using(db).bulk_create([event_model(**fields, hash=value)])
        head_model.objects.using(db).update_or_create(chain=chain, defaults={"seq": 1, "hash": value})


def triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS, params=None)


def triggers_dropped(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_anchor")]
    operations = [
        migrations.RunPython(triggers, triggers_dropped),
        migrations.RunPython(genesis, migrations.RunPython.noop),
    ]
