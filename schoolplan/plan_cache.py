"""The cached parts of the school plan page, and the versions that mark them stale.

Teachers open the plan page many times a day, and most of what it shows
changes only when the pupil's data changes. So the page is cached in two parts:

- the front part (header, front-page sections, PDFs sent, the entry form),
  per pupil, role and day, under `Pupil.front_version`;
- the log part (the entries, the filter), per pupil, viewer, day and query
  string, under `Pupil.log_version`.

PostgreSQL triggers raise these versions in the same transaction as every
insert, update or delete of a row the part shows, however the row was written:
a service, a bulk write or the admin. No service has to remember to do it. A
restore loads rows without firing triggers (see the note on versions below).

A new entry raises only `log_version` unless it is a status note, which the
front page shows. So the page that follows a saved entry renders only its log.
The triggers are created by migrations (`schoolplan` 0005, `absence` 0003,
`intake` 0003) from the table lists below. Without PostgreSQL (the SQLite quick
start) there are no triggers, and nothing is cached.
"""

import hashlib

from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from schoolplan import roles

# NOTE: the triggers miss a staff member's new name (auth_user has none), a
# TRUNCATE, and writes made with triggers disabled (session_replication_role).
# A cached part lives at most this long, so such a change shows within minutes.
PLAN_CACHE_SECONDS = 10 * 60

# The cached parts are rendered with this in place of the CSRF token, and each
# request puts its own token back. Staff text is escaped, so its quotes can
# never form this markup.
CSRF_PLACEHOLDER = "plan-cache-csrf-token"
_CSRF_PLACEHOLDER_MARKUP = f'name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}"'

FRONT = "front_version"
LOG = "log_version"
BOTH = f"{FRONT},{LOG}"

# How to find the pupils a changed row belongs to. `changed_rows` is the
# statement's transition table, the rows it inserted, updated or deleted.
PUPIL_ID = "SELECT pupil_id FROM changed_rows"
SCHOOL_PUPILS = (
    "SELECT id FROM schoolplan_pupil "
    "WHERE school_id IN (SELECT school_id FROM changed_rows)"
)
EVERY_PUPIL = (
    "SELECT id FROM schoolplan_pupil WHERE EXISTS (SELECT 1 FROM changed_rows)"
)


def via(table: str, column: str) -> str:
    """Return a query for the pupils of rows that point at `table` through `column`."""
    return (
        f"SELECT parent.pupil_id FROM {table} parent "
        f"JOIN changed_rows ON changed_rows.{column} = parent.id"
    )


# For each table: (versions to raise, pupil query) pairs. The migrations build
# their triggers from these lists, so a change to them needs a new migration.
SCHOOLPLAN_TABLES = {
    "schoolplan_school": [
        (
            FRONT,
            "SELECT id FROM schoolplan_pupil "
            "WHERE school_id IN (SELECT id FROM changed_rows)",
        )
    ],
    "schoolplan_pupilgroup": [
        (
            FRONT,
            "SELECT id FROM schoolplan_pupil "
            "WHERE group_id IN (SELECT id FROM changed_rows)",
        )
    ],
    "schoolplan_area": [(BOTH, EVERY_PUPIL)],
    "schoolplan_guardian": [(FRONT, PUPIL_ID)],
    "schoolplan_frontpage": [(FRONT, PUPIL_ID)],
    "schoolplan_challenge": [(FRONT, PUPIL_ID)],
    # Entries show a goal's title, and the entry form offers the goals.
    "schoolplan_goal": [(BOTH, PUPIL_ID)],
    "schoolplan_entry": [
        (LOG, PUPIL_ID),
        # The front page shows the latest status note.
        (FRONT, "SELECT pupil_id FROM changed_rows WHERE kind = 'status_note'"),
    ],
    "schoolplan_planexport": [(FRONT, PUPIL_ID)],
    "schoolplan_entry_areas": [(LOG, via("schoolplan_entry", "entry_id"))],
    "schoolplan_amendment": [(LOG, via("schoolplan_entry", "entry_id"))],
    "schoolplan_goalreview": [(FRONT, via("schoolplan_goal", "goal_id"))],
    "schoolplan_goalreview_entries": [(FRONT, via("schoolplan_entry", "entry_id"))],
}

