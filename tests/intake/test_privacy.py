"""The school plan's data-protection duties reach the intake's rows."""

import io
import json
import zipfile
from datetime import timedelta

from intake import services
from intake.models import Intake, Measurement, ScaleAnswer, SchoolPlacement
from schoolplan.models import Pupil
from schoolplan.privacy import delete_pupil, export_pupil_zip
from tests.intake.conftest import HELD_ON, questions_for


def _with_history(finished, coordinator):
    services.placement_amend(
        intake=finished,
        placement=None,
        values={"name": "Lystrup Skole", "pupil_account": "Det var svært."},
        reason="Glemt ved samtalen.",
        user=coordinator,
    )
    services.follow_up_create(
        pupil=finished.pupil,
        user=coordinator,
        taken_on=HELD_ON + timedelta(days=30),
        note="Bedre morgener.",
        scores={question.pk: 6 for question in questions_for(finished)},
        question_set=finished.baseline.question_set,
    )


def test_delete_pupil_removes_intake_rows(finished, coordinator):
    _with_history(finished, coordinator)
    pupil = finished.pupil

    delete_pupil(pupil)

    assert not Pupil.objects.filter(pk=pupil.pk).exists()
    assert not Intake.objects.exists()
    assert not Measurement.objects.exists()
    assert not ScaleAnswer.objects.exists()
    assert not SchoolPlacement.objects.exists()


def test_export_contains_intake_rows(finished, coordinator):
    _with_history(finished, coordinator)

    archive = zipfile.ZipFile(io.BytesIO(export_pupil_zip(finished.pupil)))
    rows = json.loads(archive.read("data.json"))

    models = {row["model"] for row in rows}
    assert "intake.intake" in models
    assert "intake.schoolplacement" in models
    assert "intake.intakeamendment" in models
    assert "intake.measurement" in models
    assert "intake.scaleanswer" in models
