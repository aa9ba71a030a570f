"""AuditEvent now belongs to core (core migration 0002): drop it from compliance's state, not from the database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0003_auditevent_key_id"),
        ("core", "0002_auditevent"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
