"""Dates outside 2000-2100, in forms or URLs, are rejected without a 500."""

from datetime import date

import pytest
from django.urls import reverse

from absence.dates import DATE_OUT_OF_RANGE, in_supported_range
from absence.models import OutreachContact, SchoolYear
from schoolplan.forms import DATE_TOO_EARLY
from tests.absence.conftest import SCHOOL_DAY


@pytest.mark.parametrize(
    ("first_day", "last_day"),
    [("0001-01-03", "0001-12-20"), ("9999-01-04", "9999-12-20")],
)
def test_school_year_out_of_range_is_rejected(
    client_for, coordinator, first_day, last_day
):
    client = client_for(coordinator)

    response = client.post(
        reverse("absence:calendar"),
        {"first_day": first_day, "last_day": last_day, "propose_days_off": "on"},
    )

    assert response.status_code == 200
    assert str(DATE_OUT_OF_RANGE) in response.content.decode()
    assert not SchoolYear.objects.exists()
    assert client.get(reverse("absence:calendar")).status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_register_day_out_of_range_is_not_found(
    client_for, teacher, group, school_year, day
):
    url = reverse("absence:register", args=[group.pk]) + f"?day={day}"

    assert client_for(teacher).get(url).status_code == 404


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_statement_date_out_of_range_is_not_found(client_for, leader, pupil, day):
    url = f"/fravaer/elev/{pupil.pk}/opgoerelse/{day}/"

    assert client_for(leader).get(url).status_code == 404


def test_statement_date_in_range_still_opens(client_for, leader, pupil, school_year):
    url = reverse("absence:statement", args=[pupil.pk, SCHOOL_DAY])

    assert client_for(leader).get(url).status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_csv_day_out_of_range_is_rejected(client_for, leader, school_year, day):
    url = reverse("absence:export_csv") + f"?period=quarter&day={day}"

    response = client_for(leader).get(url, follow=True)

    assert response.status_code == 200
    assert str(DATE_OUT_OF_RANGE) in response.content.decode()


def test_outreach_contact_before_2000_is_rejected(client_for, teacher, pupil):
    response = client_for(teacher).post(
        reverse("absence:outreach_create", args=[pupil.pk]),
        {
            "contacted_at": "0001-01-01T00:00",
            "kind": OutreachContact.Kind.PHONE,
            "staff": str(teacher.pk),
            "outcome": OutreachContact.Outcome.NO_CONTACT,
        },
    )

    assert response.status_code == 200
    assert str(DATE_TOO_EARLY) in response.content.decode()
    assert not OutreachContact.objects.exists()


def test_supported_range_bounds():
    assert in_supported_range(date(2000, 1, 1))
    assert in_supported_range(date(2100, 12, 31))
    assert not in_supported_range(date(1999, 12, 31))
    assert not in_supported_range(date(2101, 1, 1))
