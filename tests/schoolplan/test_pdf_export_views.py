"""The export page, its preview, downloads of stored PDFs, and the export record."""

import hashlib
import io
import zipfile
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from schoolplan import documents, exports, forms, privacy
from schoolplan.models import AccessLogEntry, PlanExport
from schoolplan.sections import Audience, school_year_of
from tests.factories import EntryFactory, PupilFactory
from tests.pdf_reading import full_text, reader_for

PERIOD_DATA = {"date_from": "2026-08-01", "date_to": "2027-07-31"}


def _export_url(pupil):
    return reverse("schoolplan:plan_export", args=[pupil.pk])


def _preview_url(pupil):
    return reverse("schoolplan:plan_export_preview", args=[pupil.pk])


def _post_export(client, pupil, audience=Audience.PARENTS, **data):
    return client.post(
        _export_url(pupil), {"audience": audience, **PERIOD_DATA, **data}
    )


def _stored_files(export_root):
    return [path for path in export_root.rglob("*") if path.is_file()]


# The export page


@pytest.mark.parametrize("role", ["leader", "coordinator"])
def test_export_page_opens_for_exporters(role, request, client_for, pupil):
    user = request.getfixturevalue(role)

    response = client_for(user).get(_export_url(pupil))

    assert response.status_code == 200
    assert "Eksportér planen for Søren Ærø som PDF" in response.content.decode()


def test_export_page_defaults_school_year(client_for, leader, pupil):
    response = client_for(leader).get(_export_url(pupil))

    form = response.context["form"]
    year = school_year_of(timezone.localdate())
    assert form.cleaned_data["date_from"] == year.start
    assert form.cleaned_data["date_to"] == year.end
    assert form.cleaned_data["audience"] == Audience.INTERNAL


def test_export_page_forbidden_to_teacher(client_for, teacher, pupil):
    response = client_for(teacher).get(_export_url(pupil))

    assert response.status_code == 403


def test_export_page_hides_other_schools_pupil(client_for, outsider, pupil):
    response = client_for(outsider).get(_export_url(pupil))

    assert response.status_code == 404


def test_export_page_needs_login(client, pupil):
    response = client.get(_export_url(pupil))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_export_page_reports_reversed_period(client_for, leader, pupil):
    query = {"audience": "parents", "date_from": "2027-01-01", "date_to": "2026-01-01"}

    response = client_for(leader).get(_export_url(pupil), query)

    assert response.context["preview_query"] == ""
    assert "Periodens slutning ligger før dens start." in response.content.decode()


def test_export_page_rejects_far_period_end(client_for, leader, pupil):
    query = {"audience": "parents", "date_from": "2026-08-01", "date_to": "9999-12-31"}

    response = client_for(leader).get(_export_url(pupil), query)

    assert response.context["preview_query"] == ""
    assert str(forms.PERIOD_DATE_TOO_LATE) in response.content.decode()
    assert "inden for et år fra i dag" in response.content.decode()


def test_export_post_rejects_far_period_end(client_for, leader, pupil, export_root):
    client = client_for(leader)

    response = _post_export(client, pupil, date_to="9999-12-31")

    assert response.status_code == 200
    assert str(forms.PERIOD_DATE_TOO_LATE) in response.content.decode()
    assert not PlanExport.objects.exists()


@pytest.mark.parametrize(
    ("days_ahead", "valid"),
    [(forms.PERIOD_DAYS_AHEAD, True), (forms.PERIOD_DAYS_AHEAD + 1, False)],
)
@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_export_form_period_bound(name, days_ahead, valid):
    today = timezone.localdate()
    data = {
        "audience": Audience.PARENTS,
        "date_from": today.isoformat(),
        "date_to": today.isoformat(),
    }
    data[name] = (today + timedelta(days=days_ahead)).isoformat()
    if name == "date_from":
        data["date_to"] = data["date_from"]

    form = forms.PlanExportForm(data)

    assert form.is_valid() is valid, form.errors
    if not valid:
        assert form.errors[name] == [str(forms.PERIOD_DATE_TOO_LATE)]


@pytest.mark.parametrize(
    "today", [date(2026, 8, 1), date(2027, 8, 1), date(2028, 7, 31)]
)
def test_export_form_default_year_within_bound(monkeypatch, today):
    # 1 August is the day the school year ends furthest ahead, 365 days away
    # when the next February has 29 days.
    monkeypatch.setattr(timezone, "localdate", lambda: today)

    form = forms.PlanExportForm(forms.PlanExportForm.initial_data(today))

    assert form.is_valid(), form.errors
    assert form.period == school_year_of(today)


# The preview


