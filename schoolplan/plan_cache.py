"""The cached body of the school plan page, and the version that marks it stale.

Teachers open the plan page many times a day, and most of what it shows (the
front-page sections, the log, the forms) changes only when the pupil's data
changes. So the rendered body is cached per pupil, viewer, day and query string.

`Pupil.plan_version` says when the cache is stale. PostgreSQL triggers raise it
in the same transaction as every insert, update or delete of a row the page
shows, however the row was written: a service, a bulk write, the admin or a
restore. No service has to remember to do it. The triggers are created by
migrations (`schoolplan` 0005, `absence` 0003, `intake` 0003) from the table
lists below. Without PostgreSQL (the SQLite quick start) there are no triggers,
and nothing is cached.
"""

import hashlib

from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import get_token
from django.utils.translation import get_language

# Even with the triggers, a cached body lives at most this long, so a change
# they do not see (a staff member's new name, say) shows within minutes.
PLAN_CACHE_SECONDS = 10 * 60

# The cached body is rendered with this in place of the CSRF token; each
# request puts its own token back. Staff text is escaped, so its quotes can
# never form this markup.
CSRF_PLACEHOLDER = "plan-cache-csrf-token"
_CSRF_PLACEHOLDER_MARKUP = f'name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}"'

# How to find the pupils a changed row belongs to. `changed_rows` is the
# statement's transition table, the rows it inserted, updated or deleted.
# The migrations build their triggers from these lists, so a change to them
# needs a new migration.
PUPIL_ID = "SELECT pupil_id FROM changed_rows"
SCHOOL_PUPILS = (
    "SELECT id FROM schoolplan_pupil "
    "WHERE school_id IN (SELECT school_id FROM changed_rows)"
)
EVERY_PUPIL = (
    "SELECT id FROM schoolplan_pupil WHERE EXISTS (SELECT 1 FROM changed_rows)"
)


def via(table: str, column: str) -> str:
    """Pupils of rows that point at `table` through `column`."""
    return (
        f"SELECT parent.pupil_id FROM {table} parent "
        f"JOIN changed_rows ON changed_rows.{column} = parent.id"
    )


SCHOOLPLAN_TABLES = {
    "schoolplan_school": (
        "SELECT id FROM schoolplan_pupil "
        "WHERE school_id IN (SELECT id FROM changed_rows)"
    ),
    "schoolplan_pupilgroup": (
        "SELECT id FROM schoolplan_pupil "
        "WHERE group_id IN (SELECT id FROM changed_rows)"
    ),
    "schoolplan_area": EVERY_PUPIL,
    "schoolplan_guardian": PUPIL_ID,
    "schoolplan_frontpage": PUPIL_ID,
    "schoolplan_challenge": PUPIL_ID,
    "schoolplan_goal": PUPIL_ID,
    "schoolplan_entry": PUPIL_ID,
    "schoolplan_planexport": PUPIL_ID,
    "schoolplan_entry_areas": via("schoolplan_entry", "entry_id"),
    "schoolplan_amendment": via("schoolplan_entry", "entry_id"),
    "schoolplan_goalreview": via("schoolplan_goal", "goal_id"),
    "schoolplan_goalreview_entries": via("schoolplan_entry", "entry_id"),
}

ABSENCE_TABLES = {
    "absence_registration": PUPIL_ID,
    "absence_duestepdone": PUPIL_ID,
    "absence_success": PUPIL_ID,
    "absence_outreachcontact": PUPIL_ID,
    "absence_schoolyear": SCHOOL_PUPILS,
    "absence_nonschoolday": (
        "SELECT pupil.id FROM schoolplan_pupil pupil "
        "JOIN absence_schoolyear year ON year.school_id = pupil.school_id "
        "JOIN changed_rows ON changed_rows.school_year_id = year.id"
    ),
    # Every saved register raises the rules' data_version for the dashboard's
    # cache; only a change to the rules themselves concerns the plan pages.
    "absence_absencerules": SCHOOL_PUPILS,
}

# For an update, a table listed here uses this query instead of its own.
UPDATE_PUPILS = {
    "absence_absencerules": (
        "SELECT pupil.id FROM schoolplan_pupil pupil "
        "JOIN new_rows ON new_rows.school_id = pupil.school_id "
        "JOIN old_rows ON old_rows.id = new_rows.id "
        "WHERE to_jsonb(old_rows) - 'data_version' "
        "IS DISTINCT FROM to_jsonb(new_rows) - 'data_version'"
    ),
}

