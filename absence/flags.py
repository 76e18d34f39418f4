"""The absence rules and what they call for, computed in PostgreSQL.

Defaults (each a setting of the school in `AbsenceRules`), from the Danish
absence order and common municipal practice:

- unlawful absence of 10 % or more of a calendar quarter's school days: warn
  the parents (child benefit may stop at 15 %);
- 15 % or more: the school leader must notify the municipality, attaching the
  statement of the pupil's absence;
- concerning absence, which has no national threshold: 5 consecutive school
  days absent (within the last 20), or 5 of the last 20 school days, or 15 of
  the last 60, or 10 % total absence in the current quarter;
- 15 school days of illness in the school year: contact the parents about
  teaching during illness.

The two unlawful-absence flags are raised for the current and the previous
quarter, so a quarter that ended over the threshold stays due until someone
marks the step done.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils.translation import pgettext_lazy

from absence.figures import (
    _DAY_FIGURE,
    _SCHOOL_DAY,
    _SPAN,
    _SUMS,
    PupilFigures,
    _fetch,
    _params,
    previous_quarter_start,
    pupil_figures_from_rows,
    quarter_end,
    quarter_start,
    school_year_start,
)
from absence.models import AbsenceRules, DueStepDone

# Sixty school days reach back about twelve teaching weeks, plus the summer
# holidays when the window crosses them.
_WINDOW_CALENDAR_DAYS = 160

# The consecutive-days rule looks for a run of absent days among this many
# latest school days, so the rule cannot ask for a longer run.
CONSECUTIVE_WINDOW_SCHOOL_DAYS = 20

# The flags of the pupils measured, from day_figure (see figures.py).
_FLAG_CTES = f"""
quarter_figure AS (
    SELECT pupil_id, quarter, count(*) AS school_days, sum(unlawful) AS unlawful,
           sum(absent) + sum(partial) AS absent
    FROM day_figure
    WHERE quarter >= %(previous_quarter)s::date
    GROUP BY pupil_id, quarter
),
recent AS (
    SELECT pupil_id, absent,
           row_number() OVER (PARTITION BY pupil_id ORDER BY day DESC) AS rn
    FROM day_figure
),
window_figure AS (
    SELECT pupil_id,
           sum(absent) FILTER (WHERE rn <= 20) AS of_20,
           sum(absent) AS of_60
    FROM recent WHERE rn <= 60
    GROUP BY pupil_id
),
absent_island AS (
    SELECT pupil_id,
           rn - row_number() OVER (PARTITION BY pupil_id ORDER BY rn) AS island
    FROM recent WHERE rn <= {CONSECUTIVE_WINDOW_SCHOOL_DAYS} AND absent = 1
),
longest_run AS (
    SELECT pupil_id, max(length) AS days
    FROM (SELECT pupil_id, count(*) AS length FROM absent_island
          GROUP BY pupil_id, island) runs
    GROUP BY pupil_id
),
illness AS (
    SELECT pupil_id, sum(illness) AS days
    FROM day_figure WHERE day >= %(school_year_start)s::date
    GROUP BY pupil_id
),
flag AS (
    SELECT pupil_id, 'warning' AS kind, quarter AS period_start, school_days,
           100.0 * unlawful / school_days AS percent,
           NULL::bigint AS longest_run, NULL::bigint AS of_20, NULL::bigint AS of_60,
           NULL::bigint AS illness_days
    FROM quarter_figure
    WHERE 100 * unlawful >= %(warning_percent)s * school_days
  UNION ALL
    SELECT pupil_id, 'notify', quarter, school_days, 100.0 * unlawful / school_days,
           NULL, NULL, NULL, NULL
    FROM quarter_figure
    WHERE 100 * unlawful >= %(notify_percent)s * school_days
  UNION ALL
    SELECT q.pupil_id, 'concerning', q.quarter, q.school_days,
           100.0 * q.absent / q.school_days,
           COALESCE(r.days, 0), w.of_20, w.of_60, NULL
    FROM quarter_figure q
    LEFT JOIN window_figure w ON w.pupil_id = q.pupil_id
    LEFT JOIN longest_run r ON r.pupil_id = q.pupil_id
    WHERE q.quarter = %(current_quarter)s::date
      AND (COALESCE(r.days, 0) >= %(consecutive)s
           OR w.of_20 >= %(days_of_20)s
           OR w.of_60 >= %(days_of_60)s
           OR 100 * q.absent >= %(concerning_percent)s * q.school_days)
  UNION ALL
    SELECT pupil_id, 'illness_teaching', %(school_year_start)s::date, NULL, NULL,
           NULL, NULL, NULL, days
    FROM illness
    WHERE days >= %(illness_days)s
)"""

_FLAGS = f"""
WITH {_SCHOOL_DAY}, {_SPAN}, {_DAY_FIGURE},{_FLAG_CTES}
SELECT flag.*, done.id AS done_id, done.done_at, done.note AS done_note,
       u.first_name AS done_by_first_name, u.last_name AS done_by_last_name,
       u.username AS done_by_username
