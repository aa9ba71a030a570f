"""Make audit events append-only in the database itself, on SQLite and PostgreSQL.

The application never updates or deletes an audit event; these triggers make sure nothing else can either,
short of dropping the trigger (which `liaison audit verify` would then expose through the hash chain).
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON compliance_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON compliance_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION liaison_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON compliance_auditevent
       FOR EACH ROW EXECUTE FUNCTION liaison_audit_append_only();""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON compliance_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION liaison_audit_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update_delete ON compliance_auditevent;",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON compliance_auditevent;",
    "DROP FUNCTION IF EXISTS liaison_audit_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
