"""Absence figures, computed in PostgreSQL.

Every figure starts from the same per-day table (`_DAY_FIGURE`): one row per
pupil and school day in the pupil's enrolment, with what the morning notation
records about that day. A school day is a weekday between a school year's first
and last day that is not a holiday or closing day. A school day with no
morning registration is *missing*: it counts neither as present nor as absent,
and attendance, absence and missing days add up to the school days.

Whole-day absence falls in one of the legal groups (illness, permitted,
unlawful) or, while the parents still have time to give the reason, awaits
one; past the school's deadline an absence still awaiting a reason counts as
unlawful. Late arrivals and early departures are local notes on top of the
legal groups: they count towards total absence as the minutes missed divided
by the length of the school day, but never towards unlawful absence.

The measured span of a pupil runs from the earlier of the start date and the
first registration to the later of the leaving date and the last
registration, so a changed start or leaving date never hides a registration.
Today counts once it has a registration; earlier school days always count.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection

from absence.models import AbsenceRules

ZERO = Decimal(0)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: date) -> date:
    start = quarter_start(day)
    following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return following - timedelta(days=1)


def previous_quarter_start(day: date) -> date:
    return quarter_start(quarter_start(day) - timedelta(days=1))


def school_year_start(day: date) -> date:
    """Return 1 August of the Danish school year (August to July) containing `day`."""
    return date(day.year if day.month >= 8 else day.year - 1, 8, 1)


def rules_for(school_id: int) -> AbsenceRules:
    """Return the school's rules, or the defaults (unsaved) if it has none yet.

    One query, in plain SQL, which skips the ORM's query compiling: the register
    and the plan page's absence section read the rules on every request.
    """
    found = AbsenceRules.objects.raw(
        f"SELECT * FROM {AbsenceRules._meta.db_table} WHERE school_id = %s",
        [school_id],
    )
    for rules in found:
        return rules

    return AbsenceRules(school_id=school_id)


# School days of one school between %(start)s and %(end)s.
_SCHOOL_DAY = """
school_day AS (
    SELECT d::date AS day
    FROM absence_schoolyear y
    CROSS JOIN LATERAL generate_series(
        GREATEST(y.first_day, %(start)s::date),
        LEAST(y.last_day, %(end)s::date),
        interval '1 day'
    ) AS d
    WHERE y.school_id = %(school_id)s
      AND y.first_day <= %(end)s::date
      AND y.last_day >= %(start)s::date
      AND extract(isodow FROM d) < 6
      AND NOT EXISTS (
          SELECT 1 FROM absence_nonschoolday n
          WHERE n.school_year_id = y.id AND n.day = d::date
      )
)"""

# The pupils measured (%(pupil_ids)s, or the whole school when it is NULL) and
# their measured span.
_SPAN = """
span AS (
    SELECT p.id AS pupil_id, p.group_id,
           LEAST(p.start_date, r.first_day) AS first_day,
           CASE WHEN p.leaving_date IS NULL THEN NULL
                ELSE GREATEST(p.leaving_date, r.last_day) END AS last_day
    FROM schoolplan_pupil p
    LEFT JOIN LATERAL (
        SELECT min(day) AS first_day, max(day) AS last_day
        FROM absence_registration WHERE pupil_id = p.id
    ) r ON true
    WHERE p.school_id = %(school_id)s
      AND (%(pupil_ids)s::bigint[] IS NULL OR p.id = ANY(%(pupil_ids)s::bigint[]))
)"""

_DAY_FIGURE = """
pupil_day AS (
    SELECT s.pupil_id, COALESCE(m.group_id, s.group_id) AS group_id, sd.day,
           m.status, m.arrived_at, l.left_at
    FROM span s
    JOIN school_day sd
      ON sd.day >= s.first_day AND (s.last_day IS NULL OR sd.day <= s.last_day)
    LEFT JOIN absence_registration m
      ON m.pupil_id = s.pupil_id AND m.day = sd.day AND m.notation = 'morning'
     AND m.day BETWEEN %(start)s::date AND %(end)s::date
    LEFT JOIN absence_registration l
      ON l.pupil_id = s.pupil_id AND l.day = sd.day AND l.notation = 'last_lesson'
     AND l.status = 'left_early' AND l.day BETWEEN %(start)s::date AND %(end)s::date
    WHERE sd.day < %(today)s::date OR (sd.day = %(today)s::date AND m.id IS NOT NULL)
),
day_figure AS (
    SELECT pupil_id, group_id, day,
           make_date(extract(year FROM day)::int,
                     (extract(quarter FROM day)::int - 1) * 3 + 1, 1) AS quarter,
           day - extract(isodow FROM day)::int + 1 AS week,
           (status IS NULL)::int AS missing,
           COALESCE(status = 'illness', false)::int AS illness,
           COALESCE(status = 'permitted', false)::int AS permitted,
           COALESCE(status = 'unlawful'
               OR (status = 'awaiting' AND day + %(deadline)s < %(today)s::date),
               false)::int AS unlawful,
           COALESCE(status = 'awaiting' AND day + %(deadline)s >= %(today)s::date,
               false)::int AS awaiting,
           COALESCE(status IN ('awaiting', 'illness', 'permitted', 'unlawful'),
               false)::int AS absent,
           CASE WHEN status IN ('present', 'late') THEN LEAST(1::numeric, (
               CASE WHEN status = 'late' THEN GREATEST(0, LEAST(%(minutes)s,
                   extract(epoch FROM arrived_at - %(starts)s::time) / 60)) ELSE 0 END
             + CASE WHEN left_at IS NOT NULL THEN GREATEST(0, LEAST(%(minutes)s,
                   extract(epoch FROM %(ends)s::time - left_at) / 60)) ELSE 0 END
           ) / %(minutes)s) ELSE 0 END AS partial
    FROM pupil_day
)"""

_SUMS = """
    count(*) AS school_days,
    sum(missing) AS missing,
    sum(illness) AS illness,
    sum(permitted) AS permitted,
    sum(unlawful) AS unlawful,
    sum(awaiting) AS awaiting,
    sum(partial) AS partial"""

# The columns of `_SUMS`, in order, as they are named in `Figures`.
SUM_NAMES = (
    "school_days",
    "missing",
    "illness",
    "permitted",
    "unlawful",
    "awaiting",
    "partial",
)


def school_day_span(rules: AbsenceRules) -> tuple[time, time]:
    """Return the clock times the school day starts and ends."""
    starts = rules.day_starts_at
    ends = (
        datetime.combine(date.min, starts) + timedelta(minutes=rules.school_day_minutes)
    ).time()
    return starts, ends


def _params(rules: AbsenceRules, *, start, end, today, pupil_ids=None, **extra) -> dict:
    starts, ends = school_day_span(rules)
    return {
        "school_id": rules.school_id,
        "start": start,
        "end": end,
        "today": today,
        "pupil_ids": list(pupil_ids) if pupil_ids is not None else None,
        "deadline": rules.reason_deadline_days,
        "minutes": rules.school_day_minutes,
        "starts": starts,
        "ends": ends,
        "time_zone": settings.TIME_ZONE,
        **extra,
    }


class FiguresNeedPostgreSQL(Exception):
    """The absence figures use PostgreSQL's SQL (grouping sets, arrays, casts).

    The SQLite quick start can register attendance, but it cannot compute the
    figures; pages say so instead of failing.
    """


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise FiguresNeedPostgreSQL(connection.vendor)


def _fetch(sql: str, params: dict) -> list[dict]:
    require_postgresql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class Figures:
    """Absence over a set of school days. Day counts may hold fractions of a day."""

    school_days: int = 0
    missing: int = 0
    illness: int = 0
    permitted: int = 0
    unlawful: int = 0
    awaiting: int = 0
    partial: Decimal = ZERO
    start: date | None = None
    end: date | None = None

    @classmethod
    def from_row(cls, row: dict, **extra) -> "Figures":
        return cls(
            school_days=row["school_days"] or 0,
            missing=row["missing"] or 0,
            illness=row["illness"] or 0,
            permitted=row["permitted"] or 0,
            unlawful=row["unlawful"] or 0,
            awaiting=row["awaiting"] or 0,
            partial=Decimal(row["partial"] or 0),
            **extra,
        )

    @property
    def whole_days_absent(self) -> int:
        return self.illness + self.permitted + self.unlawful + self.awaiting

    @property
    def absent(self) -> Decimal:
        return self.whole_days_absent + self.partial

    @property
    def attended(self) -> Decimal:
        return self.school_days - self.missing - self.absent

    def percent(self, days) -> Decimal | None:
        if not self.school_days:
            return None
        return Decimal(100) * Decimal(days) / self.school_days

    @property
    def absent_percent(self):
        return self.percent(self.absent)

    @property
    def unlawful_percent(self):
        return self.percent(self.unlawful)

    @property
    def illness_percent(self):
        return self.percent(self.illness)

    @property
    def permitted_percent(self):
        return self.percent(self.permitted)

    @property
    def awaiting_percent(self):
        return self.percent(self.awaiting)

    @property
    def partial_percent(self):
        return self.percent(self.partial)

    @property
    def attended_percent(self):
        return self.percent(self.attended)

    @property
    def missing_percent(self):
        return self.percent(self.missing)


@dataclass
class PupilFigures:
    """A pupil's figures per calendar quarter, per week, and for the whole period."""

    period: Figures
    quarters: list[Figures] = field(default_factory=list)
    weeks: list[Figures] = field(default_factory=list)


