"""Raise a pupil's plan versions when this app's rows of the pupil change.

See schoolplan/plan_cache.py; the tables and their pupil queries are listed there.
"""

from django.db import migrations

from schoolplan import plan_cache

CREATE = "".join(
    plan_cache.create_triggers_sql(table, rules)
    for table, rules in plan_cache.INTAKE_TABLES.items()
)
DROP = "".join(
    plan_cache.drop_triggers_sql(table, rules)
    for table, rules in plan_cache.INTAKE_TABLES.items()
)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0002_default_question_set"),
        ("schoolplan", "0005_pupil_plan_version"),
    ]

    operations = [
        migrations.RunPython(
            plan_cache.run_on_postgresql(CREATE), plan_cache.run_on_postgresql(DROP)
        )
    ]
