"""`manage.py export_plan`: one pupil or a whole group, recorded like a web export."""

import hashlib
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from schoolplan.models import AccessLogEntry, PlanExport
from tests.factories import EntryFactory, PupilFactory
from tests.pdf_reading import full_text

PERIOD = ["--from", "2026-08-01", "--to", "2027-07-31"]


def _run(*args):
    out = StringIO()
    call_command("export_plan", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_command_writes_and_records_pdf(export_root, tmp_path, pupil, teacher, leader):
    EntryFactory(
        pupil=pupil, author=teacher, text="Til forældrene.", shared_with_parents=True
    )
    EntryFactory(pupil=pupil, author=teacher, text="Kun internt.")
    output = tmp_path / "plan.pdf"

    printed = _run(
        str(pupil.pk),
        "--audience",
        "parents",
        *PERIOD,
        "-o",
        str(output),
        "--user",
        "leder",
    )

    data = output.read_bytes()
    export = PlanExport.objects.get()
    assert "Til forældrene." in full_text(data)
    assert "Kun internt." not in full_text(data)
    assert export.created_by == leader
    assert export.audience == "parents"
    assert (export.period_start, export.period_end) == (
        date(2026, 8, 1),
        date(2027, 7, 31),
    )
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    assert export.sha256 in printed
    assert (
        AccessLogEntry.objects.filter(
            user=leader, pupil=pupil, action=AccessLogEntry.Action.EXPORT
        )
        .get()
        .what.endswith("(fra kommandolinjen)")
    )


def test_command_defaults_school_year(export_root, tmp_path, pupil, leader):
    _run(
        str(pupil.pk),
        "--audience",
        "internal",
        "-o",
        str(tmp_path / "plan.pdf"),
        "--user",
        "leder",
    )

    export = PlanExport.objects.get()
    today = timezone.localdate()
    first_year = today.year if today.month >= 8 else today.year - 1
    assert export.period_start == date(first_year, 8, 1)
    assert export.period_end == date(first_year + 1, 7, 31)


def test_command_exports_whole_group(export_root, tmp_path, pupil, group, coordinator):
    second = PupilFactory(group=group, first_name="Åse", last_name="Bøgh")
    PupilFactory(
        group=group, first_name="Gået", last_name="Før", leaving_date=date(2026, 6, 30)
    )
    directory = tmp_path / "egeholdet"

    _run(
        "--group",
        "Egeholdet",
        "--audience",
        "municipality",
        *PERIOD,
        "-o",
        str(directory),
        "--user",
        "koordinator",
    )

    month = timezone.localdate().strftime("%Y-%m")
    assert sorted(path.name for path in directory.iterdir()) == [
        f"skoleplan-Søren-Ærø-{month}-kommune.pdf",
        f"skoleplan-Åse-Bøgh-{month}-kommune.pdf",
    ]
    assert set(PlanExport.objects.values_list("pupil", flat=True)) == {
        pupil.pk,
        second.pk,
    }
    for export in PlanExport.objects.all():
        written = (directory / export.file_name).read_bytes()
        assert hashlib.sha256(written).hexdigest() == export.sha256


def test_command_requires_user(tmp_path, pupil):
    with pytest.raises(CommandError, match="--user"):
        _run(str(pupil.pk), "--audience", "parents", "-o", str(tmp_path / "x.pdf"))


def test_command_refuses_teacher(export_root, tmp_path, pupil, teacher):
    with pytest.raises(CommandError, match="not a coordinator or leader"):
        _run(
            str(pupil.pk),
            "--audience",
            "parents",
            "-o",
            str(tmp_path / "x.pdf"),
            "--user",
            "laerer",
        )

    assert PlanExport.objects.count() == 0


def test_command_refuses_other_schools_pupil(export_root, tmp_path, pupil, outsider):
    with pytest.raises(CommandError, match=f"No pupil {pupil.pk}"):
        _run(
            str(pupil.pk),
            "--audience",
            "parents",
            "-o",
            str(tmp_path / "x.pdf"),
            "--user",
            "udefra",
        )

    assert PlanExport.objects.count() == 0


def test_command_keeps_existing_file(export_root, tmp_path, pupil, leader):
    output = tmp_path / "plan.pdf"
    output.write_bytes(b"keep me")

    with pytest.raises(CommandError, match="--force"):
        _run(
            str(pupil.pk), "--audience", "parents", "-o", str(output), "--user", "leder"
        )

    assert output.read_bytes() == b"keep me"
    assert PlanExport.objects.count() == 0


def test_command_rejects_reversed_period(tmp_path, pupil, leader):
    with pytest.raises(CommandError, match="before --from"):
        _run(
            str(pupil.pk),
            "--audience",
            "parents",
            "--from",
            "2027-01-01",
            "--to",
            "2026-01-01",
            "-o",
            str(tmp_path / "x.pdf"),
            "--user",
            "leder",
        )


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [("2026-08-01", "9999-12-31"), ("0001-01-01", "2026-12-01")],
)
def test_command_rejects_period_out_of_range(
    tmp_path, pupil, leader, group, date_from, date_to
):
    period = ["--from", date_from, "--to", date_to]
    common = ["--audience", "parents", *period, "--user", "leder"]

    with pytest.raises(CommandError, match="is not allowed"):
        _run(str(pupil.pk), *common, "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="is not allowed"):
        _run("--group", group.name, *common, "-o", str(tmp_path))
    assert not PlanExport.objects.exists()


def test_command_explains_malformed_date(tmp_path, pupil, leader):
    with pytest.raises(CommandError, match="write YYYY-MM-DD"):
        _run(
            str(pupil.pk),
            "--audience",
            "parents",
            "--from",
            "2026-02-30",
            "-o",
            str(tmp_path / "x.pdf"),
            "--user",
            "leder",
        )
