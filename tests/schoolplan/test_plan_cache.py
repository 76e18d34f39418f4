"""The plan page's cached parts: stale the moment the pupil's data changes."""

import re
import time
from datetime import date

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from absence.models import (
    AbsenceRules,
    DueStepDone,
    NonSchoolDay,
    Registration,
    SchoolYear,
    Status,
)
from schoolplan import plan_cache, roles
from schoolplan.models import Amendment, Area, Entry, Goal, Pupil, PupilGroup
from schoolplan.views import ENTRIES_PER_PAGE
from tests.absence.helpers import register_many
from tests.factories import (
    EntryFactory,
    GoalFactory,
    PupilFactory,
    PupilGroupFactory,
    make_staff,
)

# Tables whose rows the plan page does not show, or which have their own rule.
NOT_ON_THE_PLAN_PAGE = {
    "schoolplan_pupil",  # its own trigger counts every update up
    "schoolplan_accesslogentry",  # written by every view of the page
    "schoolplan_staffmember",
    "schoolplan_pupilgroup_staff",  # decides access, checked before the cache
    "absence_dashboardpiece",  # derived from the listed tables, for the dashboard
}


def _tables_with_triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table, count(*) FROM information_schema.triggers "
            "WHERE trigger_name LIKE 'skoleplan_touch_%' "
            "GROUP BY event_object_table"
        )
        return dict(cursor.fetchall())


def _versions(pupil) -> tuple[int, int]:
    """Return the pupil's (front_version, log_version)."""
    return Pupil.objects.values_list("front_version", "log_version").get(pk=pupil.pk)


def _version(pupil) -> int:
    return _versions(pupil)[0]


def _absence_version(pupil) -> int:
    return Pupil.objects.values_list("absence_version", flat=True).get(pk=pupil.pk)


def _entry_version(entry) -> int:
    return Entry.objects.values_list("version", flat=True).get(pk=entry.pk)


def _plan(client, pupil, query=""):
    response = client.get(reverse("schoolplan:plan", args=[pupil.pk]) + query)
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
    listed = {
        **plan_cache.SCHOOLPLAN_TABLES,
        **plan_cache.ABSENCE_TABLES,
        **plan_cache.INTAKE_TABLES,
    }

    assert set(listed) | NOT_ON_THE_PLAN_PAGE == tables
    # An insert, an update and a delete trigger for each rule of a table.
    expected = {table: 3 * len(rules) for table, rules in listed.items()}
    assert _tables_with_triggers() == expected


