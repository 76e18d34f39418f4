"""Raise the pupil's absence version, not the front version, for absence rows.

Only the plan page's sections with absence figures are cached under
`Pupil.absence_version` (schoolplan/plan_cache.py), so a saved register no
longer stales the rest of the front page. Successes stay on the front version.
"""

from django.db import migrations

from schoolplan import plan_cache

# What migration 0003 created: every absence table raised the front version.
FRONT_TABLES = {
    table: [(plan_cache.FRONT, pupils) for _versions, pupils in rules]
    for table, rules in plan_cache.ABSENCE_TABLES.items()
}
MOVED_TABLES = {
    table: rules
    for table, rules in plan_cache.ABSENCE_TABLES.items()
    if rules != FRONT_TABLES[table]
}


def _sql(drop_tables: dict, create_tables: dict) -> str:
    return "".join(
        plan_cache.drop_triggers_sql(table, rules)
        for table, rules in drop_tables.items()
    ) + "".join(
        plan_cache.create_triggers_sql(table, rules)
        for table, rules in create_tables.items()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("absence", "0004_remove_data_version"),
        ("schoolplan", "0006_absence_and_entry_versions"),
    ]

    operations = [
        migrations.RunPython(
            plan_cache.run_on_postgresql(
                _sql({t: FRONT_TABLES[t] for t in MOVED_TABLES}, MOVED_TABLES)
            ),
            plan_cache.run_on_postgresql(
                _sql(MOVED_TABLES, {t: FRONT_TABLES[t] for t in MOVED_TABLES})
            ),
        )
    ]
