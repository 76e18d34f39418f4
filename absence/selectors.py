"""Reads for the absence pages. Each makes a fixed number of queries."""

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek

from absence import calendar, chart, figures, flags
from absence.models import (
    FIRST_GRADE_WITH_LAST_LESSON,
    AbsenceRules,
    OutreachContact,
    Registration,
    SchoolYear,
    Status,
    Success,
)
from schoolplan import sql_rows
from schoolplan.models import Pupil, PupilGroup, School, StaffMember
from schoolplan.sections import Period


def register_pupils(group: PupilGroup, day: date):
    """Return the pupils on the group's register for the day.

    They are the group's pupils enrolled on the day, and every pupil registered
    in the group that day (a pupil who has since left the group or whose start
    date has moved keeps the registrations made before).
    """
    enrolled = Q(group=group, start_date__lte=day) & (
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=day)
    )
    registered = Q(
        pk__in=Registration.objects.filter(group=group, day=day).values("pupil_id")
    )
    return Pupil.objects.filter(school_id=group.school_id).filter(enrolled | registered)


@dataclass
class RegisterRow:
    """One pupil on the register, with the day's notations and their history.

    Each registration has `updated_by_name`, and each history record, newest
    first, `history_user_name`. `history` is empty unless a notation changed
    after it was first saved.
    """

    pupil: Pupil
    morning: Registration | None
    last_lesson: Registration | None
    history: list = field(default_factory=list)

    @property
    def has_last_lesson(self) -> bool:
        return self.pupil.grade >= FIRST_GRADE_WITH_LAST_LESSON


# The pupils `register_pupils` returns, with only the fields the register shows.
# Through the ORM, with its subquery, this query took longer to compile than to
# run (cProfile of bench/absence_pages.py).
_REGISTER_PUPILS_SQL = """
SELECT pupil.id, pupil.first_name, pupil.last_name, pupil.grade
FROM {pupil_table} pupil
WHERE pupil.school_id = %(school_id)s AND (
    (pupil.group_id = %(group_id)s AND pupil.start_date <= %(day)s
     AND (pupil.leaving_date IS NULL OR pupil.leaving_date >= %(day)s))
    OR pupil.id IN (
        SELECT registration.pupil_id FROM {registration_table} registration
        WHERE registration.group_id = %(group_id)s AND registration.day = %(day)s
    )
)
ORDER BY pupil.first_name, pupil.last_name, pupil.id
"""


def register_rows(group: PupilGroup, day: date) -> list[RegisterRow]:
    """Return the register's pupils with the day's registrations. Three queries.

    The pupils carry only the fields the register shows, so reading any other
    field costs a query per pupil.
    """
    sql = _REGISTER_PUPILS_SQL.format(
        pupil_table=Pupil._meta.db_table,
        registration_table=Registration._meta.db_table,
    )
    pupils = list(
        Pupil.objects.raw(
            sql, {"school_id": group.school_id, "group_id": group.pk, "day": day}
        )
    )
    if not pupils:
        return []

    pupil_ids = [pupil.pk for pupil in pupils]
    registrations = {
        (registration.pupil_id, registration.notation): registration
        for registration in _day_registrations(day, pupil_ids)
    }
    history_by_pupil = defaultdict(list)
    for record in _day_history(day, pupil_ids):
        history_by_pupil[record.pupil_id].append(record)

    return [
        RegisterRow(
            pupil=pupil,
            morning=registrations.get((pupil.pk, Registration.Notation.MORNING)),
            last_lesson=registrations.get(
                (pupil.pk, Registration.Notation.LAST_LESSON)
            ),
            history=history_by_pupil[pupil.pk],
        )
        for pupil in pupils
    ]


# The register's two reads of registrations are written in SQL. Through the
# ORM each took about 1.2 ms to compile, run and build. As SQL through raw()
# they take about 0.5 and 0.8 ms (bench/absence_pages.py, ten pupils, on a
# 2-core machine).
_DAY_REGISTRATIONS_SQL = """
SELECT registration.*,
       updater.first_name AS updater_first_name,
       updater.last_name AS updater_last_name,
       updater.username AS updater_username
FROM {registration_table} registration
LEFT JOIN {user_table} updater ON updater.id = registration.updated_by_id
WHERE registration.day = %s AND registration.pupil_id IN ({pupil_ids})
"""

# The history of the pupils with a notation that changed after it was first
# saved, that is, with more than one record. It selects only the fields the
# register shows, so the others are deferred.
_DAY_HISTORY_SQL = """
SELECT record.history_id, record.pupil_id, record.notation, record.status,
       record.arrived_at, record.left_at, record.note, record.history_date,
       saver.first_name AS saver_first_name,
       saver.last_name AS saver_last_name,
       saver.username AS saver_username
FROM {history_table} record
LEFT JOIN {user_table} saver ON saver.id = record.history_user_id
WHERE record.day = %s AND record.pupil_id IN (
    SELECT changed.pupil_id
    FROM {history_table} changed
    WHERE changed.day = %s AND changed.pupil_id IN ({pupil_ids})
    GROUP BY changed.pupil_id, changed.notation
    HAVING COUNT(*) > 1
)
ORDER BY record.history_date DESC, record.history_id DESC
"""


