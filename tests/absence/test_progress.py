"""The absence figure that the intake's progression section shows."""

from datetime import date
from decimal import Decimal

from absence.models import Status
from absence.progress import absence_percent_between
from intake import progress
from tests.absence.helpers import register, register_many, weekdays


def test_provider_is_registered_for_intake():
    assert progress._provider is absence_percent_between


def test_share_of_school_days_missed(pupil, teacher, school_year):
    # Two weeks of school days, 2-13 March 2026; 11 March is a day off.
    days = [day for day in weekdays(date(2026, 3, 2), date(2026, 3, 13))]
    school_days = [day for day in days if day != date(2026, 3, 11)]
    register_many(pupil, school_days[2:], Status.PRESENT, by=teacher)
    register(pupil, school_days[0], Status.ILLNESS, by=teacher)
    register(pupil, school_days[1], Status.UNLAWFUL, by=teacher)

    share = absence_percent_between(pupil, date(2026, 3, 2), date(2026, 3, 13))

    # 2 of 9 school days missed.
    assert share.quantize(Decimal("0.01")) == Decimal("22.22")
