"""On PostgreSQL, the database itself refuses to change or delete a published policy version, or the
disclosures it allows: the only column that may still be set is in_force_at (once, by the sweep)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION policies_version_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION USING MESSAGE = 'policy version ' || OLD.number || ' is published and cannot be deleted';
        END IF;
        IF (to_jsonb(NEW) - 'in_force_at') IS DISTINCT FROM (to_jsonb(OLD) - 'in_force_at')
           OR (OLD.in_force_at IS NOT NULL AND NEW.in_force_at IS DISTINCT FROM OLD.in_force_at) THEN
            RAISE EXCEPTION USING MESSAGE = 'policy version ' || OLD.number || ' is published and cannot be changed';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER policies_version_immutable BEFORE UPDATE OR DELETE ON policies_policyversion
    FOR EACH ROW EXECUTE FUNCTION policies_version_immutable();

CREATE OR REPLACE FUNCTION policies_disclosure_immutable() RETURNS trigger AS $$
DECLARE
    version_id bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN version_id := NEW.version_id; ELSE version_id := OLD.version_id; END IF;
    IF EXISTS (SELECT 1 FROM policies_policyversion WHERE id = version_id AND status = 'published')
       OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM policies_policyversion
                                       WHERE id = NEW.version_id AND status = 'published')) THEN
        RAISE EXCEPTION 'the disclosures of a published policy version cannot be changed';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER policies_disclosure_immutable BEFORE INSERT OR UPDATE OR DELETE ON policies_policydisclosure
    FOR EACH ROW EXECUTE FUNCTION policies_disclosure_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS policies_version_immutable ON policies_policyversion;
DROP FUNCTION IF EXISTS policies_version_immutable();
DROP TRIGGER IF EXISTS policies_disclosure_immutable ON policies_policydisclosure;
DROP FUNCTION IF EXISTS policies_disclosure_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("policies", "0002_versions_disclosures_campaigns")]

    operations = [migrations.RunPython(forward, backward)]