def _day_registrations(day: date, pupil_ids: list[int]) -> list[Registration]:
    registrations = list(
        Registration.objects.raw(
            _DAY_REGISTRATIONS_SQL.format(
                registration_table=Registration._meta.db_table,
                user_table=get_user_model()._meta.db_table,
                pupil_ids=", ".join(["%s"] * len(pupil_ids)),
            ),
            [day, *pupil_ids],
        )
    )
    for registration in registrations:
        registration.updated_by_name = _user_name(
            registration.updater_first_name,
            registration.updater_last_name,
            registration.updater_username,
        )
    return registrations


def _day_history(day: date, pupil_ids: list[int]) -> list:
    # Each read of `Registration.history` builds a new manager class.
    history_model = _history_model()
    history = list(
        history_model.objects.raw(
            _DAY_HISTORY_SQL.format(
                history_table=history_model._meta.db_table,
                user_table=get_user_model()._meta.db_table,
                pupil_ids=", ".join(["%s"] * len(pupil_ids)),
            ),
            [day, day, *pupil_ids],
        )
    )
    for record in history:
        record.history_user_name = _user_name(
            record.saver_first_name, record.saver_last_name, record.saver_username
        )
    return history


@functools.cache
def _history_model():
    return Registration.history.model


def _user_name(first_name: str, last_name: str, username: str | None) -> str:
    """Name a user as the `staff_name` filter does: full name, else username."""
    if username is None:
        return "–"
    return f"{first_name} {last_name}".strip() or username


def awaiting_reasons(*, school: School, group_ids=None, pupil_ids=None):
    """Return the absences still awaiting a reason, oldest first.

    `school` is a School or its id.
    """
    registrations = Registration.objects.filter(
        pupil__school=school, status=Status.AWAITING
    ).select_related("pupil", "group")
    if group_ids is not None:
        registrations = registrations.filter(
            Q(group_id__in=group_ids) | Q(pupil__group_id__in=group_ids)
        )
    if pupil_ids is not None:
        registrations = registrations.filter(pupil_id__in=pupil_ids)

    return registrations.order_by("day", "pupil__first_name", "pk")


# The absences of a group's register that await a reason, newest first: those
# registered in the group and those of the group's pupils, as `awaiting_reasons`
# with `group_ids` finds them. Each branch of the UNION reads a partial index of
# awaiting absences (by group, and by pupil) instead of all awaiting absences of
# the school. `total` is the number of rows before LIMIT.
_GROUP_AWAITING_SQL = """
SELECT registration.id, registration.day, pupil.first_name, pupil.last_name,
       count(*) OVER () AS total
FROM {registration_table} registration
JOIN {pupil_table} pupil ON pupil.id = registration.pupil_id
WHERE pupil.school_id = %(school_id)s AND registration.id IN (
    SELECT in_group.id FROM {registration_table} in_group
    WHERE in_group.status = %(awaiting)s AND in_group.group_id = %(group_id)s
    UNION
    SELECT of_pupil.id FROM {registration_table} of_pupil
    JOIN {pupil_table} group_pupil ON group_pupil.id = of_pupil.pupil_id
    WHERE of_pupil.status = %(awaiting)s AND group_pupil.group_id = %(group_id)s
)
ORDER BY registration.day DESC, registration.id
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class AwaitingAbsence:
    """An absence awaiting a reason, as the register's side list shows it."""

    pk: int
    day: date
    first_name: str
    last_name: str


