"""The plan page's query count does not grow with the pupil's history."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from schoolplan.models import Amendment, Area, Entry
from tests.factories import GoalFactory


def _fill_log(pupil, author, count):
    areas = list(Area.objects.all())
    goal = GoalFactory(pupil=pupil)
    entries = Entry.objects.bulk_create(
        Entry(
            pupil=pupil,
            author=author,
            kind=Entry.Kind.DAILY,
            text=f"Notat {number}",
            concerns_date=date(2026, 11, 1) - timedelta(days=number % 700),
            goal=goal if number % 3 == 0 else None,
        )
        for number in range(count)
    )
    Entry.areas.through.objects.bulk_create(
        Entry.areas.through(entry_id=entry.pk, area_id=areas[index % len(areas)].pk)
        for index, entry in enumerate(entries)
    )
    Amendment.objects.bulk_create(
        Amendment(entry=entry, author=author, text="Tilføjelse")
        for entry in entries[::10]
    )


def _count_plan_queries(client, pupil):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("schoolplan:plan", args=[pupil.pk]))
    assert response.status_code == 200
    return len(queries)


def test_plan_query_count_independent_of_entries(
    client_for, teacher, pupil, other_pupil
):
    client = client_for(teacher)
    _fill_log(pupil, teacher, 30)
    _fill_log(other_pupil, teacher, 3000)
    other_pupil.group.staff.add(teacher)
    # The first request of a login checks two-factor status once.
    client.get(reverse("schoolplan:pupil_list"))

    small = _count_plan_queries(client, pupil)
    large = _count_plan_queries(client, other_pupil)

    assert small == large
    assert large <= 30
