"""Fixtures shared by the security tests: the cast and one of everything."""

import hashlib
from datetime import date

import pytest
from django.core.files.base import ContentFile

from absence.models import AbsenceRules, Registration, Status
from intake import services as intake_services
from schoolplan import roles
from schoolplan.models import Challenge, PlanExport
from tests.absence.helpers import make_school_year
from tests.factories import EntryFactory, GoalFactory, make_staff

SCHOOL_DAY = date(2026, 3, 10)
DAY_OFF = date(2026, 3, 11)


@pytest.fixture
def cast(teacher, coordinator, leader, outsider, school, other_group):
    other_teacher = make_staff(
        school=school, role=roles.TEACHER, groups=[other_group], username="anden"
    )
    return {
        "teacher": teacher,
        "other_teacher": other_teacher,
        "coordinator": coordinator,
        "leader": leader,
        "outsider": outsider,
        "anonymous": None,
    }


@pytest.fixture
def url_arguments(pupil, teacher, coordinator, school):
    """Values for each URL parameter, all belonging to `pupil` or its school."""
    entry = EntryFactory(pupil=pupil, author=teacher)
    goal = GoalFactory(pupil=pupil)
    challenge = Challenge.objects.create(pupil=pupil, area=goal.area, description="x")
    school_year = make_school_year(
        school, date(2025, 8, 11), date(2026, 6, 26), days_off=[DAY_OFF]
    )
    AbsenceRules.objects.create(school=school)
    registration = Registration.objects.create(
        pupil=pupil,
        group=pupil.group,
        day=SCHOOL_DAY,
        notation=Registration.Notation.MORNING,
        status=Status.AWAITING,
        registered_by=teacher,
    )
    intake = intake_services.intake_start(pupil=pupil, user=coordinator)
    placement = intake_services.placement_add(intake=intake, user=coordinator)
    first_goal = intake_services.goal_add(intake=intake, user=coordinator)
    pdf = b"%PDF-1.7 stand-in for a stored plan export"
    export = PlanExport(
        pupil=pupil,
        created_by=teacher,
        audience="parents",
        period_start=date(2026, 8, 1),
        period_end=date(2027, 7, 31),
        page_count=1,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        file_name="skoleplan-Søren-Ærø-2026-12.pdf",
    )
    export.file.save("export.pdf", ContentFile(pdf))
    return {
        "export_id": export.pk,
        "section": "pupil_view",
        "placement_id": placement.pk,
        "first_goal_id": first_goal.pk,
        "pupil_id": pupil.pk,
        "entry_id": entry.pk,
        "goal_id": goal.pk,
        "challenge_id": challenge.pk,
        "group_id": pupil.group_id,
        "registration_id": registration.pk,
        "year_id": school_year.pk,
        "day": DAY_OFF,
    }
