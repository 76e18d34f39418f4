"""The cached parts of the school plan page, and the versions that mark them stale.

Teachers open the plan page many times a day, and most of what it shows
changes only when the pupil's data changes. So the page is cached in parts:

- the front part (header, most front-page sections, PDFs sent, the entry form),
  per pupil, viewer's rights and day, under `Pupil.front_version`;
- each front-page section that shows absence figures, per pupil, rights and day,
  under `Pupil.absence_version` and whatever else the section names in
  `Section.versions`, so a saved register renders only those sections;
- the log part (the entries, the filter), per pupil, viewer, day and query
  string, under `Pupil.log_version`. When it misses, each entry's card and the
  filter card are taken from a per-pupil store of rendered pieces where their
  content is unchanged (`cached_log_pieces`), so a new entry renders one card.

PostgreSQL triggers raise these versions in the same transaction as every
insert, update or delete of a row the part shows, however the row was written:
a service, a bulk write or the admin. No service has to remember to do it. A
restore loads rows without firing triggers (see the note on versions below).

A new entry raises only `log_version` unless it is a status note, which the
front page shows. So the page that follows a saved entry renders only its log.
The triggers are created by migrations (`schoolplan` 0005 and 0006, `absence`
0003 to 0005, `intake` 0003) from the table lists below. Without PostgreSQL
(the SQLite quick start) there are no triggers, and nothing is cached.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

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

# Coordinators and leadership share the front parts, so the parts are rendered
# as for a viewer outside leadership. The header has this marker where the
# plan view puts leadership's data protection menu. Staff text is escaped, so
# it can never contain the marker.
LEADERSHIP_MENU_MARKER = "<!-- leadership-menu -->"
_SHARED_RENDER_CONTEXT = {"user_is_leadership": False}

FRONT = "front_version"
ABSENCE = "absence_version"
LOG = "log_version"
BOTH = f"{FRONT},{LOG}"
FRONT_AND_ABSENCE = f"{FRONT},{ABSENCE}"

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
    # The header shows the group's name, and so does the absence dashboard,
    # which follows `absence_version`.
    "schoolplan_pupilgroup": [
        (
            FRONT_AND_ABSENCE,
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

# The absence tables raise `absence_version`, which only the sections with
# absence figures are cached under. The successes section is an ordinary
# front-page section: a success does not change the figures.
ABSENCE_TABLES = {
    "absence_registration": [(ABSENCE, PUPIL_ID)],
    "absence_duestepdone": [(ABSENCE, PUPIL_ID)],
    "absence_success": [(FRONT, PUPIL_ID)],
    "absence_outreachcontact": [(ABSENCE, PUPIL_ID)],
    "absence_schoolyear": [(ABSENCE, SCHOOL_PUPILS)],
    "absence_nonschoolday": [
        (
            ABSENCE,
            "SELECT pupil.id FROM schoolplan_pupil pupil "
            "JOIN absence_schoolyear year ON year.school_id = pupil.school_id "
            "JOIN changed_rows ON changed_rows.school_year_id = year.id",
        )
    ],
    "absence_absencerules": [(ABSENCE, SCHOOL_PUPILS)],
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

# For each table: the query for the entries whose card shows a changed row.
# Their `Entry.version` is raised, and the entry's own triggers then raise the
# pupil's `log_version`. The entry row itself is handled by
# skoleplan_entry_version below.
ENTRY_CARD_TABLES = {
    "schoolplan_entry_areas": "SELECT entry_id FROM changed_rows",
    "schoolplan_amendment": "SELECT entry_id FROM changed_rows",
    # Cards show the goal's title and the area's label.
    "schoolplan_goal": (
        "SELECT id FROM schoolplan_entry WHERE goal_id IN (SELECT id FROM changed_rows)"
    ),
    "schoolplan_area": (
        "SELECT entry_id FROM schoolplan_entry_areas "
        "WHERE area_id IN (SELECT id FROM changed_rows)"
    ),
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
-- fields stales the front part (the header and the pupil section show them)
-- and the absence figures (which depend on the start date, leaving date and
-- group). A new pupil starts at the clock, so a pupil id handed out again
-- after a restore does not meet parts cached for the lost pupil.
CREATE OR REPLACE FUNCTION skoleplan_pupil_versions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.front_version := skoleplan_next_version(NEW.front_version);
        NEW.absence_version := skoleplan_next_version(NEW.absence_version);
        NEW.log_version := skoleplan_next_version(NEW.log_version);
        RETURN NEW;
    END IF;
    NEW.front_version := GREATEST(NEW.front_version, OLD.front_version);
    NEW.absence_version := GREATEST(NEW.absence_version, OLD.absence_version);
    NEW.log_version := GREATEST(NEW.log_version, OLD.log_version);
    IF to_jsonb(NEW) - 'front_version' - 'absence_version' - 'log_version'
            IS DISTINCT FROM
            to_jsonb(OLD) - 'front_version' - 'absence_version' - 'log_version' THEN
        NEW.front_version := skoleplan_next_version(NEW.front_version);
        NEW.absence_version := skoleplan_next_version(NEW.absence_version);
    END IF;
    RETURN NEW;
END
$$;

-- The same rule for an entry's own version: it starts at the clock (entry ids
-- are handed out again after a restore) and rises with every change of the
-- row, including the raise by skoleplan_touch_entries.
CREATE OR REPLACE FUNCTION skoleplan_entry_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := skoleplan_next_version(NEW.version);
        RETURN NEW;
    END IF;
    NEW.version := GREATEST(NEW.version, OLD.version);
    IF to_jsonb(NEW) - 'version' IS DISTINCT FROM to_jsonb(OLD) - 'version' THEN
        NEW.version := skoleplan_next_version(NEW.version);
    END IF;
    RETURN NEW;
END
$$;

-- skoleplan_touch_entries raises the version of the entries found by its
-- argument, a query over the statement's rows (as for skoleplan_touch_plans).
CREATE OR REPLACE FUNCTION skoleplan_touch_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    entries text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        entries := replace(TG_ARGV[0], 'changed_rows', 'new_rows');
    ELSIF TG_OP = 'DELETE' THEN
        entries := replace(TG_ARGV[0], 'changed_rows', 'old_rows');
    ELSE
        entries := replace(TG_ARGV[0], 'changed_rows', 'old_rows')
            || ' UNION ' || replace(TG_ARGV[0], 'changed_rows', 'new_rows');
    END IF;
    EXECUTE 'UPDATE schoolplan_entry SET version = skoleplan_next_version(version)'
        || ' WHERE id IN (' || entries || ')';
    RETURN NULL;
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


# The row triggers that keep the pupil's and the entry's own versions.
VERSION_ROW_TRIGGERS = """
CREATE OR REPLACE TRIGGER skoleplan_pupil_versions
    BEFORE INSERT OR UPDATE ON schoolplan_pupil
    FOR EACH ROW EXECUTE FUNCTION skoleplan_pupil_versions();