def pupil_figures(
    rules: AbsenceRules, pupil_id: int, *, start: date, end: date, today: date
):
    """Return a pupil's figures from `start` to `end`; days after `today` never count.

    Each quarter covers its whole calendar quarter, also where it begins before
    `start`, because the legal thresholds are measured per calendar quarter.
    One query.
    """
    sql = f"""
    WITH {_SCHOOL_DAY}, {_SPAN}, {_DAY_FIGURE}
    SELECT GROUPING(quarter) AS not_by_quarter, GROUPING(week) AS not_by_week,
           quarter, week, in_period, {_SUMS}
    FROM (SELECT *, day >= %(period_start)s::date AS in_period FROM day_figure) f
    GROUP BY GROUPING SETS ((quarter), (week), (in_period))
    """
    rows = _fetch(
        sql,
        _params(
            rules,
            start=quarter_start(start),
            end=end,
            today=today,
            pupil_ids=[pupil_id],
            period_start=start,
        ),
    )
    return pupil_figures_from_rows(rows, start=start, end=end, today=today)


def pupil_figures_from_rows(rows, *, start: date, end: date, today: date):
    """Return the PupilFigures of the grouped rows that `pupil_figures` selects."""
    result = PupilFigures(period=Figures(start=start, end=min(end, today)))
    for row in rows:
        if not row["not_by_quarter"]:
            result.quarters.append(
                Figures.from_row(
                    row, start=row["quarter"], end=quarter_end(row["quarter"])
                )
            )
        elif not row["not_by_week"]:
            if row["week"] + timedelta(days=6) >= start:
                result.weeks.append(
                    Figures.from_row(
                        row, start=row["week"], end=row["week"] + timedelta(6)
                    )
                )
        elif row["in_period"]:
            result.period = Figures.from_row(row, start=start, end=min(end, today))

    result.quarters.sort(key=lambda figures: figures.start)
    result.weeks.sort(key=lambda figures: figures.start)
    return result