def group_awaiting_latest(
    group: PupilGroup, limit: int
) -> tuple[list[AwaitingAbsence], int]:
    """Return the group's `limit` latest absences awaiting a reason, and their count.

    The absences are those `awaiting_reasons(group_ids=[group.pk])` returns.
    One query. NOTE: the count grows with every absence whose reason is never
    recorded. The benchmark school has about 25 per group after three years.
    """
    sql = _GROUP_AWAITING_SQL.format(
        registration_table=Registration._meta.db_table,
        pupil_table=Pupil._meta.db_table,
    )
    params = {
        "school_id": group.school_id,
        "group_id": group.pk,
        "awaiting": Status.AWAITING,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return [], 0

    absences = [
        # SQLite returns the date as text.
        AwaitingAbsence(
            pk,
            day if isinstance(day, date) else date.fromisoformat(day),
            first_name,
            last_name,
        )
        for pk, day, first_name, last_name, _total in rows
    ]
    return absences, rows[0][4]


def school_year_period(school_id: int, today: date) -> Period:
    """Return the school year holding `today`: the calendar's, else August-July."""
    school_year = calendar.school_year_containing(school_id, today)
    if school_year is None:
        return _default_period(today)

    return Period(school_year.first_day, school_year.last_day)


def _default_period(today: date) -> Period:
    start = figures.school_year_start(today)
    return Period(start, date(start.year + 1, 7, 31))


@dataclass(frozen=True)
class SchoolSetting:
    """A staff member's school, its absence rules and the current school year."""

    school_id: int
    rules: AbsenceRules
    period: Period


# The school year is picked as `school_year_containing` picks it, by SchoolYear's
# ordering. Through the ORM, with select_related and subqueries, this query
# took about 1.8 ms to compile, run and build on the school of
# bench/absence_pages.py (2 shared cores), mostly compiling. The subqueries are
# plain, not LATERAL, so SQLite runs it too.
_STAFF_SCHOOL_SETTING_SQL = """
SELECT staff.school_id,
       (SELECT school_year.first_day FROM {year_table} school_year
        WHERE school_year.school_id = staff.school_id
          AND school_year.first_day <= %(today)s AND school_year.last_day >= %(today)s
        ORDER BY school_year.first_day DESC LIMIT 1),
       (SELECT school_year.last_day FROM {year_table} school_year
        WHERE school_year.school_id = staff.school_id
          AND school_year.first_day <= %(today)s AND school_year.last_day >= %(today)s
        ORDER BY school_year.first_day DESC LIMIT 1),
       {rules_columns}
FROM {staff_table} staff
LEFT JOIN {rules_table} rules ON rules.school_id = staff.school_id
WHERE staff.user_id = %(user_id)s
"""


def staff_school_setting(user, today: date) -> SchoolSetting | None:
    """Return the user's school, rules and school year holding `today`. One query.

    The rules and period are those `figures.rules_for` and `school_year_period`
    return, which take a query each. None if the user has no staff record.
    """
    sql = _STAFF_SCHOOL_SETTING_SQL.format(
        rules_columns=sql_rows.columns(AbsenceRules, "rules"),
        staff_table=StaffMember._meta.db_table,
        rules_table=AbsenceRules._meta.db_table,
        year_table=SchoolYear._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"today": today, "user_id": user.pk})
        row = cursor.fetchone()
    if row is None:
        return None

    school_id, first_day, last_day, *rules_values = row
    # A school without stored rules gets the defaults, as `figures.rules_for` gives.
    (rules,) = sql_rows.instances(rules_values, [AbsenceRules])
    if rules is None:
        rules = AbsenceRules(school_id=school_id)
    if first_day is None:
        period = _default_period(today)
    else:
        period = Period(first_day, last_day)
    return SchoolSetting(school_id, rules, period)


@dataclass
class AbsenceSummary:
    rules: object
    figures: figures.PupilFigures
    flags: list
    chart: chart.WeekChart
    period: Period
    today: date


def absence_summary(pupil: Pupil, period: Period, today: date) -> AbsenceSummary:
    """Return the absence section's data for a pupil and period. Two queries."""
    rules = figures.rules_for(pupil.school_id)
    pupil_figures, pupil_flags = flags.pupil_figures_and_flags(
        rules, pupil.pk, start=period.start, end=period.end, today=today
    )
    week_chart = chart.week_chart(
        pupil_figures.weeks,
        first=period.start,
        last=min(period.end, today),
        pupil_start=pupil.start_date,
    )
    return AbsenceSummary(rules, pupil_figures, pupil_flags, week_chart, period, today)


@dataclass
class SuccessSummary:
    count: int
    weeks: list
    latest: list
    bars: list
    month_ticks: list = field(default_factory=list)
    chart_width: int = chart.COUNT_WIDTH
    chart_height: int = chart.COUNT_HEIGHT
    chart_total_height: int = chart.COUNT_HEIGHT + chart.COUNT_AXIS

    @property
    def bars_markup(self) -> str:
        return chart.count_bars_markup(self.bars)

    @property
    def ticks_markup(self) -> str:
        return chart.count_ticks_markup(self.month_ticks)


LATEST_SUCCESSES = 5


def success_summary(pupil: Pupil, period: Period, today: date) -> SuccessSummary:
    """Return the successes per week in the period and the latest ones. Two queries."""
    in_period = Success.objects.filter(
        pupil=pupil, day__range=(period.start, period.end)
    )
    weeks = list(
        in_period.annotate(week=TruncWeek("day"))
        .values("week")
        .annotate(count=Count("id"))
        .order_by("week")
    )
    latest = list(
        in_period.select_related("area", "seen_by", "goal", "entry")[:LATEST_SUCCESSES]
    )
    return SuccessSummary(
        count=sum(week["count"] for week in weeks),
        weeks=weeks,
        latest=latest,
        bars=chart.count_chart(weeks, first=period.start, last=min(period.end, today)),
        month_ticks=chart.count_month_ticks(
            first=period.start, last=min(period.end, today)
        ),
    )


def pupil_outreach(pupil: Pupil, today: date, *, since: date):
    """Return the pupil's contacts since `since` and the figures on what followed."""
    rules = figures.rules_for(pupil.school_id)
    contacts = list(
        OutreachContact.objects.filter(pupil=pupil, contacted_at__date__gte=since)
        .select_related("staff")
        .order_by("-contacted_at")
    )
    total, per_kind = figures.outreach_figures(
        rules, contacts_from=since, today=today, pupil_ids=[pupil.pk]
    )
    return contacts, total, per_kind