CREATE OR REPLACE TRIGGER skoleplan_entry_version
    BEFORE INSERT OR UPDATE ON schoolplan_entry
    FOR EACH ROW EXECUTE FUNCTION skoleplan_entry_version();
"""


def create_entry_triggers_sql(table: str, entries: str) -> str:
    """Return the SQL that raises `Entry.version` for changes to `table`."""
    return "".join(
        f"""
CREATE OR REPLACE TRIGGER skoleplan_entry_version_{event}
    AFTER {event.upper()} ON {table}
    REFERENCING {transition} FOR EACH STATEMENT
    EXECUTE FUNCTION skoleplan_touch_entries({_quoted(entries)});
"""
        for event, transition in (
            ("insert", "NEW TABLE AS new_rows"),
            ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("delete", "OLD TABLE AS old_rows"),
        )
    )


def drop_entry_triggers_sql(table: str) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS skoleplan_entry_version_{event} ON {table};\n"
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


def front_rights(user) -> str:
    """Return the viewer's rights that the front parts show, as part of a key.

    Teachers get one version of the front parts, and coordinators and
    leadership, who may edit the front page and export plans, share another.
    """
    return f"edit={roles.edits_front_page(user):d}:export={roles.exports_plan(user):d}"


def front_key(request, pupil, today, versions=(FRONT,)) -> str:
    """Return the cache key of a front-page part cached under the pupil's `versions`.

    It differs by the viewer's rights (`front_rights`), not by user or role.
    """
    stamps = ":".join(f"{version}={getattr(pupil, version)}" for version in versions)
    return (
        f"plan-front:{pupil.pk}:{stamps}:{today.isoformat()}:"
        f"{get_language()}:{front_rights(request.user)}"
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


@dataclass(frozen=True)
class Part:
    """One cached part of the plan page.

    `versions` names the pupil's version fields whose values `key` contains. `build()`
    returns {piece name: (template, context) or ready HTML} and is called only
    when the cache lacks the part.
    """

    key: str
    versions: tuple[str, ...]
    build: Callable[[], dict]


def cached_parts(request, pupil, parts: dict[str, Part]) -> dict[str, dict]:
    """Return each part's HTML pieces, from the cache or rendered afresh.

    The pieces are stored with a placeholder CSRF token and get the request's
    own. A rendered part is stored only if the pupil's versions it is cached
    under are unchanged after rendering: a write in between may show in it,
    which would make it newer than the versions in its key.
    """
    if not is_enabled():
        return {
            name: {
                piece: mark_safe(html)
                for piece, html in _render(
                    request, part.build(), **_SHARED_RENDER_CONTEXT
                ).items()
            }
            for name, part in parts.items()
        }

    found = cache.get_many([part.key for part in parts.values()])
    rendered = {
        name: _render(
            request,
            part.build(),
            csrf_token=CSRF_PLACEHOLDER,
            **_SHARED_RENDER_CONTEXT,
        )
        for name, part in parts.items()
        if part.key not in found
    }
    if rendered:
        versions = {version for name in rendered for version in parts[name].versions}
        current = _current_versions(pupil, sorted(versions))
        cache.set_many(
            {
                parts[name].key: pieces
                for name, pieces in rendered.items()
                if all(
                    current.get(version) == getattr(pupil, version)
                    for version in parts[name].versions
                )
            },
            PLAN_CACHE_SECONDS,
        )

    token = f'name="csrfmiddlewaretoken" value="{get_token(request)}"'
    # Rendered (and escaped) by our own templates, in full or from the cache.
    return {
        name: {
            piece: mark_safe(html.replace(_CSRF_PLACEHOLDER_MARKUP, token))
            for piece, html in (
                rendered[name] if name in rendered else found[part.key]
            ).items()
        }
        for name, part in parts.items()
    }


def _current_versions(pupil, versions: list[str]) -> dict:
    """Return the pupil's stored `versions`, or {} if the pupil is gone.

    The field names come from this module's constants. A plain query skips the
    ORM's SQL compiling, which took about as long as the query when profiled.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(versions)} FROM schoolplan_pupil WHERE id = %s",
            [pupil.pk],
        )
        row = cursor.fetchone()
    return dict(zip(versions, row, strict=True)) if row else {}