def test_entry_card_tables_have_triggers(db):
    """Each table an entry card shows raises Entry.version, and the entry itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table, count(*) FROM information_schema.triggers "
            "WHERE trigger_name LIKE 'skoleplan_entry_version%%' "
            "GROUP BY event_object_table"
        )
        triggers = dict(cursor.fetchall())

    expected = {table: 3 for table in plan_cache.ENTRY_CARD_TABLES}
    # One row trigger, for both insert and update.
    expected["schoolplan_entry"] = 2
    assert triggers == expected


def test_new_entry_raises_only_the_log_version(pupil):
    front, log = _versions(pupil)

    EntryFactory(pupil=pupil)

    assert _versions(pupil)[0] == front
    assert _versions(pupil)[1] > log


def test_new_status_note_raises_both_versions(pupil):
    front, log = _versions(pupil)

    EntryFactory(pupil=pupil, kind=Entry.Kind.STATUS_NOTE)

    assert _versions(pupil)[0] > front
    assert _versions(pupil)[1] > log


def test_status_note_changed_to_daily_stales_front(pupil):
    note = EntryFactory(pupil=pupil, kind=Entry.Kind.STATUS_NOTE)
    front = _version(pupil)

    note.kind = Entry.Kind.DAILY
    note.save()

    assert _version(pupil) > front


def test_area_added_to_entry_raises_log_version(pupil):
    entry = EntryFactory(pupil=pupil)
    before = _versions(pupil)[1]

    entry.areas.add(Area.objects.first())

    assert _versions(pupil)[1] > before


def test_bulk_written_registrations_raise_the_version(pupil, teacher, other_pupil):
    before, other_before = _absence_version(pupil), _absence_version(other_pupil)
    front = _version(pupil)

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

    assert _absence_version(pupil) > before
    assert _absence_version(other_pupil) == other_before
    assert _version(pupil) == front


def test_calendar_change_stales_school_plans(pupil, other_pupil):
    neighbour = PupilFactory(group=PupilGroupFactory())
    year = SchoolYear.objects.create(
        school=pupil.school, first_day=date(2026, 8, 10), last_day=date(2027, 6, 25)
    )
    pupils = (pupil, other_pupil, neighbour)
    before = [_absence_version(each) for each in pupils]

    NonSchoolDay.objects.create(
        school_year=year, day=date(2026, 12, 7), kind=NonSchoolDay.Kind.CLOSING_DAY
    )

    after = [_absence_version(each) for each in pupils]
    assert after[0] > before[0]
    assert after[1] > before[1]
    assert after[2] == before[2]


def test_changed_absence_rules_stale_the_plans(pupil):
    rules, _created = AbsenceRules.objects.get_or_create(school=pupil.school)
    before = _absence_version(pupil)

    rules.warning_percent += 1
    rules.save()

    assert _absence_version(pupil) > before


def test_saving_a_pupil_read_earlier_still_counts_up(pupil):
    stale = Pupil.objects.get(pk=pupil.pk)
    EntryFactory(pupil=pupil, kind=Entry.Kind.STATUS_NOTE)
    front, log = _versions(pupil)

    stale.ppr_contact = "PPR Nord"
    stale.save()

    assert _versions(pupil)[0] > front
    assert _versions(pupil)[1] == log


def test_saving_an_unchanged_pupil_keeps_versions(pupil):
    pupil.refresh_from_db()
    before = _versions(pupil)

    pupil.save()

    assert _versions(pupil) == before


def test_plan_shows_entry_written_directly(client_for, teacher, pupil):
    client = client_for(teacher)
    _plan(client, pupil)

    EntryFactory(pupil=pupil, text="Skrevet direkte i databasen.")

    assert "Skrevet direkte i databasen." in _plan(client, pupil)


def test_front_part_is_kept_after_new_entry(client_for, teacher, pupil):
    client = client_for(teacher)
    _plan(client, pupil)
    EntryFactory(pupil=pupil, text="Kom med bussen i dag.")

    with CaptureQueriesContext(connection) as queries:
        page = _plan(client, pupil)

    assert "Kom med bussen i dag." in page
    assert not any("absence_registration" in query["sql"] for query in queries)


def test_plan_shows_status_note_written_directly(client_for, teacher, pupil):
    client = client_for(teacher)
    _plan(client, pupil)

    EntryFactory(
        pupil=pupil, kind=Entry.Kind.STATUS_NOTE, text="Statusnotat fra databasen."
    )

    page = _plan(client, pupil)
    front_section = page.split('id="section-status_note"')[1].split("</article>")[0]
    assert "Statusnotat fra databasen." in front_section


def test_versions_come_from_the_clock(pupil):
    before_write = int(time.time() * 1_000_000)

    EntryFactory(pupil=pupil)

    # The database runs on the same clock; allow a second for rounding.
    assert _versions(pupil)[1] >= before_write - 1_000_000


def test_restore_does_not_reuse_versions(client_for, teacher, pupil):
    """After a restore sets versions back, a new entry still gets a new version."""
    client = client_for(teacher)
    _plan(client, pupil)
    restored_log_version = _versions(pupil)[1]
    lost = EntryFactory(pupil=pupil, text="Tabt ved gendannelsen.")
    assert "Tabt ved gendannelsen." in _plan(client, pupil)
    with connection.cursor() as cursor:
        # What pg_restore does: rows come back without firing triggers.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM schoolplan_entry WHERE id = %s", [lost.pk])
        cursor.execute(
            "UPDATE schoolplan_pupil SET log_version = %s WHERE id = %s",
            [restored_log_version, pupil.pk],
        )
        cursor.execute("SET session_replication_role = DEFAULT")

    EntryFactory(pupil=pupil, text="Skrevet efter gendannelsen.")

    page = _plan(client, pupil)
    assert "Skrevet efter gendannelsen." in page
    assert "Tabt ved gendannelsen." not in page


def test_role_change_shows_at_once(client_for, coordinator, group, pupil):
    client = client_for(coordinator)
    entry = EntryFactory(pupil=pupil)
    edit_link = reverse("schoolplan:front_page_edit", args=[pupil.pk])
    amend_link = reverse("schoolplan:entry_amend", args=[pupil.pk, entry.pk])
    page = _plan(client, pupil)
    assert edit_link in page
    assert amend_link in page

    coordinator.groups.set([Group.objects.get(name=roles.TEACHER)])
    group.staff.add(coordinator)

    page = _plan(client, pupil)
    assert edit_link not in page
    assert amend_link not in page


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


def test_coordinator_shares_leaders_front_part(client_for, coordinator, leader, pupil):
    """Only leadership's menu differs, and it is put in on each request."""
    access_log = reverse("schoolplan:pupil_access_log", args=[pupil.pk])
    as_leader = _plan(client_for(leader), pupil)

    with CaptureQueriesContext(connection) as queries:
        as_coordinator = _plan(client_for(coordinator), pupil)
    as_leader_again = _plan(client_for(leader), pupil)

    assert access_log in as_leader
    assert access_log not in as_coordinator
    assert access_log in as_leader_again
    assert reverse("schoolplan:front_page_edit", args=[pupil.pk]) in as_coordinator
    assert not any("schoolplan_challenge" in query["sql"] for query in queries)
    assert plan_cache.LEADERSHIP_MENU_MARKER not in as_leader + as_coordinator


