"""The demo school's intakes: one per pupil, follow-ups for most, deterministic."""

import re
from datetime import date

from django.db.models import Count, Q

from intake import demo as intake_demo
from intake import selectors
from intake.models import Intake, Measurement, SchoolPlacement
from schoolplan import demo as plan_demo

TODAY = date(2026, 12, 4)


def _load(seed=2026):
    school = plan_demo.populate(seed=seed, today=TODAY)
    intake_demo.populate(school=school, seed=seed, today=TODAY)
    return school


def test_every_pupil_gets_intake(reference_data):
    school = _load()

    pupils = school.pupils.annotate(
        follow_ups=Count("measurements", filter=Q(measurements__kind="follow_up"))
    )
    drafts = Intake.objects.filter(status=Intake.Status.DRAFT).count()
    with_two_or_three = [p for p in pupils if 2 <= p.follow_ups <= 3]
    assert Intake.objects.count() == pupils.count()
    assert drafts == 1
    assert len(with_two_or_three) > pupils.count() / 2


def test_some_scores_rise_while_absence_stays_high(reference_data):
    _load()

    notes = Measurement.objects.filter(note__startswith="Fraværet er stadig højt")
    notes = notes | Measurement.objects.filter(note__startswith="Stadig mange dage")
    pupils = {measurement.pupil for measurement in notes.select_related("pupil")}

    assert len(pupils) >= 2
    for pupil in pupils:
        rows = selectors.progression(pupil, until=TODAY).rows
        assert sum(1 if row.improved else -1 for row in rows if row.change) > 0


def test_loading_twice_adds_nothing(reference_data):
    school = _load()
    counts = (Intake.objects.count(), Measurement.objects.count())

    intake_demo.populate(school=school, seed=2026, today=TODAY)

    assert (Intake.objects.count(), Measurement.objects.count()) == counts


def test_school_history_follows_birth_year(reference_data):
    _load()

    intakes = Intake.objects.select_related("pupil").prefetch_related("placements")
    for intake in intakes:
        pupil = intake.pupil
        placements = list(intake.placements.all())
        first = placements[0]
        assert first.started_on == plan_demo.first_school_day(
            pupil.date_of_birth.year + 6
        ), pupil
        assert first.kind == SchoolPlacement.Kind.MAINSTREAM, pupil
        assert first.grade_from == 0, pupil
        assert placements[-1].ended_on < intake.held_on, pupil
        for earlier, later in zip(placements, placements[1:], strict=False):
            assert earlier.ended_on < later.started_on, pupil
        for placement in placements:
            assert placement.started_on < placement.ended_on, placement
            assert placement.grade_from == plan_demo.grade_on(
                pupil.date_of_birth, placement.started_on
            ), placement
            assert placement.grade_to == plan_demo.grade_on(
                pupil.date_of_birth, placement.ended_on
            ), placement
            text = placement.pupil_account + placement.records_account
            for grade in re.findall(r"(\d+)\. klasse", text):
                assert placement.grade_from <= int(grade) <= placement.grade_to, text
        assert placements[-1].grade_to <= pupil.grade, pupil


def test_school_history_texts_fit_kind(reference_data):
    _load()

    home = SchoolPlacement.objects.filter(kind=SchoolPlacement.Kind.HOME)
    schools = SchoolPlacement.objects.exclude(kind=SchoolPlacement.Kind.HOME)

    assert home.exists()
    assert not home.filter(pupil_account__contains="frikvarter").exists()
    assert not schools.filter(pupil_account__contains="at være hjemme").exists()