def _render(request, pieces: dict, **extra) -> dict:
    rendered = {}
    for name, piece in pieces.items():
        if isinstance(piece, str):
            rendered[name] = str(piece)
        else:
            template, context = piece
            rendered[name] = render_to_string(template, {**context, **extra}, request)
    return rendered


# The log's reusable pieces kept per pupil: at most this many, dropping the
# ones shown longest ago. One cache entry per pupil rather than one per card
# keeps the pieces from crowding the pages out of a cache with a small
# MAX_ENTRIES.
LOG_PIECES_KEPT = 60


def log_pieces_key(pupil) -> str:
    return f"plan-log-pieces:{pupil.pk}"


def cached_log_pieces(pupil, keys: dict, render) -> dict:
    """Return {name: HTML} for the log pieces named in `keys`, rendering only misses.

    `keys` maps each piece's name to a key that changes whenever the piece's
    HTML would change, for example an entry card's id, `Entry.version`,
    language and the viewer's links. `render(names)` returns {name: HTML} for
    the names given; a name it leaves out (a row deleted meanwhile) is left
    out of the result. A piece is kept at most PLAN_CACHE_SECONDS, so what no
    version tracks (a staff member's new name) shows within minutes.

    Unlike a part, a piece needs no version check after rendering, because it
    is never older than its key: the caller takes the key from the rows the
    piece is rendered from, or from rows read before them.
    """
    if not is_enabled():
        return {name: mark_safe(html) for name, html in render(list(keys)).items()}

    now = time.time()
    stored = {
        key: (stored_at, html)
        for key, (stored_at, html) in (cache.get(log_pieces_key(pupil)) or {}).items()
        if now - stored_at < PLAN_CACHE_SECONDS
    }
    missing = [name for name, key in keys.items() if key not in stored]
    rendered = render(missing) if missing else {}

    pieces = {}
    for name, key in keys.items():
        if key in stored:
            pieces[name] = stored[key][1]
        elif name in rendered:
            pieces[name] = rendered[name]
            stored[key] = (now, rendered[name])
    if missing:
        # Insertion order is the age: the pieces shown now go last.
        for key in keys.values():
            if key in stored:
                stored[key] = stored.pop(key)
        newest = dict(list(stored.items())[-LOG_PIECES_KEPT:])
        cache.set(log_pieces_key(pupil), newest, PLAN_CACHE_SECONDS)
    # Rendered (and escaped) by our own templates, now or earlier.
    return {name: mark_safe(html) for name, html in pieces.items()}


def trigger_operation(tables: dict):
    """Return the migration operation that creates the triggers for `tables`."""
    from django.db import migrations

    create = "".join(
        create_triggers_sql(table, rules) for table, rules in tables.items()
    )
    drop = "".join(drop_triggers_sql(table, rules) for table, rules in tables.items())
    return migrations.RunPython(run_on_postgresql(create), run_on_postgresql(drop))
