"""Reads for the absence pages. Each makes a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import TruncWeek

from absence import calendar, chart, figures, flags
from absence.models import (
    FIRST_GRADE_WITH_LAST_LESSON,
    OutreachContact,
    Registration,
    Status,
    Success,
)
from schoolplan.models import Pupil, PupilGroup, School
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
    """One pupil on the register, with the day's notations and their history."""

    pupil: Pupil
    morning: Registration | None
    last_lesson: Registration | None
    history: list = field(default_factory=list)

    @property
    def has_last_lesson(self) -> bool:
        return self.pupil.grade >= FIRST_GRADE_WITH_LAST_LESSON


def register_rows(group: PupilGroup, day: date) -> list[RegisterRow]:
    """Return the register's pupils with the day's registrations. Three queries."""
    day_registrations = Registration.objects.filter(day=day).select_related(
        "updated_by", "registered_by"
    )
    pupils = list(
        register_pupils(group, day)
        .prefetch_related(
            Prefetch(
                "registrations", queryset=day_registrations, to_attr="day_registrations"
            )
        )
        .order_by("first_name", "last_name", "pk")
    )
    history = (
        Registration.history.filter(
            day=day, pupil_id__in=[pupil.pk for pupil in pupils]
        )
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    history_by_pupil = defaultdict(list)
    for record in history:
        history_by_pupil[record.pupil_id].append(record)

    rows = []
    for pupil in pupils:
        by_notation = {
            registration.notation: registration
            for registration in pupil.day_registrations
        }
        rows.append(
            RegisterRow(
                pupil=pupil,
                morning=by_notation.get(Registration.Notation.MORNING),
                last_lesson=by_notation.get(Registration.Notation.LAST_LESSON),
                history=_changed_history(history_by_pupil[pupil.pk]),
            )
        )
    return rows


def _changed_history(records: list) -> list:
    """Return the records if a notation changed after it was first saved, else []."""
    per_notation = defaultdict(int)
    for record in records:
        per_notation[record.notation] += 1
    return records if any(count > 1 for count in per_notation.values()) else []


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


def school_year_period(school_id: int, today: date) -> Period:
    """Return the school year holding `today`: the calendar's, else August-July."""
    school_year = calendar.school_year_containing(school_id, today)
    if school_year is not None:
        return Period(school_year.first_day, school_year.last_day)

    start = figures.school_year_start(today)
    return Period(start, date(start.year + 1, 7, 31))


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