def test_preview_holds_what_the_pdf_holds(client_for, leader, teacher, pupil):
    EntryFactory(
        pupil=pupil, author=teacher, text="Delt med forældre.", shared_with_parents=True
    )
    EntryFactory(pupil=pupil, author=teacher, text="Kun internt.")

    response = client_for(leader).get(
        _preview_url(pupil), {"audience": "parents", **PERIOD_DATA}
    )
    content = response.content.decode()

    assert response.status_code == 200
    assert "Delt med forældre." in content
    assert "Kun internt." not in content
    assert "Side" in content
    assert "Fortroligt" in content


def test_preview_framed_by_own_site_only(client_for, leader, pupil):
    response = client_for(leader).get(_preview_url(pupil))

    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_preview_forbidden_to_teacher(client_for, teacher, pupil):
    response = client_for(teacher).get(_preview_url(pupil))

    assert response.status_code == 403


def test_preview_needs_login(client, pupil):
    response = client.get(_preview_url(pupil))

    assert response.status_code == 302


def test_preview_recorded_in_access_log(client_for, leader, pupil):
    client_for(leader).get(
        _preview_url(pupil), {"audience": "caseworker", **PERIOD_DATA}
    )

    assert AccessLogEntry.objects.filter(
        user=leader,
        pupil=pupil,
        action=AccessLogEntry.Action.VIEW,
        what="forhåndsvisning af PDF til Sagsbehandler",
    ).exists()


# Exporting


def test_export_returns_pdf_and_record(export_root, client_for, leader, teacher, pupil):
    EntryFactory(
        pupil=pupil, author=teacher, text="Delt med forældre.", shared_with_parents=True
    )

    response = _post_export(client_for(leader), pupil)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert "Delt med forældre." in full_text(response.content)
    export = PlanExport.objects.get()
    assert export.pupil == pupil
    assert export.created_by == leader
    assert export.audience == Audience.PARENTS
    assert (export.period_start, export.period_end) == (
        date(2026, 8, 1),
        date(2027, 7, 31),
    )
    assert export.page_count == len(reader_for(response.content).pages)
    assert export.size == len(response.content)


def test_export_checksum_matches_stored_file(export_root, client_for, leader, pupil):
    response = _post_export(client_for(leader), pupil)

    export = PlanExport.objects.get()
    stored = export_root / export.file.name
    assert export.sha256 == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert export.sha256 == hashlib.sha256(response.content).hexdigest()


def test_export_file_kept_outside_media_root(
    export_root, client_for, leader, pupil, settings
):
    _post_export(client_for(leader), pupil)

    export = PlanExport.objects.get()
    assert (export_root / export.file.name).is_file()
    assert "Søren" not in export.file.name
    assert not str(export_root).startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(NotImplementedError):
        export.file.url  # noqa: B018 - the property is what raises.


def test_file_name_has_danish_letters_and_recipient(
    export_root, client_for, leader, pupil
):
    response = _post_export(client_for(leader), pupil)

    month = timezone.localdate().strftime("%Y-%m")
    name = f"skoleplan-Søren-Ærø-{month}-forældre.pdf"
    assert PlanExport.objects.get().file_name == name
    assert response["Content-Disposition"] == (
        f'attachment; filename="skoleplan-Soeren-Aeroe-{month}-foraeldre.pdf"; '
        f"filename*=UTF-8''{quote(name)}"
    )
    assert "skoleplan-S%C3%B8ren-%C3%86r%C3%B8" in response["Content-Disposition"]


def test_export_recorded_in_access_log(export_root, client_for, leader, pupil):
    _post_export(client_for(leader), pupil)

    export = PlanExport.objects.get()
    entry = AccessLogEntry.objects.get(action=AccessLogEntry.Action.EXPORT)
    assert entry.user == leader
    assert entry.pupil == pupil
    assert (
        entry.what
        == f"PDF {export.pk} af planen til Forældre, perioden 2026-08-01–2027-07-31 "
        "(i browseren)"
    )


def test_export_defaults_to_school_year(export_root, client_for, leader, pupil):
    response = client_for(leader).post(_export_url(pupil), {"audience": "parents"})

    assert response.status_code == 200
    export = PlanExport.objects.get()
    year = school_year_of(timezone.localdate())
    assert (export.period_start, export.period_end) == (year.start, year.end)


def test_export_forbidden_to_teacher(export_root, client_for, teacher, pupil):
    response = _post_export(client_for(teacher), pupil)

    assert response.status_code == 403
    assert PlanExport.objects.count() == 0
    assert _stored_files(export_root) == []


def test_export_rejects_unknown_audience(export_root, client_for, leader, pupil):
    response = _post_export(client_for(leader), pupil, audience="newspaper")

    assert response.status_code == 200
    assert PlanExport.objects.count() == 0


