"""The absence and successes sections of the plan: figures, chart and audiences."""

from datetime import date, time
from decimal import Decimal

from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from absence import figures, flags, selectors
from absence.models import DueStepDone, Status
from schoolplan.sections import Audience, Period, school_year_of, sections_for
from tests.absence.conftest import HOLIDAY
from tests.absence.helpers import register, register_many, weekdays

PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))
TODAY = date(2026, 4, 15)


def test_sections_go_to_every_audience():
    for audience in Audience.values:
        keys = [section.key for section in sections_for(audience, front_page_only=True)]
        assert "absence" in keys
        assert "successes" in keys


def test_summary_matches_hand_computed_figures(rules, pupil, teacher, school_year):
    days = [
        day for day in weekdays(date(2026, 3, 2), date(2026, 3, 13)) if day != HOLIDAY
    ]
    pupil.start_date = days[0]
    pupil.save()
    register_many(pupil, days[:6], by=teacher)
    register(pupil, days[6], Status.ILLNESS, by=teacher)
    register(pupil, days[7], Status.UNLAWFUL, by=teacher)
    register(pupil, days[8], Status.LATE, arrived_at=time(9, 30), by=teacher)

    summary = selectors.absence_summary(pupil, Period(days[0], days[-1]), TODAY)
    html = render_to_string(
        "absence/sections/absence.html",
        {
            "section": {"pupil": pupil, "summary": summary, "is_internal": False},
            "for_pdf": True,
        },
    )

    # 9 school days: 1 illness + 1 unlawful + 0.3 late = 2.3 days missed.
    assert summary.figures.period.school_days == 9
    assert summary.figures.period.absent == Decimal("2.3")
    assert round(summary.figures.period.absent_percent, 1) == Decimal("25.6")
    assert "25,6 %" in html
    assert "11,1 %" in html
    assert "<svg" in html
    assert 'class="start-marker"' in html
    assert "<script" not in html
    assert "<form" not in html


def test_summary_takes_fixed_number_of_queries(rules, pupil, teacher, school_year):
    days = [
        day for day in weekdays(date(2026, 1, 5), date(2026, 3, 31)) if day != HOLIDAY
    ]
    register_many(pupil, days[:3], by=teacher)
    with CaptureQueriesContext(connection) as few:
        selectors.absence_summary(pupil, PERIOD, TODAY)
    register_many(pupil, days[3:], Status.UNLAWFUL, by=teacher)
    with CaptureQueriesContext(connection) as many:
        selectors.absence_summary(pupil, PERIOD, TODAY)

    assert len(few) == len(many) == 2


def test_plan_page_shows_absence_section(client_for, teacher, pupil):
    page = (
        client_for(teacher)
        .get(reverse("schoolplan:plan", args=[pupil.pk]))
        .content.decode()
    )

    assert 'id="section-absence"' in page
    assert 'id="section-successes"' in page
    assert "figures-table" in page


def test_figures_and_flags_match_separate_queries(
    rules, pupil, teacher, leader, school_year
):
    """The absence section's one query returns what the two separate ones do."""
    days = [
        day for day in weekdays(date(2025, 9, 1), date(2026, 4, 30)) if day != HOLIDAY
    ]
    pupil.start_date = days[0]
    pupil.save()
    statuses = [Status.PRESENT, Status.UNLAWFUL, Status.ILLNESS, Status.PRESENT]
    for offset, status in enumerate(statuses):
        register_many(pupil, days[offset :: len(statuses)], status, by=teacher)
    register(pupil, date(2026, 5, 4), Status.LATE, arrived_at=time(9, 30), by=teacher)
    DueStepDone.objects.create(
        pupil=pupil,
        kind=DueStepDone.Kind.WARNING,
        period_start=date(2026, 1, 1),
        done_by=leader,
    )

    flags_compared = 0
    for today in (date(2025, 10, 2), date(2026, 3, 10), date(2026, 8, 20)):
        for period in (school_year_of(today), Period(date(2025, 1, 1), today)):
            separate = (
                figures.pupil_figures(
                    rules, pupil.pk, start=period.start, end=period.end, today=today
                ),
                flags.flags_for(rules, today=today, pupil_ids=[pupil.pk]),
            )

            together = flags.pupil_figures_and_flags(
                rules, pupil.pk, start=period.start, end=period.end, today=today
            )

            assert together[0] == separate[0], (today, period)
            assert together[1] == separate[1], (today, period)
            flags_compared += len(together[1])

    # The registrations raise flags on some of the days, one of them done.
    assert flags_compared > 0
