"""Access log retention, the data export for a request for access, and erasure."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from schoolplan import privacy
from schoolplan.models import (
    AccessLogEntry,
    Amendment,
    Entry,
    FrontPage,
    Guardian,
    Pupil,
)
from tests.factories import EntryFactory, PupilFactory


def _zip_contents(data: bytes):
    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive, json.loads(archive.read("data.json"))


def test_purge_keeps_six_months(teacher, pupil):
    old = AccessLogEntry.objects.create(
        user=teacher,
        pupil=pupil,
        action="view",
        at=timezone.now() - timedelta(days=200),
    )
    recent = AccessLogEntry.objects.create(
        user=teacher,
        pupil=pupil,
        action="view",
        at=timezone.now() - timedelta(days=170),
    )

    call_command("purge_access_log")

    assert not AccessLogEntry.objects.filter(pk=old.pk).exists()
    assert AccessLogEntry.objects.filter(pk=recent.pk).exists()


def test_purge_refuses_shorter_period(teacher, pupil):
    with pytest.raises(SystemExit):
        call_command("purge_access_log", "--days", "30")


def test_leader_sees_access_log_of_pupil(client_for, leader, teacher, pupil):
    client_for(teacher).get(reverse("schoolplan:plan", args=[pupil.pk]))

    response = client_for(leader).get(
        reverse("schoolplan:pupil_access_log", args=[pupil.pk])
    )

    rows = list(response.context["page"])
    assert any(row.user == teacher and row.action == "view" for row in rows)


def test_data_export_contains_everything(
    client_for, leader, teacher, pupil, other_pupil
):
    entry = EntryFactory(
        pupil=pupil, author=teacher, text="Søren byggede en fuglekasse"
    )
    Amendment.objects.create(entry=entry, author=teacher, text="Og malede den blå")
    Guardian.objects.create(pupil=pupil, name="Ærlige Åse", relation="mor")
    EntryFactory(pupil=other_pupil, author=teacher, text="Anden elevs notat")

    response = client_for(leader).post(
        reverse("schoolplan:pupil_data_export", args=[pupil.pk])
    )

    archive, rows = _zip_contents(response.content)
    dumped = json.dumps(rows, ensure_ascii=False)
    assert response["Content-Type"] == "application/zip"
    assert "Søren" in dumped
    assert "Søren byggede en fuglekasse" in dumped
    assert "Og malede den blå" in dumped
    assert "Ærlige Åse" in dumped
    assert "Anden elevs notat" not in dumped
    assert "README.txt" in archive.namelist()
    assert AccessLogEntry.objects.filter(
        pupil=pupil, action=AccessLogEntry.Action.EXPORT, user=leader
    ).exists()


def test_data_export_command(tmp_path, leader, teacher, pupil):
    EntryFactory(pupil=pupil, author=teacher, text="Notat til indsigt")
    target = tmp_path / "indsigt.zip"

    call_command(
        "export_pupil_data", str(pupil.pk), "-o", str(target), "--user", "leder"
    )

    _archive, rows = _zip_contents(target.read_bytes())
    assert "Notat til indsigt" in json.dumps(rows, ensure_ascii=False)


def _leaver(group, teacher, *, left: date):
    pupil = PupilFactory(group=group, first_name="Gammel", leaving_date=left)
    EntryFactory(pupil=pupil, author=teacher, text="Hemmeligt notat om Gammel")
    FrontPage.objects.create(pupil=pupil, overview="Gammel har det svært")
    Guardian.objects.create(pupil=pupil, name="Mor til Gammel", relation="mor")
    return pupil


def test_retention_dry_run_changes_nothing(group, teacher, pupil, capsys):
    leaver = _leaver(
        group, teacher, left=timezone.localdate() - timedelta(days=6 * 365)
    )

    call_command("apply_retention", "--years", "5", "--dry-run")

    output = capsys.readouterr().out
    assert f"pupil {leaver.pk}" in output
    assert f"pupil {pupil.pk} " not in output
    assert Pupil.objects.filter(pk=leaver.pk).exists()
    assert Entry.objects.filter(pupil=leaver).exists()


def test_retention_deletes_old_leavers_only(group, teacher, pupil):
    leaver = _leaver(
        group, teacher, left=timezone.localdate() - timedelta(days=6 * 365)
    )
    recent = _leaver(group, teacher, left=timezone.localdate() - timedelta(days=365))
    EntryFactory(pupil=pupil, author=teacher)

    call_command("apply_retention", "--years", "5")

    assert not Pupil.objects.filter(pk=leaver.pk).exists()
    assert not Entry.objects.filter(pupil_id=leaver.pk).exists()
    assert not Entry.history.filter(pupil_id=leaver.pk).exists()
    assert not Pupil.history.filter(id=leaver.pk).exists()
    assert Pupil.objects.filter(pk=recent.pk).exists()
    assert Entry.objects.filter(pupil=pupil).exists()


def test_retention_anonymise_keeps_rows_without_names(group, teacher):
    leaver = _leaver(
        group, teacher, left=timezone.localdate() - timedelta(days=6 * 365)
    )

    call_command("apply_retention", "--years", "5", "--anonymise")

    leaver.refresh_from_db()
    entry = Entry.objects.get(pupil=leaver)
    assert leaver.first_name == privacy.ANONYMISED_NAME
    assert "Gammel" not in leaver.last_name
    assert leaver.date_of_birth.month == 1
    assert "Gammel" not in entry.text
    assert not Guardian.objects.filter(pupil=leaver).exists()
    assert "Gammel" not in FrontPage.objects.get(pupil=leaver).overview
    assert not Pupil.history.filter(id=leaver.pk, first_name="Gammel").exists()
