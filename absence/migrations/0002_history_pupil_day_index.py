"""Index the history of registrations by day and pupil.

The register shows each pupil's changes on the day it opens. Without this
index PostgreSQL scans every history row of the pupils (about 200 per pupil
and school year). django-simple-history builds the historical model itself,
so the index cannot go in a model's Meta; it is created here in SQL only.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("absence", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS absence_history_day_pupil "
            "ON absence_historicalregistration (day, pupil_id)",
            reverse_sql="DROP INDEX IF EXISTS absence_history_day_pupil",
        )
    ]
