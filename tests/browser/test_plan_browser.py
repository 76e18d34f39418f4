"""The school plan in a real browser."""

from datetime import timedelta

import pytest
from django.utils import timezone

from absence.figures import previous_quarter_start
from absence.models import DueStepDone, Status
from schoolplan.models import Entry, FrontPage
from tests.absence.helpers import make_school_year, register_many, weekdays
from tests.factories import PupilFactory

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


def test_marking_step_done_asks_first(login, live_server, leader, group, teacher):
    """Marking a step done cannot be undone, so a confirmation comes first."""
    today = timezone.localdate()
    make_school_year(
        group.school, today - timedelta(days=200), today + timedelta(days=100)
    )
    truant = PupilFactory(group=group, start_date=today - timedelta(days=300))
    days = weekdays(previous_quarter_start(today), today - timedelta(days=1))
    register_many(truant, days, Status.UNLAWFUL, by=teacher)
    page = login(leader)
    page.goto(f"{live_server.url}/elever/{truant.pk}/")
    mark_done = page.locator("#section-absence button:has-text('Markér som udført')")

    page.once("dialog", lambda dialog: dialog.dismiss())
    mark_done.first.click()
    page.wait_for_timeout(500)
    assert DueStepDone.objects.count() == 0

    page.once("dialog", lambda dialog: dialog.accept())
    mark_done.first.click()
    page.wait_for_selector(".alert-success")
    assert DueStepDone.objects.count() == 1
