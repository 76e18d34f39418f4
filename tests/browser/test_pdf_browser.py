"""Leadership exports a plan PDF in a real browser."""

import pytest
from django.utils import timezone

from schoolplan.models import PlanExport
from tests.factories import EntryFactory
from tests.pdf_reading import full_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_downloads_pdf_for_parents(
    login, live_server, export_root, leader, teacher, pupil
):
    EntryFactory(
        pupil=pupil,
        author=teacher,
        text="Søren hjalp en yngre elev i gården.",
        concerns_date=timezone.localdate(),
        shared_with_parents=True,
    )
    EntryFactory(
        pupil=pupil,
        author=teacher,
        text="Intern bekymring om søvnen.",
        concerns_date=timezone.localdate(),
    )
    page = login(leader)

    page.goto(f"{live_server.url}/elever/{pupil.pk}/")
    page.click("text=Eksportér PDF")
    page.check("#audience-parents")
    page.click("button:has-text('Vis forhåndsvisning')")
    preview = page.frame_locator("iframe.pdf-preview")
    preview.locator("text=Søren hjalp en yngre elev i gården.").wait_for()
    assert preview.locator("text=Intern bekymring om søvnen.").count() == 0

    with page.expect_download() as download_info:
        page.click("#download-pdf")
    download = download_info.value

    month = timezone.localdate().strftime("%Y-%m")
    assert download.suggested_filename == f"skoleplan-Søren-Ærø-{month}-forældre.pdf"
    with open(download.path(), "rb") as pdf:
        text = full_text(pdf.read())
    assert "Søren hjalp en yngre elev i gården." in text
    assert "Intern bekymring om søvnen." not in text
    export = PlanExport.objects.get()
    assert export.audience == "parents"
    assert export.created_by == leader


def _preview_internal(page, live_server, pupil):
    page.goto(f"{live_server.url}/elever/{pupil.pk}/pdf/")
    page.check("#audience-internal")
    page.click("button:has-text('Vis forhåndsvisning')")
    page.wait_for_selector("#download-pdf:has-text('Intern')")
    return page


def test_new_choice_after_preview_needs_new_preview(
    login, live_server, export_root, leader, pupil
):
    page = _preview_internal(login(leader), live_server, pupil)

    page.check("#audience-parents")

    assert page.is_disabled("#download-pdf")
    assert "Intern" not in page.inner_text("#download-pdf")
    assert PlanExport.objects.count() == 0


def test_back_to_changed_period_keeps_download_off(
    login, live_server, export_root, leader, pupil
):
    page = _preview_internal(login(leader), live_server, pupil)
    page.fill("#id_date_from", "2026-09-01")
    page.goto(f"{live_server.url}/elever/")

    page.go_back()

    page.wait_for_selector("#download-pdf")
    # Chromium puts the changed date back, from its page cache or its form
    # restore; the button must not send the previewed period under it.
    assert page.input_value("#id_date_from") == "2026-09-01"
    assert page.is_disabled("#download-pdf")
