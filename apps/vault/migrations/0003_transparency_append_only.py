"""On PostgreSQL the database itself refuses UPDATE and DELETE of the transparency log's rows."""

from django.db import migrations

TABLES = ["vault_logleaf", "vault_lognode", "vault_treehead"]
CREATE = """
CREATE OR REPLACE FUNCTION transparency_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the transparency log is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
""" + "".join(f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION transparency_log_append_only();
""" for table in TABLES)
DROP = "".join(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n" for table in TABLES) + \
    "DROP FUNCTION IF EXISTS transparency_log_append_only();\n"


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("vault", "0002_transparency_log")]
    operations = [migrations.RunPython(forwards, backwards)]