def school_figures(
    rules: AbsenceRules, *, start: date, end: date, today: date, pupil_ids=None
):
    """Return {pupil_id: Figures} from `start` to `end` for the school. One query."""
    sql = f"""
    WITH {_SCHOOL_DAY}, {_SPAN}, {_DAY_FIGURE}
    SELECT pupil_id, {_SUMS}
    FROM day_figure
    GROUP BY pupil_id
    """
    params = _params(rules, start=start, end=end, today=today, pupil_ids=pupil_ids)
    return {
        row["pupil_id"]: Figures.from_row(row, start=start, end=min(end, today))
        for row in _fetch(sql, params)
    }


def weekly_by_pupil(
    rules: AbsenceRules, *, start: date, end: date, today: date, pupil_ids=None
) -> list[dict]:
    """Return one row per pupil, week and group with the sums of those pupil-days.

    The group is the one the morning registration names, so a pupil who moved
    counts in the old group for the weeks before. Each row contains `pupil_id`,
    `week`, `group_id` and `sums`, the counts in the order of `SUM_NAMES`.
    One query.
    """
    sql = f"""
    WITH {_SCHOOL_DAY}, {_SPAN}, {_DAY_FIGURE}
    SELECT pupil_id, week, group_id, {_SUMS}
    FROM day_figure
    GROUP BY pupil_id, week, group_id
    """
    params = _params(rules, start=start, end=end, today=today, pupil_ids=pupil_ids)
    return [
        {
            "pupil_id": row["pupil_id"],
            "week": row["week"],
            "group_id": row["group_id"],
            "sums": tuple(row[name] or 0 for name in SUM_NAMES),
        }
        for row in _fetch(sql, params)
    ]


