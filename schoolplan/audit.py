"""The domain audit trail: who opened, searched, changed or exported which pupil."""

from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise

from schoolplan.models import AccessLogEntry, Pupil


def record_access(
    user, action: str, *, pupil: Pupil | None = None, what: str | Promise = ""
) -> None:
    """Append one row to the access log. `what` must not contain note text.

    A lazy translation in `what` is stored in the active language.
    """
    record_accesses(
        user, action, pupil_ids=[pupil.pk if pupil is not None else None], what=what
    )


# One INSERT statement with a row per pupil. The register's ten rows took about
# twice as long through bulk_create (cProfile of bench/absence_pages.py), which
# compiles the INSERT and wraps it in a transaction of its own, and BEGIN and
# COMMIT cost a round trip each.
_INSERT_SQL = "INSERT INTO {table} (at, user_id, pupil_id, action, what) VALUES {rows}"


def record_accesses(
    user, action: str, *, pupil_ids: list[int | None], what: str | Promise = ""
) -> None:
    """Append a row to the access log for each pupil id (None: no pupil). One query.

    All rows get the same time. `what` is as for `record_access`.
    """
    if not pupil_ids:
        return

    at = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = user.pk if user.is_authenticated else None
    what = str(what)[: AccessLogEntry._meta.get_field("what").max_length]
    sql = _INSERT_SQL.format(
        table=AccessLogEntry._meta.db_table,
        rows=", ".join(["(%s, %s, %s, %s, %s)"] * len(pupil_ids)),
    )
    params = []
    for pupil_id in pupil_ids:
        params += [at, user_id, pupil_id, str(action), what]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