FROM flag
LEFT JOIN absence_duestepdone done
  ON done.pupil_id = flag.pupil_id AND done.kind = flag.kind
 AND done.period_start = flag.period_start
LEFT JOIN auth_user u ON u.id = done.done_by_id
ORDER BY done.id IS NOT NULL, flag.period_start DESC, flag.pupil_id, flag.kind
"""


# Short names for the dashboard's badges; the full step is `DueStepDone.Kind`'s label.
SHORT_LABELS = {
    DueStepDone.Kind.WARNING: pgettext_lazy("absence flag", "Warning"),
    DueStepDone.Kind.NOTIFY: pgettext_lazy("absence flag", "Notification"),
    DueStepDone.Kind.CONCERNING: pgettext_lazy("absence flag", "Concerning absence"),
    DueStepDone.Kind.ILLNESS_TEACHING: pgettext_lazy(
        "absence flag", "Teaching during illness"
    ),
}
# The order in which the dashboard lists pupils: the legal duties first.
SEVERITY = [
    DueStepDone.Kind.NOTIFY,
    DueStepDone.Kind.WARNING,
    DueStepDone.Kind.ILLNESS_TEACHING,
    DueStepDone.Kind.CONCERNING,
]


@dataclass(frozen=True)
class Flag:
    """A rule that a pupil's absence crossed, and whether its step is done."""

    pupil_id: int
    kind: str
    period_start: date
    school_days: int | None
    percent: Decimal | None
    longest_run: int | None
    of_20: int | None
    of_60: int | None
    illness_days: int | None
    done_at: datetime | None
    done_by: str
    done_note: str

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def label(self) -> str:
        return str(DueStepDone.Kind(self.kind).label)

    @property
    def short_label(self) -> str:
        return str(SHORT_LABELS[self.kind])

    @property
    def period_end(self) -> date:
        if self.kind == DueStepDone.Kind.ILLNESS_TEACHING:
            return date(self.period_start.year + 1, 7, 31)
        return quarter_end(self.period_start)

    @property
    def is_quarterly(self) -> bool:
        return self.kind != DueStepDone.Kind.ILLNESS_TEACHING


def flags_for(rules: AbsenceRules, *, today: date, pupil_ids=None) -> list[Flag]:
    """Return the flags of the given pupils (or the whole school), open ones first.

    One query.
    """
    params = _flag_params(
        rules, start=_flags_start(today), end=today, today=today, pupil_ids=pupil_ids
    )
    return [_flag_from_row(row) for row in _fetch(_FLAGS, params)]


def _flags_start(today: date) -> date:
    """Return the first day the flags on `today` look at."""
    return min(
        previous_quarter_start(today),
        school_year_start(today),
        today - timedelta(days=_WINDOW_CALENDAR_DAYS),
    )


def _flag_params(rules: AbsenceRules, *, today: date, **extra) -> dict:
    return _params(
        rules,
        today=today,
        previous_quarter=previous_quarter_start(today),
        current_quarter=quarter_start(today),
        school_year_start=school_year_start(today),
        warning_percent=rules.warning_percent,
        notify_percent=rules.notify_percent,
        consecutive=rules.concerning_consecutive_days,
        days_of_20=rules.concerning_days_of_20,
        days_of_60=rules.concerning_days_of_60,
        concerning_percent=rules.concerning_percent,
        illness_days=rules.illness_teaching_days,
        **extra,
    )


