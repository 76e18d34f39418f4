"""The rules the absence figures must get right, against hand-computed values."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from absence import figures, flags
from absence.models import Registration, Status
from tests.absence.helpers import make_school_year, register, register_many, weekdays

Q1_START = date(2026, 1, 1)
Q1_END = date(2026, 3, 31)
AFTER_Q1 = date(2026, 4, 15)


@pytest.fixture
def quarter_of_60_days(school):
    """Q1 2026 with exactly 60 school days: the weekdays after the 60th are holidays."""
    days = weekdays(Q1_START, Q1_END)
    make_school_year(school, date(2025, 8, 11), date(2026, 6, 26), days_off=days[60:])
    return days[:60]


def quarter_figures(rules, pupil, today=AFTER_Q1):
    return figures.pupil_figures(
        rules, pupil.pk, start=Q1_START, end=Q1_END, today=today
    ).period


def pupil_flag_kinds(rules, pupil, today=AFTER_Q1):
    return {
        (flag.kind, flag.period_start)
        for flag in flags.flags_for(rules, today=today, pupil_ids=[pupil.pk])
    }


@pytest.mark.parametrize(
    ("unlawful_days", "percent", "warning", "notify"),
    [
        (5, Decimal("8.3"), False, False),
        (6, Decimal(10), True, False),
        (8, Decimal("13.3"), True, False),
        (9, Decimal(15), True, True),
    ],
)
def test_unlawful_thresholds_in_a_60_day_quarter(
    rules, pupil, teacher, quarter_of_60_days, unlawful_days, percent, warning, notify
):
    days = quarter_of_60_days
    register_many(pupil, days[:unlawful_days], Status.UNLAWFUL, by=teacher)
    register_many(pupil, days[unlawful_days:], Status.PRESENT, by=teacher)

    quarter = quarter_figures(rules, pupil)
    kinds = pupil_flag_kinds(rules, pupil)

    assert quarter.school_days == 60
    assert quarter.unlawful == unlawful_days
    assert round(quarter.unlawful_percent, 1) == percent
    assert (("warning", Q1_START) in kinds) is warning
    assert (("notify", Q1_START) in kinds) is notify


def test_illness_never_counts_towards_unlawful_thresholds(
    rules, pupil, teacher, quarter_of_60_days
):
    days = quarter_of_60_days
    register_many(pupil, days[:20], Status.ILLNESS, by=teacher)
    register_many(pupil, days[20:], Status.PRESENT, by=teacher)

    quarter = quarter_figures(rules, pupil)
    kinds = {kind for kind, _start in pupil_flag_kinds(rules, pupil)}

    assert quarter.unlawful == 0
    assert quarter.illness == 20
    assert "warning" not in kinds
    assert "notify" not in kinds
    assert "illness_teaching" in kinds


def test_holidays_and_weekends_are_not_school_days(rules, school, pupil, teacher):
    holiday = date(2026, 2, 11)
    make_school_year(school, date(2026, 2, 9), date(2026, 2, 20), days_off=[holiday])
    saturday = date(2026, 2, 14)
    register(pupil, holiday, Status.UNLAWFUL, by=teacher)
    register(pupil, saturday, Status.UNLAWFUL, by=teacher)
    school_days = [
        day for day in weekdays(date(2026, 2, 9), date(2026, 2, 20)) if day != holiday
    ]
    register_many(pupil, school_days, by=teacher)

    period = figures.pupil_figures(
        rules, pupil.pk, start=date(2026, 2, 9), end=date(2026, 2, 20), today=AFTER_Q1
    ).period

    assert period.school_days == 9
    assert period.unlawful == 0


def test_pupil_started_mid_quarter_is_measured_from_start(
    rules, pupil, teacher, quarter_of_60_days
):
    days = quarter_of_60_days
    pupil.start_date = days[30]
    pupil.save()
    register_many(pupil, days[30:33], Status.UNLAWFUL, by=teacher)
    register_many(pupil, days[33:], Status.PRESENT, by=teacher)

    quarter = quarter_figures(rules, pupil)

    assert quarter.school_days == 30
    assert quarter.missing == 0
    assert quarter.unlawful_percent == Decimal(10)


def test_late_arrival_counts_minutes_missed(rules, school, pupil, teacher):
    make_school_year(school, date(2026, 2, 9), date(2026, 2, 13))
    register(pupil, date(2026, 2, 9), Status.LATE, arrived_at=time(9, 30), by=teacher)

    day = figures.pupil_figures(
        rules, pupil.pk, start=date(2026, 2, 9), end=date(2026, 2, 9), today=AFTER_Q1
    ).period

    assert rules.school_day_minutes == 300
    assert day.partial == Decimal("0.3")
    assert day.absent == Decimal("0.3")
    assert day.unlawful == 0


def test_leaving_early_counts_the_rest_of_the_day(rules, school, pupil, teacher):
    pupil.grade = 8
    pupil.save()
    make_school_year(school, date(2026, 2, 9), date(2026, 2, 13))
    register(pupil, date(2026, 2, 9), Status.PRESENT, by=teacher)
    register(
        pupil,
        date(2026, 2, 9),
        Status.LEFT_EARLY,
        left_at=time(12, 0),
        notation=Registration.Notation.LAST_LESSON,
        by=teacher,
    )

    day = figures.pupil_figures(
        rules, pupil.pk, start=date(2026, 2, 9), end=date(2026, 2, 9), today=AFTER_Q1
    ).period

    assert day.partial == Decimal("0.2")


def test_awaiting_past_deadline_counts_as_unlawful_until_reason(
    rules, school, pupil, teacher
):
    absence_day = date(2026, 2, 9)
    make_school_year(school, date(2026, 2, 9), date(2026, 2, 13))
    registration = register(pupil, absence_day, Status.AWAITING, by=teacher)
    deadline = absence_day + timedelta(days=rules.reason_deadline_days)

    def day_figures(today):
        return figures.pupil_figures(
            rules, pupil.pk, start=absence_day, end=absence_day, today=today
        ).period

    on_deadline = day_figures(deadline)
    after_deadline = day_figures(deadline + timedelta(days=1))
    registration.status = Status.ILLNESS
    registration.save()
    after_reason = day_figures(deadline + timedelta(days=1))

    assert on_deadline.awaiting == 1
    assert on_deadline.unlawful == 0
    assert after_deadline.awaiting == 0
    assert after_deadline.unlawful == 1
    assert after_reason.unlawful == 0
    assert after_reason.illness == 1


def test_missing_day_is_neither_present_nor_absent(rules, school, pupil, teacher):
    make_school_year(school, date(2026, 2, 9), date(2026, 2, 13))
    register_many(pupil, [date(2026, 2, 9), date(2026, 2, 10)], by=teacher)
    register(pupil, date(2026, 2, 11), Status.ILLNESS, by=teacher)

    week = figures.pupil_figures(
        rules, pupil.pk, start=date(2026, 2, 9), end=date(2026, 2, 13), today=AFTER_Q1
    ).period

    assert week.school_days == 5
    assert week.missing == 2
    assert week.attended == 2
    assert week.attended_percent == Decimal(40)


def test_today_counts_only_once_registered(rules, school, pupil, teacher):
    make_school_year(school, date(2026, 2, 9), date(2026, 2, 13))
    register_many(pupil, [date(2026, 2, 9)], by=teacher)
    today = date(2026, 2, 10)

    before = figures.pupil_figures(
        rules, pupil.pk, start=date(2026, 2, 9), end=date(2026, 2, 13), today=today
    ).period
    register(pupil, today, Status.ILLNESS, by=teacher)
    after = figures.pupil_figures(
        rules, pupil.pk, start=date(2026, 2, 9), end=date(2026, 2, 13), today=today
    ).period

    assert before.school_days == 1
    assert after.school_days == 2


def test_moved_start_date_keeps_earlier_registrations(rules, school, pupil, teacher):
    make_school_year(school, date(2026, 2, 9), date(2026, 2, 20))
    register(pupil, date(2026, 2, 9), Status.UNLAWFUL, by=teacher)
    pupil.start_date = date(2026, 2, 16)
    pupil.save()

    period = figures.pupil_figures(
        rules, pupil.pk, start=date(2026, 2, 9), end=date(2026, 2, 20), today=AFTER_Q1
    ).period

    assert period.unlawful == 1
    assert period.school_days == 10


@pytest.mark.parametrize(
    ("absent_days", "expected"),
    [([0, 1, 2, 3], False), ([0, 1, 2, 3, 4], True), ([0, 2, 4, 6, 8], True)],
)
def test_concerning_absence_in_last_20_school_days(
    rules, school, pupil, teacher, absent_days, expected
):
    first = date(2026, 1, 5)
    days = weekdays(first, date(2026, 2, 27))[:40]
    make_school_year(school, date(2025, 8, 11), date(2026, 6, 26))
    today = days[-1] + timedelta(days=1)
    recent = days[-20:]
    absent = {recent[index] for index in absent_days}
    register_many(pupil, [day for day in days if day not in absent], by=teacher)
    register_many(pupil, sorted(absent), Status.ILLNESS, by=teacher)

    kinds = {kind for kind, _start in pupil_flag_kinds(rules, pupil, today=today)}

    assert ("concerning" in kinds) is expected


def test_five_consecutive_days_flag_concerning(rules, school, pupil, teacher):
    make_school_year(school, date(2025, 8, 11), date(2026, 6, 26))
    rules.concerning_days_of_20 = 20
    rules.concerning_percent = 100
    rules.save()
    days = weekdays(date(2026, 1, 5), date(2026, 2, 27))[:40]
    absent = days[-10:-5]
    register_many(pupil, [day for day in days if day not in absent], by=teacher)
    register_many(pupil, absent, Status.PERMITTED, by=teacher)

    flagged = flags.flags_for(
        rules, today=days[-1] + timedelta(days=1), pupil_ids=[pupil.pk]
    )

    assert [flag.kind for flag in flagged] == ["concerning"]
    assert flagged[0].longest_run == 5