def absence_days(
    rules: AbsenceRules, pupil_id: int, *, start: date, end: date, today: date
):
    """Return every school day in the period that was not a plain full day present.

    Each row: day, status as it counts today (an overdue awaiting absence
    reads 'unlawful'), the registered status, arrival and leaving times, the
    minutes missed, the reason's channel and date, and the note. Missing days
    come with status 'missing'. One query; for the absence statement.
    """
    sql = f"""
    WITH {_SCHOOL_DAY}, {_SPAN}, {_DAY_FIGURE}
    SELECT f.day,
           CASE WHEN f.missing = 1 THEN 'missing'
                WHEN f.unlawful = 1 THEN 'unlawful'
                ELSE m.status END AS counted_as,
           m.status, m.arrived_at, l.left_at,
           round(f.partial * %(minutes)s) AS minutes_missed,
           m.reason_channel, m.reason_given_on, m.note
    FROM day_figure f
    LEFT JOIN absence_registration m
      ON m.pupil_id = f.pupil_id AND m.day = f.day AND m.notation = 'morning'
    LEFT JOIN absence_registration l
      ON l.pupil_id = f.pupil_id AND l.day = f.day AND l.notation = 'last_lesson'
     AND l.status = 'left_early'
    WHERE f.missing = 1 OR f.absent = 1 OR f.partial > 0
    ORDER BY f.day
    """
    params = _params(rules, start=start, end=end, today=today, pupil_ids=[pupil_id])
    return _fetch(sql, params)


_OUTREACH_FOLLOWED = f"""
WITH {_SCHOOL_DAY},
-- The next school day after each calendar day, in one pass from the end.
next_school_day AS MATERIALIZED (
    SELECT d::date AS day,
           min(sd.day) OVER (ORDER BY d DESC
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
               AS next_day
    FROM generate_series(%(contacts_from)s::date, %(end)s::date,
                         interval '1 day') AS d
    LEFT JOIN school_day sd ON sd.day = d::date
),
followed AS (
    SELECT c.kind, c.outcome, c.pupil_id, n.day, n.next_day
    FROM absence_outreachcontact c
    JOIN schoolplan_pupil p ON p.id = c.pupil_id
    JOIN next_school_day n
      ON n.day = (c.contacted_at AT TIME ZONE %(time_zone)s)::date
    WHERE p.school_id = %(school_id)s
      AND (%(pupil_ids)s::bigint[] IS NULL OR p.id = ANY(%(pupil_ids)s::bigint[]))
      AND c.contacted_at >= %(contacts_from)s::date - interval '1 day'
      -- The calendar runs past today for the next school day, not for contacts.
      AND n.day <= %(today)s::date
)
"""

