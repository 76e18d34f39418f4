"""Add the pupil's absence version and the entry's version, and their triggers.

The absence figures on the plan page are cached under `Pupil.absence_version`
and each entry's card under `Entry.version` (schoolplan/plan_cache.py). The
absence app's migration 0005 moves its tables' triggers to the new version.
A renamed group raises both the front and the absence version.
"""

from django.db import migrations, models

from schoolplan import plan_cache

# The pupil's trigger function as migration 0005 created it, for going back.
PUPIL_VERSIONS_0005 = """
CREATE OR REPLACE FUNCTION skoleplan_pupil_versions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.front_version := GREATEST(NEW.front_version, OLD.front_version);
    NEW.log_version := GREATEST(NEW.log_version, OLD.log_version);
    IF to_jsonb(NEW) - 'front_version' - 'log_version'
            IS DISTINCT FROM to_jsonb(OLD) - 'front_version' - 'log_version' THEN
        NEW.front_version := skoleplan_next_version(NEW.front_version);
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER skoleplan_pupil_versions BEFORE UPDATE ON schoolplan_pupil
    FOR EACH ROW EXECUTE FUNCTION skoleplan_pupil_versions();
"""

# A group's name is shown with the absence figures too (see plan_cache.py).
GROUP_TABLE = "schoolplan_pupilgroup"
GROUP_RULES = plan_cache.SCHOOLPLAN_TABLES[GROUP_TABLE]
GROUP_RULES_0005 = [(plan_cache.FRONT, pupils) for _versions, pupils in GROUP_RULES]

CREATE = (
    plan_cache.TOUCH_FUNCTION
    + plan_cache.VERSION_ROW_TRIGGERS
    + "".join(
        plan_cache.create_entry_triggers_sql(table, entries)
        for table, entries in plan_cache.ENTRY_CARD_TABLES.items()
    )
    + plan_cache.drop_triggers_sql(GROUP_TABLE, GROUP_RULES_0005)
    + plan_cache.create_triggers_sql(GROUP_TABLE, GROUP_RULES)
)

DROP = (
    "".join(
        plan_cache.drop_entry_triggers_sql(table)
        for table in plan_cache.ENTRY_CARD_TABLES
    )
    + "DROP TRIGGER IF EXISTS skoleplan_entry_version ON schoolplan_entry;\n"
    + "DROP FUNCTION IF EXISTS skoleplan_touch_entries();\n"
    + "DROP FUNCTION IF EXISTS skoleplan_entry_version();\n"
    + PUPIL_VERSIONS_0005
    + plan_cache.drop_triggers_sql(GROUP_TABLE, GROUP_RULES)
    + plan_cache.create_triggers_sql(GROUP_TABLE, GROUP_RULES_0005)
)


class Migration(migrations.Migration):
    dependencies = [("schoolplan", "0005_pupil_plan_version")]

    operations = [
        migrations.AddField(
            model_name="pupil",
            name="absence_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="entry",
            name="version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(
            plan_cache.run_on_postgresql(CREATE), plan_cache.run_on_postgresql(DROP)
        ),
    ]