ABSENCE_TABLES = {
    "absence_registration": [(FRONT, PUPIL_ID)],
    "absence_duestepdone": [(FRONT, PUPIL_ID)],
    "absence_success": [(FRONT, PUPIL_ID)],
    "absence_outreachcontact": [(FRONT, PUPIL_ID)],
    "absence_schoolyear": [(FRONT, SCHOOL_PUPILS)],
    "absence_nonschoolday": [
        (
            FRONT,
            "SELECT pupil.id FROM schoolplan_pupil pupil "
            "JOIN absence_schoolyear year ON year.school_id = pupil.school_id "
            "JOIN changed_rows ON changed_rows.school_year_id = year.id",
        )
    ],
    "absence_absencerules": [(FRONT, SCHOOL_PUPILS)],
}

INTAKE_TABLES = {
    "intake_intake": [(FRONT, PUPIL_ID)],
    "intake_measurement": [(FRONT, PUPIL_ID)],
    "intake_scaleanswer": [(FRONT, via("intake_measurement", "measurement_id"))],
    "intake_schoolplacement": [(FRONT, via("intake_intake", "intake_id"))],
    "intake_intakegoal": [(FRONT, via("intake_intake", "intake_id"))],
    "intake_intakeamendment": [(FRONT, via("intake_intake", "intake_id"))],
    "intake_intake_guardians_took_part": [(FRONT, via("intake_intake", "intake_id"))],
    "intake_questionset": [(FRONT, SCHOOL_PUPILS)],
    "intake_questionsetitem": [
        (
            FRONT,
            "SELECT pupil.id FROM schoolplan_pupil pupil "
            "JOIN intake_questionset question_set "
            "ON question_set.school_id = pupil.school_id "
            "JOIN changed_rows ON changed_rows.question_set_id = question_set.id",
        )
    ],
    "intake_scaledquestion": [(FRONT, EVERY_PUPIL)],
}

# A version is the time of the change in microseconds, or one more than the
# version before if that is later. So a restored database, whose versions go
# back, does not hand out a number that pages cached before the restore carry
# (unless the server's clock was set back by more than the time in between).
#
# skoleplan_touch_plans raises the versions named by its second argument for
# the pupils found by the first, a query over the statement's rows. For an
# update the query runs on the rows before and after the change, so a row moved
# to another pupil stales both plans.
TOUCH_FUNCTION = """
CREATE OR REPLACE FUNCTION skoleplan_next_version(version bigint) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    SELECT GREATEST(
        version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
    )
$$;

CREATE OR REPLACE FUNCTION skoleplan_touch_plans() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pupils text;
    raised text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        pupils := replace(TG_ARGV[0], 'changed_rows', 'new_rows');
    ELSIF TG_OP = 'DELETE' THEN
        pupils := replace(TG_ARGV[0], 'changed_rows', 'old_rows');
    ELSE
        pupils := replace(TG_ARGV[0], 'changed_rows', 'old_rows')
            || ' UNION ' || replace(TG_ARGV[0], 'changed_rows', 'new_rows');
    END IF;
    SELECT string_agg(format('%1$I = skoleplan_next_version(%1$I)', version), ', ')
        INTO raised FROM unnest(string_to_array(TG_ARGV[1], ',')) AS version;
    EXECUTE 'UPDATE schoolplan_pupil SET ' || raised
        || ' WHERE id IN (' || pupils || ')';
    RETURN NULL;
END
$$;

-- A pupil row saved by the ORM carries the versions it was read with. This
-- keeps the stored versions from going back, and an edit of the pupil's own
-- fields (the header and the pupil section show them) stales the front part.
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
"""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _trigger_name(versions: str, event: str) -> str:
    return (
        f"skoleplan_touch_{versions.replace('_version', '').replace(',', '_')}_{event}"
    )