@override_settings(PDF_RENDER_TIMEOUT_SECONDS=0.01)
def test_export_timeout_keeps_nothing(export_root, client_for, leader, pupil):
    response = _post_export(client_for(leader), pupil)

    assert response.status_code == 503
    assert "Det tog mere end 0.01 sekunder at lave PDF’en" in response.content.decode()
    assert PlanExport.objects.count() == 0
    assert _stored_files(export_root) == []
    assert not AccessLogEntry.objects.filter(
        action=AccessLogEntry.Action.EXPORT
    ).exists()


def test_export_failure_keeps_nothing(
    export_root, monkeypatch, client_for, leader, pupil
):
    documents._warm_up()
    monkeypatch.setattr(documents, "weasyprint_render", _raise_layout_error)

    response = _post_export(client_for(leader), pupil)

    assert response.status_code == 503
    assert "PDF’en kunne ikke laves på grund af en fejl" in response.content.decode()
    assert PlanExport.objects.count() == 0
    assert _stored_files(export_root) == []


def _raise_layout_error(*args, **kwargs):
    raise RuntimeError("layout failed")


# Stored exports


@pytest.fixture
def stored_export(export_root, pupil, leader):
    return exports.plan_export_create(
        pupil=pupil,
        audience=Audience.MUNICIPALITY,
        period=school_year_of(date(2026, 11, 2)),
        user=leader,
    )


def _download_url(export):
    return reverse("schoolplan:plan_export_download", args=[export.pupil_id, export.pk])


@pytest.mark.parametrize("role", ["leader", "coordinator"])
def test_stored_export_downloads_unchanged(role, request, client_for, stored_export):
    user = request.getfixturevalue(role)

    response = client_for(user).get(_download_url(stored_export))

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == stored_export.sha256
    assert "filename*=UTF-8''skoleplan-S%C3%B8ren" in response["Content-Disposition"]


def test_stored_export_download_recorded(client_for, coordinator, stored_export):
    client_for(coordinator).get(_download_url(stored_export))

    assert AccessLogEntry.objects.filter(
        user=coordinator,
        action=AccessLogEntry.Action.EXPORT,
        what=f"PDF {stored_export.pk} af planen hentet igen",
    ).exists()


def test_stored_export_forbidden_to_teacher(client_for, teacher, stored_export):
    response = client_for(teacher).get(_download_url(stored_export))

    assert response.status_code == 403


def test_stored_export_hidden_from_other_school(client_for, outsider, stored_export):
    response = client_for(outsider).get(_download_url(stored_export))

    assert response.status_code == 404


def test_stored_export_needs_login(client, stored_export):
    response = client.get(_download_url(stored_export))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_stored_export_other_pupil_404(client_for, leader, stored_export, group):
    other = PupilFactory(group=group)
    url = reverse("schoolplan:plan_export_download", args=[other.pk, stored_export.pk])

    response = client_for(leader).get(url)

    assert response.status_code == 404


def test_tampered_stored_export_refused(export_root, client_for, leader, stored_export):
    (export_root / stored_export.file.name).write_bytes(b"%PDF-1.7 forged")

    response = client_for(leader).get(_download_url(stored_export), follow=True)

    assert response["Content-Type"].startswith("text/html")
    assert str(exports.STORED_FILE_CHANGED) in response.content.decode()


# The plan page


def test_plan_lists_exports_for_exporters(client_for, coordinator, stored_export):
    response = client_for(coordinator).get(
        reverse("schoolplan:plan", args=[stored_export.pupil_id])
    )

    content = response.content.decode()
    assert "Sendte PDF’er" in content
    assert _download_url(stored_export) in content
    assert _export_url(stored_export.pupil) in content


def test_plan_hides_exports_from_teacher(client_for, teacher, stored_export):
    response = client_for(teacher).get(
        reverse("schoolplan:plan", args=[stored_export.pupil_id])
    )

    content = response.content.decode()
    assert "Sendte PDF’er" not in content
    assert _download_url(stored_export) not in content
    assert "Eksportér PDF" not in content


# Data protection


def test_data_export_zip_holds_sent_pdf(client_for, leader, stored_export):
    response = client_for(leader).post(
        reverse("schoolplan:pupil_data_export", args=[stored_export.pupil_id])
    )

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    pdf = archive.read(f"files/{stored_export.file.name}")
    assert hashlib.sha256(pdf).hexdigest() == stored_export.sha256


def test_deleting_pupil_deletes_sent_pdfs(export_root, stored_export):
    stored = export_root / stored_export.file.name
    assert stored.is_file()

    privacy.delete_pupil(stored_export.pupil)

    assert not stored.exists()
    assert PlanExport.objects.count() == 0
