"""On PostgreSQL the database itself refuses UPDATE and DELETE of deletion certificates and the transparency
log's rows.

Rules rather than a trigger: a rule belongs to its table alone, so the main database's backup (which
leaves the key store's tables out, see the README) holds no function that these tables depend on, and
restoring it with --clean does not trip over them. The cast fails on purpose, naming the refusal; like a
trigger, a rule is skipped under session_replication_role = replica, as only a superuser can set."""

from django.db import migrations

KEYS = {"vault_logleaf": '"index"', "vault_lognode": '"index"', "vault_treehead": '"size"',
        "vault_deletioncertificate": "id"}
CREATE = "".join(
    f"""CREATE RULE {table}_no_{op.lower()} AS ON {op} TO {table} DO INSTEAD
    SELECT ('the transparency log is append-only ({op} refused) ' || OLD.{key})::int;
""" for table, key in KEYS.items() for op in ("UPDATE", "DELETE"))
DROP = "".join(f"DROP RULE IF EXISTS {table}_no_{op.lower()} ON {table};\n"
               for table in KEYS for op in ("UPDATE", "DELETE"))


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("vault", "0002_transparency_log")]
    operations = [migrations.RunPython(forwards, backwards)]
