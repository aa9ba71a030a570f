"""`loop.Action` becomes `loop.InsightAction` (it read as an app's `actions.py`), in the state only.

The table keeps its name, `loop_action`: pinning it first makes the rename a no-op in the database (Django skips
renaming a table to the name it already has, and the foreign key of `loop_notification` keeps pointing at the
same table and column), so no table is renamed or rebuilt and the audit trail's object type stays "loop.action".
The verbose name stays "action", as messages show it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("loop", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="action", table="loop_action"),
        migrations.AlterModelOptions(
            name="action", options={"ordering": ["due_date", "pk"], "verbose_name": "action"}
        ),
        migrations.RenameModel(old_name="Action", new_name="InsightAction"),
    ]
