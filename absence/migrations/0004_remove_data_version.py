"""Remove the rules' data version, which only the dashboard's old cache read.

The dashboard now follows each pupil's plan version. The update trigger of the
rules table skipped changes to data_version alone; it is created again without
that exception.
"""

from django.db import migrations

from schoolplan import plan_cache

RULES_TABLE = "absence_absencerules"


class Migration(migrations.Migration):
    dependencies = [
        ("absence", "0003_plan_version_triggers"),
    ]

    operations = [
        migrations.RemoveField(model_name="absencerules", name="data_version"),
        # Going back keeps the new trigger, which needs no data_version.
        migrations.RunPython(
            plan_cache.run_on_postgresql(
                plan_cache.create_triggers_sql(
                    RULES_TABLE, plan_cache.ABSENCE_TABLES[RULES_TABLE]
                )
            ),
            migrations.RunPython.noop,
        ),
    ]