def test_teacher_does_not_share_front_part(client_for, teacher, coordinator, pupil):
    _plan(client_for(coordinator), pupil)

    as_teacher = _plan(client_for(teacher), pupil)

    assert reverse("schoolplan:front_page_edit", args=[pupil.pk]) not in as_teacher
    assert reverse("schoolplan:plan_export", args=[pupil.pk]) not in as_teacher


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


def _plain_part(key, versions, build=None):
    return plan_cache.Part(
        key=key,
        versions=versions,
        build=build or (lambda: {"entries": ("pagination.html", {})}),
    )


def test_nothing_is_cached_without_postgresql(monkeypatch, rf, teacher, pupil):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    request = rf.get("/")
    request.user = teacher
    contexts_built = []

    def build():
        contexts_built.append(True)
        return {"entries": ("pagination.html", {})}

    key = plan_cache.log_key(request, pupil, timezone.localdate())
    for _view in range(2):
        plan_cache.cached_parts(
            request, pupil, {"log": _plain_part(key, (plan_cache.LOG,), build)}
        )

    assert len(contexts_built) == 2


def test_part_rendered_during_a_write_is_not_stored(rf, teacher, pupil):
    """A write between reading the version and rendering keeps the part out."""
    request = rf.get("/")
    request.user = teacher
    pupil.refresh_from_db()
    quiet_key = plan_cache.front_key(request, pupil, timezone.localdate())
    key = plan_cache.log_key(request, pupil, timezone.localdate())

    def build_while_an_entry_is_saved():
        EntryFactory(pupil=pupil)
        return {"entries": ("pagination.html", {})}

    plan_cache.cached_parts(
        request,
        pupil,
        {
            "front": _plain_part(quiet_key, (plan_cache.FRONT,)),
            "log": _plain_part(key, (plan_cache.LOG,), build_while_an_entry_is_saved),
        },
    )

    assert cache.get(quiet_key) is not None
    assert cache.get(key) is None


def test_pupil_edit_raises_absence_version(pupil):
    before = (_version(pupil), _absence_version(pupil))

    Pupil.objects.filter(pk=pupil.pk).update(start_date=date(2026, 9, 1))

    assert _version(pupil) > before[0]
    assert _absence_version(pupil) > before[1]


def test_new_pupil_versions_come_from_the_clock(group):
    before_write = int(time.time() * 1_000_000)

    pupil = PupilFactory(group=group)

    stored = Pupil.objects.values("front_version", "absence_version").get(pk=pupil.pk)
    assert stored["front_version"] >= before_write - 1_000_000
    assert stored["absence_version"] >= before_write - 1_000_000


