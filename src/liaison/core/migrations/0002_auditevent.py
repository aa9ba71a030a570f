"""AuditEvent moves from compliance to core (beside AuditedModel, whose writes append it).

State only: the table keeps its name (compliance_auditevent), its rows, its indexes and its append-only
triggers; compliance migration 0004 removes the model from compliance's state in the same step.
"""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_worker_leases"),
        ("compliance", "0003_auditevent_key_id"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("seq", models.BigAutoField(primary_key=True, serialize=False)),
                        ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("occurred_at", models.DateTimeField(db_index=True)),
                        ("actor_uuid", models.CharField(blank=True, db_index=True, max_length=36)),
                        ("actor_username", models.CharField(max_length=150)),
                        ("actor_role", models.CharField(blank=True, max_length=40)),
                        ("source", models.CharField(max_length=20)),
                        ("request_id", models.CharField(db_index=True, max_length=64)),
                        ("event_type", models.CharField(db_index=True, max_length=80)),
                        ("action", models.CharField(max_length=40)),
                        ("object_type", models.CharField(db_index=True, max_length=80)),
                        ("object_uuid", models.CharField(blank=True, db_index=True, max_length=36)),
                        ("object_repr", models.CharField(blank=True, max_length=200)),
                        ("changes", models.JSONField(default=dict)),
                        ("reason", models.TextField(blank=True)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64, unique=True)),
                        ("key_id", models.CharField(blank=True, default="", max_length=32)),
                    ],
                    options={
                        "db_table": "compliance_auditevent",
                        "ordering": ["-seq"],
                        "indexes": [
                            models.Index(
                                fields=["object_type", "object_uuid", "seq"],
                                name="compliance__object__d4e8ad_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
