"""Fixtures for the absence tests: a school year around a fixed Tuesday."""

from datetime import date

import pytest

from absence.models import AbsenceRules
from tests.absence.helpers import make_school_year

# A Tuesday inside the school year; tests that register use it instead of today,
# so they pass on any day the suite runs.
SCHOOL_DAY = date(2026, 3, 10)
HOLIDAY = date(2026, 3, 11)


@pytest.fixture
def school_year(school):
    return make_school_year(
        school, date(2025, 8, 11), date(2026, 6, 26), days_off=[HOLIDAY]
    )


@pytest.fixture
def rules(school):
    return AbsenceRules.objects.create(school=school)