def test_new_entry_version_comes_from_the_clock(pupil):
    """A new entry never starts at a version a lost entry with its id had."""
    before_write = int(time.time() * 1_000_000)

    entry = EntryFactory(pupil=pupil)

    assert _entry_version(entry) >= before_write - 1_000_000


def test_entry_version_rises_with_what_its_card_shows(pupil, teacher):
    goal = GoalFactory(pupil=pupil)
    entry = EntryFactory(pupil=pupil, goal=goal)
    other = EntryFactory(pupil=pupil)
    area = Area.objects.first()
    writes = {
        "area added": lambda: entry.areas.add(area),
        "area removed": lambda: entry.areas.remove(area),
        "amendment": lambda: Amendment.objects.create(
            entry=entry, author=teacher, text="Tilføjet senere."
        ),
        "goal title": lambda: Goal.objects.filter(pk=goal.pk).update(title="Nyt mål"),
        "area label": lambda: Area.objects.filter(pk=area.pk).update(position=99),
        "text": lambda: Entry.objects.filter(pk=entry.pk).update(text="Rettet."),
    }
    other_before = _entry_version(other)

    for name, write in writes.items():
        if name == "area label":
            entry.areas.add(area)
        before = _entry_version(entry)

        write()

        assert _entry_version(entry) > before, name
    assert _entry_version(other) == other_before


def test_saving_an_unchanged_entry_keeps_its_version(pupil):
    entry = EntryFactory(pupil=pupil)
    entry.refresh_from_db()
    before = _entry_version(entry)

    entry.save()

    assert _entry_version(entry) == before


def test_front_part_is_kept_after_registration(client_for, teacher, pupil):
    client = client_for(teacher)
    _plan(client, pupil)
    Registration.objects.create(
        pupil=pupil,
        group=pupil.group,
        day=date(2026, 11, 2),
        notation=Registration.Notation.MORNING,
        status=Status.UNLAWFUL,
        registered_by=teacher,
    )

    with CaptureQueriesContext(connection) as queries:
        _plan(client, pupil)

    sql = " ".join(query["sql"] for query in queries)
    assert "skoleplan_" not in sql
    assert "schoolplan_goal" not in sql
    assert "schoolplan_frontpage" not in sql
    assert "absence_success" not in sql
    assert "absence_registration" in sql


def test_new_entry_renders_only_its_card(client_for, teacher, pupil):
    client = client_for(teacher)
    for _number in range(5):
        EntryFactory(pupil=pupil, concerns_date=date(2026, 10, 1))
    _plan(client, pupil)
    new = EntryFactory(pupil=pupil, text="Den nye note.")

    with CaptureQueriesContext(connection) as queries:
        page = _plan(client, pupil)

    amendment_queries = [
        query["sql"] for query in queries if "FROM schoolplan_amendment" in query["sql"]
    ]
    assert "Den nye note." in page
    assert len(amendment_queries) == 1
    assert f"ANY(ARRAY[{new.pk}])" in amendment_queries[0]
    assert len(re.findall("log-entry ", page)) == 6


def test_shared_cards_keep_each_viewers_links(client_for, teacher, leader, pupil):
    """A card rendered for its author is not shown with the author's links to others."""
    colleague = make_staff(
        school=pupil.school, role=roles.TEACHER, groups=[pupil.group]
    )
    entry = EntryFactory(
        pupil=pupil, author=teacher, concerns_date=timezone.localdate()
    )
    correct_link = reverse("schoolplan:entry_edit", args=[pupil.pk, entry.pk])
    amend_link = reverse("schoolplan:entry_amend", args=[pupil.pk, entry.pk])

    as_author = _plan(client_for(teacher), pupil)
    as_colleague = _plan(client_for(colleague), pupil)
    as_leader = _plan(client_for(leader), pupil)

    assert correct_link in as_author
    assert amend_link in as_author
    assert correct_link not in as_colleague
    assert amend_link not in as_colleague
    assert correct_link not in as_leader
    assert amend_link in as_leader


