"""A teacher registers a group in Chromium with one save, by mouse and keyboard."""

from datetime import time

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import sync_playwright

from absence.models import Registration, Status
from tests.absence.conftest import SCHOOL_DAY
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PupilFactory


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright runs an event loop in this thread; the live server's database
    # calls happen in another thread, so Django's async guard does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        yield page
        browser.close()
        # Queries made while Playwright's event loop runs get connections of
        # their own, which Django's teardown would not see; close them here.
        connections.close_all()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_teacher_registers_group_with_one_save(
    teacher, group, school_year, live_server, browser_page
):
    anna = PupilFactory(group=group, first_name="Anna", grade=3)
    bent = PupilFactory(group=group, first_name="Bent", grade=4)
    cille = PupilFactory(group=group, first_name="Cille", grade=8)
    dan = PupilFactory(group=group, first_name="Dan", grade=5)
    page = browser_page
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", teacher.username)
    page.fill("#id_password", "test-password-123")
    page.click("button[type=submit]")

    register_url = reverse("absence:register", args=[group.pk])
    page.goto(f"{live_server.url}{register_url}?day={SCHOOL_DAY.isoformat()}")
    page.click(f"label[for=id_p{anna.pk}-status_0]")
    page.click(f"label[for=id_p{bent.pk}-status_1]")
    page.fill(f"#id_p{bent.pk}-arrived_at", "09:30")
    page.click(f"label[for=id_p{cille.pk}-status_0]")
    page.click(f"label[for=id_p{cille.pk}-last_status_1]")
    page.fill(f"#id_p{cille.pk}-left_at", "12:15")
    # By keyboard: focus Dan's first button, move with the arrow keys to illness.
    page.focus(f"#id_p{dan.pk}-status_0")
    page.keyboard.press("Space")
    for _step in range(3):
        page.keyboard.press("ArrowRight")
    assert page.is_visible(f"#id_p{dan.pk}-reason_channel")
    assert not page.is_visible(f"#id_p{anna.pk}-arrived_at")
    page.select_option(f"#id_p{dan.pk}-reason_channel", "phone")
    page.click("button[name=save]")
    page.wait_for_load_state()

    saved = {
        (row.pupil_id, row.notation): row
        for row in Registration.objects.filter(day=SCHOOL_DAY)
    }
    assert len(saved) == 5
    assert saved[anna.pk, "morning"].status == Status.PRESENT
    assert saved[bent.pk, "morning"].status == Status.LATE
    assert saved[bent.pk, "morning"].arrived_at == time(9, 30)
    assert saved[cille.pk, "last_lesson"].left_at == time(12, 15)
    assert saved[dan.pk, "morning"].status == Status.ILLNESS
    assert saved[dan.pk, "morning"].reason_channel == "phone"
    assert "alert-success" in page.content()
