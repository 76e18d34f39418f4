"""The plan page's cached body: stale the moment the pupil's data changes."""

import re
from datetime import date

from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from absence import services as absence_services
from absence.models import (
    AbsenceRules,
    NonSchoolDay,
    Registration,
    SchoolYear,
    Status,
)
from schoolplan import plan_cache
from schoolplan.models import Area, Entry, Pupil
from tests.factories import EntryFactory, PupilFactory, PupilGroupFactory

# Tables whose rows the plan page does not show, or which have their own rule.
NOT_ON_THE_PLAN_PAGE = {
    "schoolplan_pupil",  # its own trigger counts every update up
    "schoolplan_accesslogentry",  # written by every view of the page
    "schoolplan_staffmember",
    "schoolplan_pupilgroup_staff",  # decides access, checked before the cache
}


def _tables_with_triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table, count(*) FROM information_schema.triggers "
            "WHERE trigger_name LIKE 'skoleplan_touch_plans_%' "
            "GROUP BY event_object_table"
        )
        return dict(cursor.fetchall())


def _version(pupil) -> int:
    return Pupil.objects.values_list("plan_version", flat=True).get(pk=pupil.pk)


def _plan(client, pupil):
    response = client.get(reverse("schoolplan:plan", args=[pupil.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_every_table_is_listed(db):
    """Each model is listed with a query for its pupils, or named as not on the page."""
    tables = {
        model._meta.db_table
        for app in ("schoolplan", "absence", "intake")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
        if not model.__name__.startswith("Historical")
    }
    listed = (
        set(plan_cache.SCHOOLPLAN_TABLES)
        | set(plan_cache.ABSENCE_TABLES)
        | set(plan_cache.INTAKE_TABLES)
    )

    assert listed | NOT_ON_THE_PLAN_PAGE == tables
    assert _tables_with_triggers() == dict.fromkeys(listed, 3)


def test_new_entry_raises_the_version(pupil):
    before = _version(pupil)

    EntryFactory(pupil=pupil)

    assert _version(pupil) > before


def test_area_added_to_an_entry_raises_the_version(pupil):
    entry = EntryFactory(pupil=pupil)
    before = _version(pupil)

    entry.areas.add(Area.objects.first())

    assert _version(pupil) > before


def test_bulk_written_registrations_raise_the_version(pupil, teacher, other_pupil):
    before, other_before = _version(pupil), _version(other_pupil)

    Registration.objects.bulk_create(
        Registration(
            pupil=pupil,
            group=pupil.group,
            day=date(2026, 11, day),
            notation=Registration.Notation.MORNING,
            status=Status.ILLNESS,
            registered_by=teacher,
        )
        for day in (2, 3, 4)
    )

    assert _version(pupil) > before
    assert _version(other_pupil) == other_before


def test_calendar_change_stales_school_plans(pupil, other_pupil):
    neighbour = PupilFactory(group=PupilGroupFactory())
    year = SchoolYear.objects.create(
        school=pupil.school, first_day=date(2026, 8, 10), last_day=date(2027, 6, 25)
    )
    before = (_version(pupil), _version(other_pupil), _version(neighbour))

    NonSchoolDay.objects.create(
        school_year=year, day=date(2026, 12, 7), kind=NonSchoolDay.Kind.CLOSING_DAY
    )

    after = (_version(pupil), _version(other_pupil), _version(neighbour))
    assert after[0] > before[0]
    assert after[1] > before[1]
    assert after[2] == before[2]


def test_dashboard_version_leaves_plans_alone(pupil):
    AbsenceRules.objects.get_or_create(school=pupil.school)
    before = _version(pupil)

    absence_services.bump_data_version(pupil.school_id)

    assert _version(pupil) == before


def test_changed_absence_rules_stale_the_plans(pupil):
    rules, _created = AbsenceRules.objects.get_or_create(school=pupil.school)
    before = _version(pupil)

    rules.warning_percent += 1
    rules.save()

    assert _version(pupil) > before


def test_saving_a_pupil_read_earlier_still_counts_up(pupil):
    stale = Pupil.objects.get(pk=pupil.pk)
    EntryFactory(pupil=pupil)
    current = _version(pupil)

    stale.ppr_contact = "PPR Nord"
    stale.save()

    assert _version(pupil) > current


def test_plan_shows_entry_written_directly(client_for, teacher, pupil):
    client = client_for(teacher)
    _plan(client, pupil)

    EntryFactory(pupil=pupil, text="Skrevet direkte i databasen.")

    assert "Skrevet direkte i databasen." in _plan(client, pupil)


def test_second_view_is_served_from_the_cache(client_for, teacher, pupil):
    client = client_for(teacher)
    EntryFactory(pupil=pupil, text="Læste højt for gruppen.")
    first = _plan(client, pupil)

    with CaptureQueriesContext(connection) as queries:
        second = _plan(client, pupil)

    assert "Læste højt for gruppen." in second
    assert not any("schoolplan_entry" in query["sql"] for query in queries)
    assert len(re.findall("log-entry ", second)) == len(re.findall("log-entry ", first))


def test_cache_is_kept_per_viewer(client_for, teacher, leader, pupil):
    EntryFactory(pupil=pupil, author=teacher, concerns_date=timezone.localdate())
    correct_link = "Ret</a>"
    assert correct_link in _plan(client_for(teacher), pupil)

    as_leader = _plan(client_for(leader), pupil)

    assert correct_link not in as_leader
    assert reverse("schoolplan:front_page_edit", args=[pupil.pk]) in as_leader


def test_cached_page_has_sessions_csrf_token(teacher, pupil):
    """A second login of the same user gets its own token, and its form works."""
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(teacher)
    second.force_login(teacher)
    _plan(first, pupil)

    page = _plan(second, pupil)

    assert plan_cache.CSRF_PLACEHOLDER not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = second.post(
        reverse("schoolplan:entry_create", args=[pupil.pk]),
        {
            "csrfmiddlewaretoken": token,
            "concerns_date": timezone.localdate().isoformat(),
            "kind": "daily",
            "text": "Gemt fra en side fra cachen.",
        },
    )
    assert response.status_code == 302
    assert Entry.objects.filter(text="Gemt fra en side fra cachen.").exists()


def test_nothing_is_cached_without_postgresql(monkeypatch, rf, teacher, pupil):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    request = rf.get("/")
    request.user = teacher
    rendered = []

    def render(extra_context):
        rendered.append(extra_context)
        return "<p>krop</p>"

    for _view in range(2):
        plan_cache.cached_body(request, pupil, timezone.localdate(), render)

    assert rendered == [{}, {}]
