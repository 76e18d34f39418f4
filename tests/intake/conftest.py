"""Intake test fixtures: the default question set, drafts and finished intakes."""

from datetime import date
from importlib import import_module

import pytest
from django.apps import apps

from intake import selectors, services
from intake.models import Intake

HELD_ON = date(2026, 8, 10)


@pytest.fixture
def reference_data(reference_data):
    """Also recreate the default question set, which a flush removes."""
    migration = import_module("intake.migrations.0002_default_question_set")
    migration.create_default_question_set(apps, None)


@pytest.fixture
def draft(pupil, coordinator) -> Intake:
    return services.intake_start(pupil=pupil, user=coordinator)


def questions_for(intake: Intake):
    return selectors.questions_of(intake.baseline.question_set)


def fill_minimum(intake: Intake, user, *, score: int = 4) -> Intake:
    """Fill in what finishing needs: date, leader, a participant and the scores."""
    intake = services.intake_section_save(
        intake=intake,
        section="meeting",
        values={"held_on": HELD_ON, "led_by": user, "pupil_took_part": True},
        expected_version=intake.section_version("meeting"),
        user=user,
    )
    return services.baseline_scores_save(
        intake=intake,
        scores={question.pk: score for question in questions_for(intake)},
        expected_version=intake.section_version("scales"),
        user=user,
    )


@pytest.fixture
def finished(draft, coordinator) -> Intake:
    fill_minimum(draft, coordinator)
    services.intake_finish(intake=draft, user=coordinator)
    draft.refresh_from_db()
    return draft