def create_triggers_sql(table: str, rules) -> str:
    """Return the SQL that keeps the plan versions current for changes to `table`.

    `rules` is the table's list of (versions, pupil query) pairs. A later
    migration may run it again for a table, so it replaces triggers.
    """
    statements = []
    for versions, pupils in rules:
        statements.append(f"""
CREATE OR REPLACE TRIGGER {_trigger_name(versions, "insert")} AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION skoleplan_touch_plans({_quoted(pupils)}, {_quoted(versions)});
CREATE OR REPLACE TRIGGER {_trigger_name(versions, "update")} AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION skoleplan_touch_plans(
        {_quoted(pupils)}, {_quoted(versions)});
CREATE OR REPLACE TRIGGER {_trigger_name(versions, "delete")} AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION skoleplan_touch_plans({_quoted(pupils)}, {_quoted(versions)});
""")
    return "".join(statements)


def drop_triggers_sql(table: str, rules) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS {_trigger_name(versions, event)} ON {table};\n"
        for versions, _pupils in rules
        for event in ("insert", "update", "delete")
    )


def run_on_postgresql(sql: str):
    """Return a RunPython function that runs `sql` on PostgreSQL only."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def is_enabled() -> bool:
    return connection.vendor == "postgresql"


def front_key(request, pupil, today) -> str:
    """Return the cache key of the front part; it differs by role, not by user."""
    return (
        f"plan-front:{pupil.pk}:{pupil.front_version}:{today.isoformat()}:"
        f"{get_language()}:{roles.role_of(request.user)}"
    )


def log_key(request, pupil, today) -> str:
    """Return the cache key of the log part.

    The log differs by user and role (who may correct or amend which entry)
    and by query string (filter and page).
    """
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:16]
    return (
        f"plan-log:{pupil.pk}:{pupil.log_version}:{today.isoformat()}:"
        f"{get_language()}:{request.user.pk}:{roles.role_of(request.user)}:{query}"
    )


def cached_part(request, key: str, *, pupil, version: str, context, templates) -> dict:
    """Return a part's HTML pieces, from the cache or rendered afresh.

    `context()` builds the template context and is called only when the cache
    lacks the part. `templates` maps each piece's name to its template. The
    pieces are stored with a placeholder CSRF token and get the request's own.
    They are stored only if the pupil's `version` (FRONT or LOG) is unchanged
    after rendering: a write in between may show in them, which would make
    them newer than the version in `key`.
    """
    if not is_enabled():
        pieces = _render(request, context(), templates)
        return {name: mark_safe(html) for name, html in pieces.items()}

    pieces = cache.get(key)
    if pieces is None:
        read_version = getattr(pupil, version)
        pieces = _render(
            request, {**context(), "csrf_token": CSRF_PLACEHOLDER}, templates
        )
        unchanged = type(pupil).objects.filter(pk=pupil.pk, **{version: read_version})
        if unchanged.exists():
            cache.set(key, pieces, PLAN_CACHE_SECONDS)

    token = f'name="csrfmiddlewaretoken" value="{get_token(request)}"'
    # Rendered (and escaped) by our own templates, in full or from the cache.
    return {
        name: mark_safe(html.replace(_CSRF_PLACEHOLDER_MARKUP, token))
        for name, html in pieces.items()
    }


def _render(request, context: dict, templates: dict) -> dict:
    return {
        name: render_to_string(template, context, request)
        for name, template in templates.items()
    }


def trigger_operation(tables: dict):
    """Return the migration operation that creates the triggers for `tables`."""
    from django.db import migrations

    create = "".join(
        create_triggers_sql(table, rules) for table, rules in tables.items()
    )
    drop = "".join(drop_triggers_sql(table, rules) for table, rules in tables.items())
    return migrations.RunPython(run_on_postgresql(create), run_on_postgresql(drop))