# A pupil's figures (as figures.pupil_figures) and flags (as flags_for) in one
# statement, so that PostgreSQL plans and computes day_figure once. The rows
# come in one list: `is_flag` distinguishes the two kinds, and each kind leaves
# the other's columns NULL. day_figure covers both date ranges, and each kind
# keeps to its own: the figures by the WHERE below, the flags by their dates
# (their `recent` window takes the latest school days, which both ranges hold).
_FIGURES_AND_FLAGS = f"""
WITH {_SCHOOL_DAY}, {_SPAN}, {_DAY_FIGURE},{_FLAG_CTES},
figure_group AS (
    SELECT GROUPING(quarter) AS not_by_quarter, GROUPING(week) AS not_by_week,
           quarter, week, in_period, {_SUMS}
    FROM (
        SELECT *, day >= %(period_start)s::date AS in_period FROM day_figure
        WHERE day BETWEEN %(figures_start)s::date AND %(figures_end)s::date
    ) f
    GROUP BY GROUPING SETS ((quarter), (week), (in_period))
)
SELECT false AS is_flag, not_by_quarter, not_by_week, quarter, week, in_period,
       school_days, missing, illness, permitted, unlawful, awaiting, partial,
       NULL::bigint AS pupil_id, NULL::text AS kind, NULL::date AS period_start,
       NULL::numeric AS percent, NULL::bigint AS longest_run,
       NULL::bigint AS of_20, NULL::bigint AS of_60, NULL::bigint AS illness_days,
       NULL::bigint AS done_id, NULL::boolean AS is_done, NULL::timestamptz AS done_at,
       NULL::text AS done_note, NULL::text AS done_by_first_name,
       NULL::text AS done_by_last_name, NULL::text AS done_by_username
FROM figure_group
UNION ALL
SELECT true, NULL, NULL, NULL, NULL, NULL,
       flag.school_days, NULL, NULL, NULL, NULL, NULL, NULL,
       flag.pupil_id, flag.kind, flag.period_start, flag.percent, flag.longest_run,
       flag.of_20, flag.of_60, flag.illness_days,
       done.id, done.id IS NOT NULL, done.done_at, done.note,
       u.first_name, u.last_name, u.username
FROM flag
LEFT JOIN absence_duestepdone done
  ON done.pupil_id = flag.pupil_id AND done.kind = flag.kind
 AND done.period_start = flag.period_start
LEFT JOIN auth_user u ON u.id = done.done_by_id
ORDER BY is_flag, is_done, period_start DESC, pupil_id, kind
"""


def pupil_figures_and_flags(
    rules: AbsenceRules, pupil_id: int, *, start: date, end: date, today: date
) -> tuple[PupilFigures, list[Flag]]:
    """Return what `pupil_figures` and `flags_for` return for one pupil. One query."""
    figures_start = quarter_start(start)
    params = _flag_params(
        rules,
        start=min(figures_start, _flags_start(today)),
        end=max(end, today),
        today=today,
        pupil_ids=[pupil_id],
        period_start=start,
        figures_start=figures_start,
        figures_end=end,
    )
    rows = _fetch(_FIGURES_AND_FLAGS, params)

    figures = pupil_figures_from_rows(
        [row for row in rows if not row["is_flag"]], start=start, end=end, today=today
    )
    flags = [_flag_from_row(row) for row in rows if row["is_flag"]]
    return figures, flags


def _flag_from_row(row: dict) -> Flag:
    full_name = " ".join(
        part for part in (row["done_by_first_name"], row["done_by_last_name"]) if part
    )
    return Flag(
        pupil_id=row["pupil_id"],
        kind=row["kind"],
        period_start=row["period_start"],
        school_days=row["school_days"],
        percent=row["percent"],
        longest_run=row["longest_run"],
        of_20=row["of_20"],
        of_60=row["of_60"],
        illness_days=row["illness_days"],
        done_at=row["done_at"],
        done_by=full_name or (row["done_by_username"] or ""),
        done_note=row["done_note"] or "",
    )
