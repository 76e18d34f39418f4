"""The dashboard brought up to date per pupil shows what a fresh one shows."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.cache.backends import base as cache_base
from django.core.cache.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from absence import dashboard, figures, selectors, services
from absence.figures import previous_quarter_start
from absence.models import (
    AbsenceRules,
    DashboardPiece,
    DueStepDone,
    OutreachContact,
    Registration,
    Status,
    Success,
)
from schoolplan import privacy
from schoolplan.models import Area, Pupil, PupilGroup
from tests.absence.helpers import make_school_year, register, register_many, weekdays
from tests.factories import PupilFactory

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def school_in_session(school, group, other_group, teacher):
    """Two groups of pupils with a term of mixed attendance behind them."""
    today = timezone.localdate()
    make_school_year(school, today - timedelta(days=200), today + timedelta(days=100))
    AbsenceRules.objects.create(school=school)
    days = weekdays(previous_quarter_start(today), today - timedelta(days=1))
    start = today - timedelta(days=300)
    pupils = {
        "truant": PupilFactory(group=group, first_name="Bo", start_date=start),
        "regular": PupilFactory(group=group, first_name="Ida", start_date=start),
        "other": PupilFactory(group=other_group, first_name="Eik", start_date=start),
    }
    register_many(pupils["truant"], days, Status.UNLAWFUL, by=teacher)
    register_many(pupils["regular"], days, Status.PRESENT, by=teacher)
    register_many(pupils["other"], days[::2], Status.ILLNESS, by=teacher)
    OutreachContact.objects.create(
        pupil=pupils["truant"],
        staff=teacher,
        kind=OutreachContact.Kind.PHONE,
        outcome=OutreachContact.Outcome.CAME,
        contacted_at=timezone.now() - timedelta(days=3),
    )
    return pupils


def _page(client) -> str:
    content = client.get(reverse("absence:dashboard")).content.decode()
    return CSRF_TOKEN.sub("", content)


def _fresh_page(client) -> str:
    """Return the dashboard computed from nothing: no totals, cache or saved pieces."""
    dashboard.forget_totals()
    cache.clear()
    DashboardPiece.objects.all().delete()
    return _page(client)


def _absent_from_now_on(pupil, teacher):
    """Register the pupil absent without reason on the last ten school days."""
    days = weekdays(timezone.localdate() - timedelta(days=14), timezone.localdate())
    Registration.objects.filter(pupil=pupil, day__in=days).update(
        status=Status.UNLAWFUL
    )


CHANGES = {
    "registrations": lambda pupils, teacher, other_group: _absent_from_now_on(
        pupils["regular"], teacher
    ),
    "outreach contact": lambda pupils, teacher, other_group: (
        OutreachContact.objects.create(
            pupil=pupils["other"],
            staff=teacher,
            kind=OutreachContact.Kind.HOME_VISIT,
            outcome=OutreachContact.Outcome.STAYED_HOME,
            contacted_at=timezone.now() - timedelta(days=2),
        )
    ),
    "step done": lambda pupils, teacher, other_group: DueStepDone.objects.create(
        pupil=pupils["truant"],
        kind=DueStepDone.Kind.NOTIFY,
        period_start=previous_quarter_start(timezone.localdate()),
        done_by=teacher,
    ),
    "new group": lambda pupils, teacher, other_group: Pupil.objects.filter(
        pk=pupils["truant"].pk
    ).update(group=other_group),
    "renamed pupil": lambda pupils, teacher, other_group: Pupil.objects.filter(
        pk=pupils["truant"].pk
    ).update(first_name="Bodil"),
    "new pupil": lambda pupils, teacher, other_group: register(
        PupilFactory(group=other_group, first_name="Ny"),
        timezone.localdate() - timedelta(days=1),
        Status.UNLAWFUL,
        by=teacher,
    ),
    "pupil deleted": lambda pupils, teacher, other_group: pupils["other"].delete(),
    "stricter rules": lambda pupils, teacher, other_group: AbsenceRules.objects.update(
        illness_teaching_days=200
    ),
    # A success changes no pupil's absence version, and so keeps the totals.
    "new success": lambda pupils, teacher, other_group: Success.objects.create(
        pupil=pupils["regular"],
        day=timezone.localdate() - timedelta(days=1),
        area=Area.objects.get(code=Area.Code.ATTENDANCE),
        pattern=Success.Pattern.WHOLE_DAY,
        seen_by=teacher,
    ),
    "renamed group": lambda pupils, teacher, other_group: PupilGroup.objects.filter(
        pk=other_group.pk
    ).update(name="Omdøbt hold"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_updated_dashboard_equals_a_fresh_one(
    client_for, leader, teacher, other_group, school_in_session, change
):
    client = client_for(leader)
    before = _page(client)

    CHANGES[change](school_in_session, teacher, other_group)
    updated = _page(client)
    fresh = _fresh_page(client)

    assert updated == fresh
    assert updated != before


def test_dashboard_change_computes_one_pupil(client_for, leader, school_in_session):
    client = client_for(leader)
    client.get(reverse("absence:dashboard"))
    changed = school_in_session["regular"]

    Registration.objects.filter(pupil=changed).update(status=Status.ILLNESS)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("absence:dashboard"))

    figures = [query["sql"] for query in queries if "day_figure" in query["sql"]]
    assert len(figures) == 2
    assert all(f"ARRAY[{changed.pk}]" in sql for sql in figures)


def test_saved_register_prepares_its_pieces(
    client_for,
    leader,
    teacher,
    group,
    school_in_session,
    django_capture_on_commit_callbacks,
):
    client = client_for(leader)
    client.get(reverse("absence:dashboard"))
    day = timezone.localdate() - timedelta(days=1)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    regular = school_in_session["regular"]
    version = Registration.objects.get(pupil=regular, day=day).version

    with django_capture_on_commit_callbacks(execute=True):
        services.register_save(
            group=group,
            day=day,
            user=teacher,
            rows=[
                services.RowInput(
                    pupil_id=regular.pk,
                    notation=Registration.Notation.MORNING,
                    status=Status.UNLAWFUL,
                    loaded_version=version,
                )
            ],
        )
    with CaptureQueriesContext(connection) as queries:
        updated = _page(client)

    assert not [query for query in queries if "day_figure" in query["sql"]]
    assert updated == _fresh_page(client)


class FakeClock:
    """A clock for the dashboard's piece ages and the local memory cache's expiry."""

    def __init__(self, monkeypatch):
        self.now = 1_000_000.0
        fake_time = SimpleNamespace(time=self.read, monotonic=self.read)
        monkeypatch.setattr(dashboard, "time", fake_time)
        monkeypatch.setattr(locmem, "time", fake_time)
        monkeypatch.setattr(cache_base, "time", fake_time)

    def read(self) -> float:
        return self.now


def test_untracked_change_shows_within_piece_age(
    monkeypatch, client_for, leader, teacher, school_in_session
):
    clock = FakeClock(monkeypatch)
    truant = school_in_session["truant"]
    DueStepDone.objects.create(
        pupil=truant,
        kind=DueStepDone.Kind.NOTIFY,
        period_start=previous_quarter_start(timezone.localdate()),
        done_by=teacher,
    )
    client = client_for(leader)
    _page(client)

    # The truant's piece is computed again a second after the rest.
    clock.now += 1
    latest = Registration.objects.filter(pupil=truant).latest("day")
    Registration.objects.filter(pk=latest.pk).update(status=Status.ILLNESS)
    _page(client)
    # No trigger raises a version for a staff member's new name, so only the
    # pieces' age bounds how long the old name shows.
    clock.now += 1
    teacher.first_name = "Omdøbt"
    teacher.save()
    renamed_at = clock.now
    # The totals pass their maximum age and start again, half a second before
    # the truant's piece expires from the cache.
    clock.now += dashboard.PIECES_SECONDS - 1.5
    _page(client)
    clock.now = renamed_at + dashboard.PIECES_SECONDS + 1
    page = _page(client)

    assert "Omdøbt" in page


def test_other_worker_uses_saved_pieces(client_for, leader, school_in_session):
    client = client_for(leader)
    expected = _page(client)
    # Another worker has neither this worker's totals nor its cache.
    dashboard.forget_totals()
    cache.clear()

    with CaptureQueriesContext(connection) as queries:
        page = _page(client)

    assert not [query for query in queries if "day_figure" in query["sql"]]
    assert page == expected


def test_anonymised_pupil_piece_is_not_reused(client_for, leader, school_in_session):
    client = client_for(leader)
    _page(client)
    truant = school_in_session["truant"]
    assert DashboardPiece.objects.filter(pupil=truant).exists()

    privacy.anonymise_pupil(truant)
    dashboard.forget_totals()
    cache.clear()
    page = _page(client)

    assert truant.full_name not in page
    assert page == _fresh_page(client)


def test_unchanged_dashboard_reuses_its_body(
    client_for, leader, school_in_session, monkeypatch
):
    client = client_for(leader)
    first = _page(client)
    rendered = []
    body_context = dashboard.body_context
    monkeypatch.setattr(
        dashboard,
        "body_context",
        lambda *args, **kwargs: rendered.append(1) or body_context(*args, **kwargs),
    )

    second = _page(client)
    rendered_for_second = len(rendered)
    everything = client.get(reverse("absence:dashboard") + "?alle=1")

    assert second == first
    assert rendered_for_second == 0
    assert everything.status_code == 200
    assert len(rendered) == 1


def test_school_setting_matches_separate_reads(school, leader):
    today = timezone.localdate()

    without_year = selectors.staff_school_setting(leader, today)
    AbsenceRules.objects.create(school=school, warning_percent=12)
    year = make_school_year(
        school, today - timedelta(days=30), today + timedelta(days=30)
    )
    with_year = selectors.staff_school_setting(leader, today)

    assert without_year.school_id == school.pk
    assert without_year.rules.pk is None
    # Before the year was made: the default August to July.
    assert without_year.period.start == figures.school_year_start(today)
    assert with_year.period.start == year.first_day
    assert with_year.period.end == year.last_day
    assert with_year.rules.pk is not None
    assert dashboard._rules_stamp(with_year.rules) == dashboard._rules_stamp(
        figures.rules_for(school.pk)
    )


def test_school_setting_without_staff_record(school, leader):
    leader.staff.delete()
    leader.refresh_from_db()

    assert selectors.staff_school_setting(leader, timezone.localdate()) is None
