"""The school calendar (Danish holidays, school years, days off) and the rules."""

from datetime import date

import pytest
from django.urls import reverse

from absence import calendar
from absence.flags import CONSECUTIVE_WINDOW_SCHOOL_DAYS
from absence.forms import (
    CONSECUTIVE_DAYS_TOO_MANY,
    DAY_START_OUT_OF_RANGE,
    WARNING_NOT_BELOW_NOTIFY,
)
from absence.models import AbsenceRules, NonSchoolDay, SchoolYear


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
    ],
)
def test_easter_sunday(year, easter):
    assert calendar.easter_sunday(year) == easter


def test_proposed_days_off_for_2025_26():
    days = {proposal.day: proposal for proposal in calendar.proposed_days_off(2025)}

    assert date(2025, 10, 13) in days  # autumn break, week 42
    assert date(2025, 12, 24) in days
    assert date(2026, 1, 1) in days
    assert date(2026, 2, 9) in days  # winter break, week 7
    assert date(2026, 4, 2) in days  # Maundy Thursday
    assert date(2026, 4, 6) in days  # Easter Monday
    assert date(2026, 5, 14) in days  # Ascension Day
    assert days[date(2026, 5, 15)].kind == NonSchoolDay.Kind.CLOSING_DAY
    assert date(2026, 5, 25) in days  # Whit Monday
    assert date(2026, 6, 5) in days  # Constitution Day
    assert date(2026, 5, 1) not in days
    assert all(day.weekday() < 5 for day in days)


def test_proposed_school_year_weeks():
    assert calendar.proposed_school_year(2025) == (date(2025, 8, 11), date(2026, 6, 26))


def test_coordinator_creates_school_year_with_proposed_holidays(
    client_for, coordinator
):
    response = client_for(coordinator).post(
        reverse("absence:calendar"),
        {"first_day": "2025-08-11", "last_day": "2026-06-26", "propose_days_off": "on"},
    )

    school_year = SchoolYear.objects.get()
    assert response.status_code == 302
    assert school_year.non_school_days.filter(day=date(2026, 4, 6)).exists()
    assert (
        calendar.day_info(school_year.school_id, date(2026, 4, 6)).is_school_day
        is False
    )
    assert (
        calendar.day_info(school_year.school_id, date(2026, 4, 7)).is_school_day is True
    )


def test_overlapping_school_year_is_rejected(client_for, coordinator, school_year):
    response = client_for(coordinator).post(
        reverse("absence:calendar"),
        {"first_day": "2026-06-01", "last_day": "2027-06-25"},
    )

    assert response.status_code == 200
    assert SchoolYear.objects.count() == 1


def test_days_off_are_added_and_removed(client_for, coordinator, school_year):
    url = reverse("absence:calendar_year", args=[school_year.pk])
    client = client_for(coordinator)

    client.post(
        url,
        {
            "first_day": "2026-04-27",
            "last_day": "2026-05-03",
            "kind": "closing_day",
            "name": "Lejrskole",
        },
    )
    client.post(
        reverse("absence:day_off_delete", args=[school_year.pk, date(2026, 4, 28)])
    )

    days = set(
        school_year.non_school_days.filter(name="Lejrskole").values_list(
            "day", flat=True
        )
    )
    assert days == {
        date(2026, 4, 27),
        date(2026, 4, 29),
        date(2026, 4, 30),
        date(2026, 5, 1),
    }


@pytest.mark.parametrize(
    ("last_day", "message"),
    [
        ("2026-04-27", "1 hverdag er markeret som fridag."),
        ("2026-04-28", "2 hverdage er markeret som fridage."),
    ],
)
def test_days_off_message_counts_days(
    client_for, coordinator, school_year, last_day, message
):
    url = reverse("absence:calendar_year", args=[school_year.pk])
    data = {
        "first_day": "2026-04-27",
        "last_day": last_day,
        "kind": "closing_day",
        "name": "Lejrskole",
    }

    response = client_for(coordinator).post(url, data, follow=True)

    assert message in response.content.decode()


def test_days_off_outside_school_year_are_rejected(
    client_for, coordinator, school_year
):
    response = client_for(coordinator).post(
        reverse("absence:calendar_year", args=[school_year.pk]),
        {
            "first_day": "2026-07-01",
            "last_day": "",
            "kind": "holiday",
            "name": "Sommer",
        },
    )

    assert response.status_code == 200
    assert not NonSchoolDay.objects.filter(name="Sommer").exists()


def test_calendar_access_by_role(
    client, client_for, teacher, coordinator, outsider, school_year
):
    year_url = reverse("absence:calendar_year", args=[school_year.pk])

    assert client.get(reverse("absence:calendar")).status_code == 302
    assert client.get(year_url).status_code == 302
    assert client_for(teacher).get(reverse("absence:calendar")).status_code == 403
    assert client_for(coordinator).get(year_url).status_code == 200
    assert client_for(outsider).get(year_url).status_code == 404


def test_leader_changes_rules(client, client_for, leader, coordinator):
    url = reverse("absence:rules")
    data = {
        "reason_deadline_days": "3",
        "day_starts_at": "08:15",
        "school_day_minutes": "330",
        "warning_percent": "10",
        "notify_percent": "15",
        "concerning_consecutive_days": "5",
        "concerning_days_of_20": "5",
        "concerning_days_of_60": "15",
        "concerning_percent": "10",
        "illness_teaching_days": "15",
    }

    assert client.get(url).status_code == 302
    assert client_for(coordinator).get(url).status_code == 403
    assert client_for(leader).post(url, data).status_code == 302
    assert (
        AbsenceRules.objects.get(school=leader.staff.school).reason_deadline_days == 3
    )


VALID_RULES = {
    "reason_deadline_days": "3",
    "day_starts_at": "08:15",
    "school_day_minutes": "330",
    "warning_percent": "10",
    "notify_percent": "15",
    "concerning_consecutive_days": "5",
    "concerning_days_of_20": "5",
    "concerning_days_of_60": "15",
    "concerning_percent": "10",
    "illness_teaching_days": "15",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"warning_percent": "15"}, "warning_percent", WARNING_NOT_BELOW_NOTIFY),
        ({"warning_percent": "20"}, "warning_percent", WARNING_NOT_BELOW_NOTIFY),
        (
            {"concerning_consecutive_days": "21"},
            "concerning_consecutive_days",
            CONSECUTIVE_DAYS_TOO_MANY % {"days": CONSECUTIVE_WINDOW_SCHOOL_DAYS},
        ),
        ({"day_starts_at": "03:00"}, "day_starts_at", DAY_START_OUT_OF_RANGE),
        ({"day_starts_at": "13:30"}, "day_starts_at", DAY_START_OUT_OF_RANGE),
    ],
)
def test_inconsistent_rules_are_rejected(client_for, leader, changes, field, message):
    response = client_for(leader).post(
        reverse("absence:rules"), {**VALID_RULES, **changes}
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [str(message)]
    assert not AbsenceRules.objects.exists()


def test_rules_at_the_limits_are_accepted(client_for, leader):
    limits = {
        "concerning_consecutive_days": str(CONSECUTIVE_WINDOW_SCHOOL_DAYS),
        "day_starts_at": "12:00",
        "warning_percent": "14.9",
    }

    response = client_for(leader).post(
        reverse("absence:rules"), {**VALID_RULES, **limits}
    )

    assert response.status_code == 302
    assert AbsenceRules.objects.get().concerning_consecutive_days == 20