def _served_and_fresh(client, pupil, queries) -> tuple[list, list]:
    """Return the plan pages as served and as rendered with an empty cache."""
    served = [_plan(client, pupil, query) for query in queries]
    cache.clear()
    fresh = [_plan(client, pupil, query) for query in queries]

    # Each response masks the CSRF token afresh.
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    return (
        [token.sub("", page) for page in served],
        [token.sub("", page) for page in fresh],
    )


def _register(pupil, user):
    register_many(
        pupil, [date(2026, 11, 2), date(2026, 11, 3)], Status.UNLAWFUL, by=user
    )


def _raw_sql(sql: str, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


WRITES = {
    "registrations": lambda pupil, entry, user: _register(pupil, user),
    "registration by raw SQL": lambda pupil, entry, user: _raw_sql(
        "UPDATE absence_registration SET status = 'illness' WHERE pupil_id = %s",
        [pupil.pk],
    ),
    "start date": lambda pupil, entry, user: Pupil.objects.filter(pk=pupil.pk).update(
        start_date=date(2026, 11, 3)
    ),
    "absence rules": lambda pupil, entry, user: AbsenceRules.objects.filter(
        school=pupil.school
    ).update(warning_percent=1),
    "step done": lambda pupil, entry, user: _step_done(pupil, user),
    "day off": lambda pupil, entry, user: NonSchoolDay.objects.create(
        school_year=SchoolYear.objects.get(school=pupil.school),
        day=date(2026, 11, 2),
        kind=NonSchoolDay.Kind.CLOSING_DAY,
    ),
    "new entry by a new author": lambda pupil, entry, user: EntryFactory(
        pupil=pupil, text="Ny forfatter."
    ),
    "amendment": lambda pupil, entry, user: Amendment.objects.create(
        entry=entry, author=user, text="Tilføjet bagefter."
    ),
    "area": lambda pupil, entry, user: entry.areas.add(Area.objects.last()),
    "goal title": lambda pupil, entry, user: Goal.objects.filter(
        pk=entry.goal_id
    ).update(title="Omdøbt mål"),
    "struck by raw SQL": lambda pupil, entry, user: _raw_sql(
        "UPDATE schoolplan_entry SET struck_at = now(), struck_by_id = %s, "
        "strike_reason = 'Forkert elev' WHERE id = %s",
        [user.pk, entry.pk],
    ),
    "area order": lambda pupil, entry, user: Area.objects.filter(
        code=Area.Code.HEALTH
    ).update(position=99),
}


def _step_done(pupil, user):
    DueStepDone.objects.create(
        pupil=pupil,
        kind=DueStepDone.Kind.CONCERNING,
        period_start=date(2026, 10, 1),
        done_by=user,
    )


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("role", ["teacher", "coordinator", "leader"])
def test_cached_page_equals_fresh_page_after_write(
    request, client_for, teacher, pupil, write, role
):
    viewer = request.getfixturevalue(role)
    client = client_for(viewer)
    SchoolYear.objects.create(
        school=pupil.school, first_day=date(2026, 8, 10), last_day=date(2027, 6, 25)
    )
    AbsenceRules.objects.get_or_create(school=pupil.school)
    entry = EntryFactory(
        pupil=pupil,
        author=teacher,
        goal=GoalFactory(pupil=pupil),
        concerns_date=timezone.localdate(),
    )
    entry.areas.add(Area.objects.get(code=Area.Code.HEALTH))
    for _number in range(ENTRIES_PER_PAGE):
        EntryFactory(pupil=pupil, author=teacher, concerns_date=date(2026, 10, 1))
    queries = ["", "?page=2", "?kind=daily", f"?author={teacher.pk}&page=2"]
    for query in queries:
        _plan(client, pupil, query)

    WRITES[write](pupil, entry, teacher)

    served, fresh = _served_and_fresh(client, pupil, queries)
    for query, served_page, fresh_page in zip(queries, served, fresh, strict=True):
        assert served_page == fresh_page, query


def test_group_rename_raises_both_front_and_absence(pupil):
    """The header and the absence dashboard both show the group's name."""
    before = (_version(pupil), _absence_version(pupil))

    PupilGroup.objects.filter(pk=pupil.group_id).update(name="Nyt holdnavn")

    assert _version(pupil) > before[0]
    assert _absence_version(pupil) > before[1]
