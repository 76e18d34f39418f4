"""Add Pupil.plan_version and the PostgreSQL triggers that raise it.

The plan page caches its body under this version (schoolplan/plan_cache.py).
The table lists and the SQL live there, so that the apps' migrations and the
tests share them. On SQLite nothing is created and the plan page is not cached.
"""

from django.db import migrations, models

from schoolplan import plan_cache

PUPIL_TRIGGER = """
CREATE OR REPLACE TRIGGER skoleplan_next_plan_version BEFORE UPDATE ON schoolplan_pupil
    FOR EACH ROW EXECUTE FUNCTION skoleplan_next_plan_version();
"""

CREATE = (
    plan_cache.TOUCH_FUNCTION
    + PUPIL_TRIGGER
    + "".join(
        plan_cache.create_triggers_sql(table, pupils)
        for table, pupils in plan_cache.SCHOOLPLAN_TABLES.items()
    )
)

DROP = (
    "DROP TRIGGER IF EXISTS skoleplan_next_plan_version ON schoolplan_pupil;\n"
    + "".join(
        plan_cache.drop_triggers_sql(table) for table in plan_cache.SCHOOLPLAN_TABLES
    )
    + "DROP FUNCTION IF EXISTS skoleplan_touch_plans();\n"
    + "DROP FUNCTION IF EXISTS skoleplan_next_plan_version();\n"
)


class Migration(migrations.Migration):
    dependencies = [("schoolplan", "0004_plan_export")]

    operations = [
        migrations.AddField(
            model_name="pupil",
            name="plan_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(
            plan_cache.run_on_postgresql(CREATE), plan_cache.run_on_postgresql(DROP)
        ),
    ]
