"""Audit events record the audit key that signed them (the chain is keyed from here on).

On SQLite, adding a column with a default rebuilds the table, which drops its triggers: put the append-only
triggers of migration 0002 back straight after.
"""

import importlib

from django.db import migrations, models

append_only = importlib.import_module("liaison.compliance.migrations.0002_append_only")


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.RunPython(append_only._run({"sqlite": append_only.SQLITE}), migrations.RunPython.noop),
    ]