INTAKE_TABLES = {
    "intake_intake": PUPIL_ID,
    "intake_measurement": PUPIL_ID,
    "intake_scaleanswer": via("intake_measurement", "measurement_id"),
    "intake_schoolplacement": via("intake_intake", "intake_id"),
    "intake_intakegoal": via("intake_intake", "intake_id"),
    "intake_intakeamendment": via("intake_intake", "intake_id"),
    "intake_intake_guardians_took_part": via("intake_intake", "intake_id"),
    "intake_questionset": SCHOOL_PUPILS,
    "intake_questionsetitem": (
        "SELECT pupil.id FROM schoolplan_pupil pupil "
        "JOIN intake_questionset question_set "
        "ON question_set.school_id = pupil.school_id "
        "JOIN changed_rows ON changed_rows.question_set_id = question_set.id"
    ),
    "intake_scaledquestion": EVERY_PUPIL,
}

# Raises plan_version of the pupils the statement's rows belong to. The pupil
# query is the trigger's argument. For an update the query runs on the rows
# before and after the change, so a row moved to another pupil stales both plans.
TOUCH_FUNCTION = """
CREATE OR REPLACE FUNCTION skoleplan_touch_plans() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pupils text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        pupils := replace(TG_ARGV[0], 'changed_rows', 'new_rows');
    ELSIF TG_OP = 'DELETE' THEN
        pupils := replace(TG_ARGV[0], 'changed_rows', 'old_rows');
    ELSE
        pupils := replace(TG_ARGV[0], 'changed_rows', 'old_rows')
            || ' UNION ' || replace(TG_ARGV[0], 'changed_rows', 'new_rows');
    END IF;
    EXECUTE 'UPDATE schoolplan_pupil SET plan_version = plan_version + 1 '
        || 'WHERE id IN (' || pupils || ')';
    RETURN NULL;
END
$$;

-- A pupil row saved by the ORM carries the version it was read with; this
-- makes every update count up from the stored value instead.
CREATE OR REPLACE FUNCTION skoleplan_next_plan_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.plan_version := OLD.plan_version + 1;
    RETURN NEW;
END
$$;
"""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_triggers_sql(table: str, pupils: str) -> str:
    """Return the SQL that keeps plan_version current for changes to `table`.

    A later migration may run it again for a table, so it replaces triggers.
    """
    update_pupils = UPDATE_PUPILS.get(table, pupils)
    return f"""
CREATE OR REPLACE TRIGGER skoleplan_touch_plans_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION skoleplan_touch_plans({_quoted(pupils)});
CREATE OR REPLACE TRIGGER skoleplan_touch_plans_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION skoleplan_touch_plans({_quoted(update_pupils)});
CREATE OR REPLACE TRIGGER skoleplan_touch_plans_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION skoleplan_touch_plans({_quoted(pupils)});
"""


def drop_triggers_sql(table: str) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS skoleplan_touch_plans_{event} ON {table};\n"
        for event in ("insert", "update", "delete")
    )


def run_on_postgresql(sql: str):
    """Return a RunPython function that runs `sql` on PostgreSQL only."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


def is_enabled() -> bool:
    return connection.vendor == "postgresql"


def body_key(request, pupil, today) -> str:
    """Return the cache key of the plan body the request would see."""
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:16]
    return (
        f"plan:{pupil.pk}:{pupil.plan_version}:{today.isoformat()}:"
        f"{get_language()}:{request.user.pk}:{query}"
    )


def cached_body(request, pupil, today, render) -> str:
    """Return the plan body, from the cache or from `render(extra_context)`.

    `render` takes a dict of extra template context and returns the HTML. The
    HTML is stored with a placeholder CSRF token and gets the request's own.
    """
    if not is_enabled():
        return render({})

    key = body_key(request, pupil, today)
    body = cache.get(key)
    if body is None:
        body = render({"csrf_token": CSRF_PLACEHOLDER})
        cache.set(key, body, PLAN_CACHE_SECONDS)

    return body.replace(
        _CSRF_PLACEHOLDER_MARKUP,
        f'name="csrfmiddlewaretoken" value="{get_token(request)}"',
    )
