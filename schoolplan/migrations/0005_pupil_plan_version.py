"""Add the pupil's plan versions and the PostgreSQL triggers that raise them.

The plan page caches its parts under these versions (schoolplan/plan_cache.py).
The table lists and the SQL live there, so that the apps' migrations and the
tests share them. On SQLite nothing is created and the plan page is not cached.
"""

from django.db import migrations, models

from schoolplan import plan_cache

PUPIL_TRIGGER = """
CREATE OR REPLACE TRIGGER skoleplan_pupil_versions BEFORE UPDATE ON schoolplan_pupil
    FOR EACH ROW EXECUTE FUNCTION skoleplan_pupil_versions();
"""

CREATE = plan_cache.TOUCH_FUNCTION + PUPIL_TRIGGER

DROP = (
    "DROP TRIGGER IF EXISTS skoleplan_pupil_versions ON schoolplan_pupil;\n"
    "DROP FUNCTION IF EXISTS skoleplan_touch_plans();\n"
    "DROP FUNCTION IF EXISTS skoleplan_pupil_versions();\n"
    "DROP FUNCTION IF EXISTS skoleplan_next_version(bigint);\n"
)


class Migration(migrations.Migration):
    dependencies = [("schoolplan", "0004_plan_export")]

    operations = [
        migrations.AddField(
            model_name="pupil",
            name="front_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="pupil",
            name="log_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(
            plan_cache.run_on_postgresql(CREATE), plan_cache.run_on_postgresql(DROP)
        ),
        plan_cache.trigger_operation(plan_cache.SCHOOLPLAN_TABLES),
    ]
