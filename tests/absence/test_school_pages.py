"""The dashboard, the CSV export, the absence statement and marking steps done."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from absence.figures import previous_quarter_start, quarter_start
from absence.flags import SHORT_LABELS
from absence.models import DueStepDone, Status
from absence.services import STEP_NOT_DUE
from absence.views.pupil import STEP_FORM_INVALID
from absence.views.school import neutralise
from schoolplan.models import AccessLogEntry
from tests.absence.conftest import HOLIDAY
from tests.absence.helpers import make_school_year, register_many, weekdays
from tests.factories import PupilFactory


@pytest.fixture
def current_year(school):
    today = timezone.localdate()
    return make_school_year(
        school, today - timedelta(days=200), today + timedelta(days=100)
    )


@pytest.fixture
def truant(group, teacher, current_year):
    """A pupil absent without reason every school day since the previous quarter."""
    today = timezone.localdate()
    pupil = PupilFactory(
        group=group, first_name="Bo", start_date=today - timedelta(days=300)
    )
    days = weekdays(previous_quarter_start(today), today - timedelta(days=1))
    register_many(pupil, days, Status.UNLAWFUL, by=teacher)
    return pupil


def test_dashboard_lists_flagged_pupil_with_what_is_due(client_for, leader, truant):
    page = client_for(leader).get(reverse("absence:dashboard")).content.decode()

    assert truant.full_name in page
    assert str(SHORT_LABELS[DueStepDone.Kind.NOTIFY]) in page
    assert reverse("absence:pupil", args=[truant.pk]) in page


def test_pupil_page_links_notification_to_statement(client_for, leader, truant):
    url = reverse("absence:pupil", args=[truant.pk])

    page = client_for(leader).get(url).content.decode()

    assert str(DueStepDone.Kind.NOTIFY.label) in page
    assert f"/fravaer/elev/{truant.pk}/opgoerelse/" in page


def test_dashboard_shows_only_own_school(client_for, outsider, truant):
    page = client_for(outsider).get(reverse("absence:dashboard")).content.decode()

    assert truant.full_name not in page


def test_dashboard_access_by_role(
    client, client_for, teacher, coordinator, leader, current_year
):
    url = reverse("absence:dashboard")

    assert client.get(url).status_code == 302
    assert client_for(teacher).get(url).status_code == 403
    assert client_for(coordinator).get(url).status_code == 200
    assert client_for(leader).get(url).status_code == 200


def test_marking_step_done_records_who_and_when(client_for, leader, truant):
    period_start = previous_quarter_start(timezone.localdate())
    client = client_for(leader)

    client.post(
        reverse("absence:step_done", args=[truant.pk]),
        {"kind": "notify", "period_start": period_start.isoformat(), "note": "Sendt"},
    )
    page = client.get(reverse("absence:pupil", args=[truant.pk])).content.decode()

    step = DueStepDone.objects.get()
    assert step.done_by == leader
    assert step.kind == "notify"
    assert step.period_start == period_start
    assert timezone.now() - step.done_at < timedelta(minutes=1)
    assert leader.get_full_name() in page


def test_teacher_cannot_mark_step_done(client, client_for, teacher, truant):
    url = reverse("absence:step_done", args=[truant.pk])
    data = {
        "kind": "notify",
        "period_start": quarter_start(timezone.localdate()).isoformat(),
    }

    assert client.post(url, data).status_code == 302
    assert client_for(teacher).post(url, data).status_code == 403
    assert not DueStepDone.objects.exists()


def test_statement_lists_every_absent_day(client_for, leader, truant):
    yesterday = timezone.localdate() - timedelta(days=1)
    url = reverse("absence:statement", args=[truant.pk, yesterday])

    page = client_for(leader).get(url).content.decode()

    days = weekdays(quarter_start(yesterday), yesterday)
    assert page.count("<tr>") >= len(days)
    assert "100,0 %" in page
    assert AccessLogEntry.objects.filter(
        pupil=truant, what__startswith="fraværsopgørelse fra "
    ).exists()


def test_statement_access_by_role(
    client, client_for, teacher, coordinator, leader, outsider, truant
):
    url = reverse("absence:statement", args=[truant.pk, timezone.localdate()])

    assert client.get(url).status_code == 302
    assert client_for(teacher).get(url).status_code == 403
    assert client_for(coordinator).get(url).status_code == 200
    assert client_for(leader).get(url).status_code == 200
    assert client_for(outsider).get(url).status_code == 404


def test_csv_neutralises_formulas_and_keeps_numbers(
    client_for, leader, group, teacher, school_year
):
    pupil = PupilFactory(group=group, first_name="=HYPERLINK(1)", last_name="@evil")
    days = [
        day for day in weekdays(date(2026, 1, 1), date(2026, 3, 31)) if day != HOLIDAY
    ]
    register_many(pupil, days[:1], Status.UNLAWFUL, by=teacher)
    register_many(pupil, days[1:], Status.PRESENT, by=teacher)

    response = client_for(leader).get(
        reverse("absence:export_csv") + "?period=quarter&day=2026-03-10"
    )

    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    row = next(row for row in rows[1:] if "HYPERLINK" in row[0])
    assert response["Content-Type"].startswith("text/csv")
    assert row[0] == "'=HYPERLINK(1) @evil"
    assert row[3:5] == ["2026-01-01", "2026-03-31"]
    assert row[5] == str(len(days))
    assert row[9] == "1"
    assert row[13] == f"{100 / len(days):.1f}".replace(".", ",")
    assert AccessLogEntry.objects.filter(action="export").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+45 12", "'+45 12"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Søren", "Søren"),
        (12, 12),
        (-3, -3),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_access_by_role(client, client_for, teacher, leader, current_year):
    url = reverse("absence:export_csv")

    assert client.get(url).status_code == 302
    assert client_for(teacher).get(url).status_code == 403
    assert client_for(leader).get(url).status_code == 200


def test_dashboard_follows_a_change_after_caching(client_for, leader, truant, teacher):
    client = client_for(leader)
    client.get(reverse("absence:dashboard"))
    period_start = previous_quarter_start(timezone.localdate())

    client.post(
        reverse("absence:step_done", args=[truant.pk]),
        {"kind": "notify", "period_start": period_start.isoformat()},
    )
    page = client.get(reverse("absence:dashboard")).content.decode()

    assert f"{SHORT_LABELS[DueStepDone.Kind.NOTIFY]} (" in page


def test_cached_dashboard_takes_fewer_queries(
    client_for, leader, truant, django_assert_max_num_queries
):
    client = client_for(leader)
    client.get(reverse("absence:dashboard"))

    with django_assert_max_num_queries(12):
        response = client.get(reverse("absence:dashboard"))

    assert truant.full_name in response.content.decode()


def test_day_off_delete_access_by_role(
    client, client_for, teacher, coordinator, school_year
):
    url = reverse("absence:day_off_delete", args=[school_year.pk, HOLIDAY])

    assert client.post(url).status_code == 302
    assert client_for(teacher).post(url).status_code == 403
    assert school_year.non_school_days.filter(day=HOLIDAY).exists()
    assert client_for(coordinator).post(url).status_code == 302
    assert not school_year.non_school_days.filter(day=HOLIDAY).exists()


def test_awaiting_and_index_need_login(client):
    for name in ("absence:awaiting", "absence:register_index", "absence:rules"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("kind", "period"),
    [
        ("illness_teaching", "quarter"),
        ("notify", "two years ago"),
        ("notify", "mid-quarter"),
    ],
)
def test_step_without_flag_is_rejected(client_for, leader, truant, kind, period):
    today = timezone.localdate()
    period_start = {
        "quarter": quarter_start(today),
        "two years ago": quarter_start(today - timedelta(days=730)),
        "mid-quarter": quarter_start(today) + timedelta(days=3),
    }[period]

    response = client_for(leader).post(
        reverse("absence:step_done", args=[truant.pk]),
        {"kind": kind, "period_start": period_start.isoformat()},
        follow=True,
    )

    assert escape(str(STEP_NOT_DUE)) in response.content.decode()
    assert not DueStepDone.objects.exists()


def test_step_note_too_long_says_so(client_for, leader, truant):
    period_start = previous_quarter_start(timezone.localdate())

    response = client_for(leader).post(
        reverse("absence:step_done", args=[truant.pk]),
        {"kind": "notify", "period_start": period_start.isoformat(), "note": "x" * 501},
        follow=True,
    )

    page = response.content.decode()
    assert "500" in page
    assert escape(str(STEP_FORM_INVALID)) not in page
    assert not DueStepDone.objects.exists()


def test_plan_flags_return_to_plain_plan(client_for, leader, truant):
    """The cached front part must not carry the first visit's query string."""
    client = client_for(leader)
    plan = reverse("schoolplan:plan", args=[truant.pk])
    client.get(plan + "?page=2&kind=daily")

    page = client.get(plan).content.decode()

    assert f'name="next" value="{plan}#section-absence"' in page
    assert "page=2" not in page
