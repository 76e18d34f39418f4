"""Raise a pupil's plan versions when this app's rows of the pupil change.

See schoolplan/plan_cache.py; the tables and their pupil queries are listed there.
"""

from django.db import migrations

from schoolplan import plan_cache

class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0002_default_question_set"),
        ("schoolplan", "0005_pupil_plan_version"),
    ]

    operations = [plan_cache.trigger_operation(plan_cache.INTAKE_TABLES)]
