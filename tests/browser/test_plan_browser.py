"""The school plan in a real browser."""

import pytest

from schoolplan.models import Entry, FrontPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_teacher_writes_entry_with_danish_letters(login, live_server, teacher, pupil):
    page = login(teacher)

    page.click("text=Søren Ærø")
    page.fill("#id_text", "Søren kom kl. 9.15 og spiste rugbrød med æg i gården. Åh!")
    page.click("button:has-text('Gem notat')")

    page.wait_for_selector(".alert-success")
    first_entry = page.locator(".log-entry").first
    assert "spiste rugbrød med æg i gården. Åh!" in first_entry.inner_text()
    assert Entry.objects.get(pupil=pupil).author == teacher


def test_coordinator_opens_and_edits_front_page(login, live_server, coordinator, pupil):
    FrontPage.objects.create(pupil=pupil, overview="Søren trives bedst om formiddagen.")
    page = login(coordinator)

    page.goto(f"{live_server.url}/elever/{pupil.pk}/")
    assert "Søren trives bedst om formiddagen." in page.inner_text("#section-overview")
    page.click("text=Redigér forside")
    page.fill("#id_overview", "Søren møder nu fire dage om ugen. Flot udvikling!")
    page.click("button:has-text('Gem')")

    page.wait_for_selector(".alert-success")
    assert "fire dage om ugen" in page.inner_text("#section-overview")
