"""The intake interview in a real browser: autosave, two sittings, finishing."""

import re
from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session

from intake import services
from intake.models import Intake
from schoolplan.models import Goal
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = ".autosave-status.text-success"


@pytest.fixture(autouse=True)
def default_questions(reference_data):
    """An earlier transactional test may have flushed the data migration's rows."""
    migration = import_module("intake.migrations.0002_default_question_set")
    migration.create_default_question_set(apps, None)


def _wait_saved(page, section_id):
    page.wait_for_selector(f"#{section_id} {SAVED}")


def test_coordinator_fills_intake_over_two_sittings(
    login, live_server, coordinator, pupil
):
    page = login(coordinator)

    # First sitting: start the interview and write some of it.
    page.goto(f"{live_server.url}/elever/{pupil.pk}/")
    page.click("text=Opstartssamtale")
    page.click("button:has-text('Start opstartssamtalen')")
    page.wait_for_url(re.compile(r".*/udfyld/$"))
    page.fill("#id_meeting-held_on", "2026-08-10")
    page.check("#id_meeting-pupil_took_part")
    _wait_saved(page, "meeting")
    page.fill("#id_pupil_view-what_is_hard", "Bussen og larmen i garderoben.")
    page.click("#id_pupil_view-what_helps")
    _wait_saved(page, "pupil_view")

    page.reload()
    assert page.input_value("#id_pupil_view-what_is_hard") == (
        "Bussen og larmen i garderoben."
    )
    assert page.input_value("#id_meeting-held_on") == "2026-08-10"

    # Second sitting: a new login finds the draft and goes on.
    page.context.clear_cookies()
    page = login(coordinator)
    page.goto(f"{live_server.url}/opstart/{pupil.pk}/")
    page.click("text=Fortsæt udfyldningen")
    assert page.input_value("#id_pupil_view-what_is_hard") == (
        "Bussen og larmen i garderoben."
    )
    for index in range(7):
        page.locator("#scales .score-choices").nth(index).locator(
            "label", has_text=re.compile(r"^6$")
        ).click()
    _wait_saved(page, "scales")
    page.check("#id_functions-distress_rating_3")
    page.fill("#id_functions-distress_reason", "Ondt i maven søndag aften.")
    page.click("#id_functions-escape_reason")
    _wait_saved(page, "functions")

    page.click("button:has-text('Tilføj mål')")
    page.wait_for_selector(".first-goal")
    page.fill(".first-goal input[name$='-title']", "Møder fire dage om ugen")
    page.locator(".first-goal select[name$='-area']").select_option(index=1)
    _wait_saved(page, "goals")

    page.locator("button:has-text('Afslut samtalen')").first.click()
    page.click("button:has-text('Afslut og lås')")
    page.wait_for_url(f"{live_server.url}/elever/{pupil.pk}/")

    intake = Intake.objects.get(pupil=pupil)
    assert intake.status == Intake.Status.FINISHED
    assert intake.what_is_hard == "Bussen og larmen i garderoben."
    assert Goal.objects.get(pupil=pupil).title == "Møder fire dage om ugen"
    assert "Møder fire dage om ugen" in page.inner_text("#section-goals")
    assert "Opstart og progression" in page.inner_text("#section-progression")


def test_text_survives_expired_session(page, login, live_server, coordinator, pupil):
    services.intake_start(pupil=pupil, user=coordinator)
    page = login(coordinator)
    page.goto(f"{live_server.url}/opstart/{pupil.pk}/udfyld/")

    Session.objects.all().delete()
    page.fill("#id_family_view-family_hopes", "At morgenerne bliver lettere.")
    page.click("#id_family_view-mornings_sleep")

    page.wait_for_selector("#family_view .autosave-status.text-warning")
    assert page.input_value("#id_family_view-family_hopes") == (
        "At morgenerne bliver lettere."
    )

    other_tab = page.context.new_page()
    other_tab.goto(f"{live_server.url}/login/")
    other_tab.fill("#id_username", coordinator.username)
    other_tab.fill("#id_password", PASSWORD)
    other_tab.click("button[type=submit]")
    other_tab.wait_for_url(f"{live_server.url}/elever/")
    other_tab.close()
    page.bring_to_front()
    page.evaluate("window.dispatchEvent(new Event('focus'))")

    _wait_saved(page, "family_view")
    intake = Intake.objects.get(pupil=pupil)
    assert intake.family_hopes == "At morgenerne bliver lettere."


def test_save_button_right_after_typing_saves_once(
    page, login, live_server, coordinator, pupil
):
    """The section's button waits for the autosave that leaving the field sent."""
    services.intake_start(pupil=pupil, user=coordinator)
    page = login(coordinator)
    page.goto(f"{live_server.url}/opstart/{pupil.pk}/udfyld/")

    page.fill("#id_meeting-other_participants", "Skolens psykolog")
    page.locator("#meeting button:has-text('Gem afsnit')").click()
    page.wait_for_load_state()

    assert "Din tekst er ikke gemt" not in page.inner_text("body")
    intake = Intake.objects.get(pupil=pupil)
    assert intake.other_participants == "Skolens psykolog"