# The counts of what followed the contacts. Each query below adds its own grouping.
_OUTREACH_COUNTS = """
       count(*) AS contacts,
       count(*) FILTER (WHERE f.outcome = 'came') AS came,
       count(*) FILTER (WHERE f.outcome = 'came_later') AS came_later,
       count(*) FILTER (WHERE f.outcome = 'stayed_home') AS stayed_home,
       count(*) FILTER (WHERE f.outcome = 'no_contact') AS no_contact,
       count(*) FILTER (WHERE attended.same_day) AS attended_same_day,
       count(*) FILTER (WHERE f.next_day < %(today)s::date) AS with_next_day,
       count(*) FILTER (WHERE attended.next_day) AS attended_next_day
FROM followed f
CROSS JOIN LATERAL (
    SELECT EXISTS (
               SELECT 1 FROM absence_registration r
               WHERE r.pupil_id = f.pupil_id AND r.day = f.day
                 AND r.notation = 'morning' AND r.status IN ('present', 'late')
           ) AS same_day,
           f.next_day < %(today)s::date AND EXISTS (
               SELECT 1 FROM absence_registration r
               WHERE r.pupil_id = f.pupil_id AND r.day = f.next_day
                 AND r.notation = 'morning' AND r.status IN ('present', 'late')
           ) AS next_day
) attended
"""


@dataclass(frozen=True)
class OutreachFigures:
    """Contacts of one kind (or all kinds) and what followed them.

    `attended_same_day` counts contacts after which the morning registration
    of the contact's day records present or late; `attended_next_day` does the
    same for the next school day, among the contacts whose next school day has
    passed (`with_next_day`). A missing registration never counts as attended.
    """

    kind: str | None
    contacts: int
    came: int
    came_later: int
    stayed_home: int
    no_contact: int
    attended_same_day: int
    with_next_day: int
    attended_next_day: int

    @property
    def same_day_percent(self) -> Decimal | None:
        if not self.contacts:
            return None
        return Decimal(100) * self.attended_same_day / self.contacts

    @property
    def next_day_percent(self) -> Decimal | None:
        if not self.with_next_day:
            return None
        return Decimal(100) * self.attended_next_day / self.with_next_day


# The counts of `_OUTREACH_COUNTS`, in order, as they are named in `OutreachFigures`.
OUTREACH_COUNT_NAMES = (
    "contacts",
    "came",
    "came_later",
    "stayed_home",
    "no_contact",
    "attended_same_day",
    "with_next_day",
    "attended_next_day",
)


def _outreach_params(rules, *, contacts_from: date, today: date, pupil_ids) -> dict:
    return _params(
        rules,
        # The next school day after a contact can fall after a holiday.
        start=contacts_from,
        end=today + timedelta(days=60),
        today=today,
        pupil_ids=pupil_ids,
        contacts_from=contacts_from,
    )


def outreach_figures(
    rules: AbsenceRules, *, contacts_from: date, today: date, pupil_ids=None
) -> tuple[OutreachFigures | None, list[OutreachFigures]]:
    """Return the figures for all kinds together and per kind of contact. One query."""
    sql = (
        f"{_OUTREACH_FOLLOWED} SELECT f.kind, GROUPING(f.kind) AS all_kinds,"
        f"{_OUTREACH_COUNTS} GROUP BY GROUPING SETS ((f.kind), ())"
    )
    params = _outreach_params(
        rules, contacts_from=contacts_from, today=today, pupil_ids=pupil_ids
    )
    total, per_kind = None, []
    for row in _fetch(sql, params):
        kind = None if row["all_kinds"] else row["kind"]
        figures = OutreachFigures(kind, *(row[name] for name in OUTREACH_COUNT_NAMES))
        if kind is None:
            total = figures
        else:
            per_kind.append(figures)
    return total, sorted(per_kind, key=lambda figures: figures.kind)


def outreach_by_pupil(
    rules: AbsenceRules, *, contacts_from: date, today: date, pupil_ids=None
) -> list[dict]:
    """Return one row per pupil and kind of contact: `pupil_id`, `kind`, `counts`.

    `counts` contains the figures in the order of `OUTREACH_COUNT_NAMES`, which
    add up across pupils. One query.
    """
    sql = (
        f"{_OUTREACH_FOLLOWED} SELECT f.pupil_id, f.kind,"
        f"{_OUTREACH_COUNTS} GROUP BY f.pupil_id, f.kind"
    )
    params = _outreach_params(
        rules, contacts_from=contacts_from, today=today, pupil_ids=pupil_ids
    )
    return [
        {
            "pupil_id": row["pupil_id"],
            "kind": row["kind"],
            "counts": tuple(row[name] for name in OUTREACH_COUNT_NAMES),
        }
        for row in _fetch(sql, params)
    ]
