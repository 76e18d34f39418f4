"""The school plan's data-protection duties reach the intake's rows."""

import io
import json
import zipfile
from datetime import timedelta

from django.core.management import call_command
from django.urls import reverse

from intake import services
from intake.models import (
    Intake,
    IntakeAmendment,
    Measurement,
    ScaleAnswer,
    SchoolPlacement,
)
from schoolplan.models import Pupil
from schoolplan.privacy import anonymise_pupil, delete_pupil, export_pupil_zip
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


def _amend_what_helps(finished, coordinator) -> IntakeAmendment:
    """Amend a finished intake so its amendment contains distinctive free text."""
    finished.what_helps = "Mormor Birthe henter hver fredag."
    finished.save()
    return services.intake_amend(
        intake=finished,
        section="pupil_view",
        values={"what_helps": "Onkel Preben kører ham i skole."},
        reason="Familien har rettet oplysningerne.",
        user=coordinator,
    )


def test_anonymise_blanks_amendment_changes(finished, coordinator, leader, tmp_path):
    amendment = _amend_what_helps(finished, coordinator)
    assert "Mormor Birthe" in json.dumps(amendment.changes, ensure_ascii=False)

    anonymise_pupil(finished.pupil)

    amendment.refresh_from_db()
    stored = json.dumps(amendment.changes, ensure_ascii=False)
    assert "Mormor Birthe" not in stored
    assert "Onkel Preben" not in stored
    assert "Familien" not in amendment.reason
    assert len(amendment.changes) == 1

    target = tmp_path / "indsigt.zip"
    call_command(
        "export_pupil_data",
        str(finished.pupil.pk),
        "-o",
        str(target),
        "--user",
        leader.username,
    )
    archive = zipfile.ZipFile(target)
    dumped = archive.read("data.json").decode()
    assert "intake.intakeamendment" in dumped
    assert "Mormor Birthe" not in dumped
    assert "Onkel Preben" not in dumped


def test_anonymise_keeps_section_versions(finished):
    versions_before = dict(finished.section_versions)

    anonymise_pupil(finished.pupil)

    finished.refresh_from_db()
    assert versions_before
    assert finished.section_versions == versions_before


def test_pages_of_anonymised_pupil_render(client_for, finished, coordinator, leader):
    _amend_what_helps(finished, coordinator)
    pupil = finished.pupil

    anonymise_pupil(pupil)

    client = client_for(leader)
    plan = client.get(reverse("schoolplan:plan", args=[pupil.pk]))
    intake = client.get(reverse("intake:intake_detail", args=[pupil.pk]))
    assert plan.status_code == 200
    assert intake.status_code == 200
    assert "Mormor Birthe" not in intake.content.decode()
    assert "Onkel Preben" not in intake.content.decode()
