"""Editing the front page, challenges and goals without losing anyone's text."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from schoolplan import services
from schoolplan.models import Area, Challenge, FrontPage, Goal
from tests.factories import GoalFactory


def _save_front_page(client, pupil, overview, version):
    return client.post(
        reverse("schoolplan:front_page_edit", args=[pupil.pk]),
        {"overview": overview, "resources": "Glad for dyr", "loaded_version": version},
    )


def test_coordinator_saves_front_page(client_for, coordinator, pupil):
    response = _save_front_page(client_for(coordinator), pupil, "Første udgave", 0)

    front_page = FrontPage.objects.get(pupil=pupil)
    assert response.status_code == 302
    assert front_page.overview == "Første udgave"
    assert front_page.version == 1
    assert front_page.updated_by == coordinator


def test_second_concurrent_save_refused_nothing_lost(
    client, coordinator, leader, pupil
):
    client.force_login(coordinator)
    _save_front_page(client, pupil, "Udgangspunkt", 0)
    # Both open the form at version 1.
    client.force_login(coordinator)
    first = _save_front_page(client, pupil, "Karens nye overblik", 1)
    client.force_login(leader)
    second = _save_front_page(client, pupil, "Lenes nye overblik æøå", 1)

    front_page = FrontPage.objects.get(pupil=pupil)
    content = second.content.decode()
    assert first.status_code == 302
    assert second.status_code == 200
    assert front_page.overview == "Karens nye overblik"
    assert second.context["conflict"].overview == "Karens nye overblik"
    assert "Karens nye overblik" in content
    assert "Lenes nye overblik æøå" in content
    assert second.context["form"]["loaded_version"].value() == "2"


def test_resubmitting_after_conflict_saves(client, coordinator, leader, pupil):
    client.force_login(coordinator)
    _save_front_page(client, pupil, "Karens", 0)
    client.force_login(leader)
    conflict = _save_front_page(client, pupil, "Lenes", 0)

    resubmit = _save_front_page(
        client, pupil, "Lenes, flettet med Karens", conflict.context["conflict"].version
    )

    assert resubmit.status_code == 302
    assert FrontPage.objects.get(pupil=pupil).overview == "Lenes, flettet med Karens"


def test_front_page_history_keeps_versions(coordinator, pupil):
    services.front_page_save(
        pupil=pupil, user=coordinator, overview="En", resources="", expected_version=0
    )
    services.front_page_save(
        pupil=pupil, user=coordinator, overview="To", resources="", expected_version=1
    )

    overviews = list(
        FrontPage.objects.get(pupil=pupil)
        .history.order_by("history_date")
        .values_list("overview", flat=True)
    )
    assert overviews[-2:] == ["En", "To"]


@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_only_one_wins(coordinator, leader, pupil):
    """Two transactions racing on the same version: exactly one may win."""
    services.front_page_save(
        pupil=pupil,
        user=coordinator,
        overview="Start",
        resources="",
        expected_version=0,
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def save(user, text):
        try:
            barrier.wait()
            services.front_page_save(
                pupil=pupil, user=user, overview=text, resources="", expected_version=1
            )
            outcomes.append("saved")
        except services.StaleEditError:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(coordinator, "A")),
        threading.Thread(target=save, args=(leader, "B")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["saved", "stale"]
    assert FrontPage.objects.get(pupil=pupil).version == 2


def test_goal_concurrent_edit_refused(client, coordinator, leader, pupil):
    goal = GoalFactory(pupil=pupil, title="Kommer i skole")
    url = reverse("schoolplan:goal_edit", args=[pupil.pk, goal.pk])
    data = {
        "area": goal.area_id,
        "start_date": "2026-09-01",
        "status": Goal.Status.ACTIVE,
        "loaded_version": goal.version,
    }
    client.force_login(coordinator)
    first = client.post(url, {**data, "title": "Kommer i skole fire dage"})
    client.force_login(leader)
    second = client.post(url, {**data, "title": "Kommer i skole hver dag"})

    goal.refresh_from_db()
    assert first.status_code == 302
    assert second.status_code == 200
    assert goal.title == "Kommer i skole fire dage"
    assert "Kommer i skole hver dag" in second.content.decode()
    assert "Kommer i skole fire dage" in second.content.decode()


def test_challenge_created_and_shown(client_for, coordinator, pupil):
    client = client_for(coordinator)
    area = Area.objects.get(code=Area.Code.ATTENDANCE)

    client.post(
        reverse("schoolplan:challenge_create", args=[pupil.pk]),
        {
            "area": area.pk,
            "description": "Ondt i maven søndag aften",
            "status": "open",
            "loaded_version": 0,
        },
    )
    page = client.get(reverse("schoolplan:plan", args=[pupil.pk])).content.decode()

    assert Challenge.objects.get(pupil=pupil).updated_by == coordinator
    assert "Ondt i maven søndag aften" in page


def test_resolved_challenge_leaves_front_page(client_for, coordinator, pupil):
    area = Area.objects.get(code=Area.Code.HEALTH)
    Challenge.objects.create(
        pupil=pupil, area=area, description="Løst problem", status="resolved"
    )

    page = client_for(coordinator).get(reverse("schoolplan:plan", args=[pupil.pk]))

    assert "Løst problem" not in page.content.decode()


def test_goal_review_moves_status_and_links_entries(client_for, coordinator, pupil):
    from tests.factories import EntryFactory

    goal = GoalFactory(pupil=pupil)
    entry = EntryFactory(pupil=pupil, author=coordinator, goal=goal)

    response = client_for(coordinator).post(
        reverse("schoolplan:goal_review_create", args=[pupil.pk, goal.pk]),
        {
            "reviewed_on": "2026-11-20",
            "text": "Målet er nået.",
            "status": Goal.Status.ACHIEVED,
            "entries": [entry.pk],
        },
    )

    goal.refresh_from_db()
    review = goal.reviews.get()
    assert response.status_code == 302
    assert goal.status == Goal.Status.ACHIEVED
    assert list(review.entries.all()) == [entry]
