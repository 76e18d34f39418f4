"""Cases found by trying the plan as a user would."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from schoolplan import forms, roles, services
from schoolplan.models import Challenge, Entry, Goal
from tests.browser.conftest import PASSWORD
from tests.factories import EntryFactory, GoalFactory, make_staff


def test_login_with_overlong_username_gives_message(client, teacher):
    response = client.post(
        reverse("login"), {"username": "x" * 300, "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["username"]


def test_lockout_spares_other_browsers(client, teacher, coordinator, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": f"ukendt{attempt}", "password": "forkert"},
            HTTP_USER_AGENT="Angriber/1.0",
        )

    blocked = client.post(
        reverse("login"),
        {"username": coordinator.username, "password": PASSWORD},
        HTTP_USER_AGENT="Angriber/1.0",
    )
    colleague = client.post(
        reverse("login"),
        {"username": coordinator.username, "password": PASSWORD},
        HTTP_USER_AGENT="Skolens-pc/2.0",
    )

    assert blocked.status_code == 429
    assert colleague.status_code == 302


def test_correction_keeps_link_to_closed_goal(client_for, teacher, pupil):
    goal = GoalFactory(pupil=pupil, status=Goal.Status.CLOSED)
    entry = EntryFactory(pupil=pupil, author=teacher, goal=goal, text="Stavefjl")

    client_for(teacher).post(
        reverse("schoolplan:entry_edit", args=[pupil.pk, entry.pk]),
        {
            "concerns_date": entry.concerns_date.isoformat(),
            "kind": entry.kind,
            "text": "Stavefejl rettet",
            "goal": goal.pk,
        },
    )

    entry.refresh_from_db()
    assert entry.text == "Stavefejl rettet"
    assert entry.goal == goal


def test_colleague_cannot_open_amend_form(client_for, teacher, school, pupil):
    colleague = make_staff(school=school, role=roles.TEACHER, groups=[pupil.group])
    entry = EntryFactory(pupil=pupil, author=teacher)
    client = client_for(colleague)

    amend = client.get(reverse("schoolplan:entry_amend", args=[pupil.pk, entry.pk]))
    strike = client.get(reverse("schoolplan:entry_strike", args=[pupil.pk, entry.pk]))
    plan = client.get(reverse("schoolplan:plan", args=[pupil.pk])).content.decode()

    assert amend.status_code == 403
    assert strike.status_code == 403
    assert reverse("schoolplan:entry_amend", args=[pupil.pk, entry.pk]) not in plan


def test_struck_entry_cannot_be_amended(client_for, teacher, pupil):
    entry = EntryFactory(pupil=pupil, author=teacher)
    services.entry_strike(entry=entry, user=teacher, reason="Forkert elev")

    response = client_for(teacher).post(
        reverse("schoolplan:entry_amend", args=[pupil.pk, entry.pk]),
        {"text": "Sneget ind alligevel"},
    )

    assert response.status_code == 200
    assert not entry.amendments.exists()


@pytest.mark.parametrize("version", ["-1", "abc", ""])
def test_tampered_version_explains_itself(client_for, coordinator, pupil, version):
    response = client_for(coordinator).post(
        reverse("schoolplan:front_page_edit", args=[pupil.pk]),
        {"overview": "Mit overblik", "resources": "", "loaded_version": version},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert escape(str(forms.STALE_FORM)) in content
    assert "Mit overblik" in content


def test_review_date_far_ahead_message(client_for, coordinator, pupil):
    goal = GoalFactory(pupil=pupil)
    far = timezone.localdate() + timedelta(days=6 * 365)

    response = client_for(coordinator).post(
        reverse("schoolplan:goal_edit", args=[pupil.pk, goal.pk]),
        {
            "title": goal.title,
            "area": goal.area_id,
            "start_date": timezone.localdate().isoformat(),
            "review_date": far.isoformat(),
            "status": "active",
            "loaded_version": goal.version,
        },
    )

    assert str(forms.DATE_TOO_LATE) in response.content.decode()


def test_challenge_text_limited(client_for, coordinator, pupil):
    goal = GoalFactory(pupil=pupil)

    client_for(coordinator).post(
        reverse("schoolplan:challenge_create", args=[pupil.pk]),
        {
            "area": goal.area_id,
            "description": "x" * (forms.MAX_TEXT_LENGTH + 1),
            "status": "open",
            "loaded_version": 0,
        },
    )

    assert not Challenge.objects.exists()


def test_goal_with_sub_goals_cannot_become_sub_goal(client_for, coordinator, pupil):
    main = GoalFactory(pupil=pupil, title="Hovedmål")
    GoalFactory(pupil=pupil, parent=main, title="Delmål")
    other = GoalFactory(pupil=pupil, title="Andet mål")

    response = client_for(coordinator).post(
        reverse("schoolplan:goal_edit", args=[pupil.pk, main.pk]),
        {
            "title": main.title,
            "area": main.area_id,
            "parent": other.pk,
            "start_date": main.start_date.isoformat(),
            "status": "active",
            "loaded_version": main.version,
        },
    )

    main.refresh_from_db()
    assert str(forms.GOAL_HAS_SUB_GOALS) in response.content.decode()
    assert main.parent is None


def test_closed_goals_listed_on_front_page_form(client_for, coordinator, pupil):
    GoalFactory(pupil=pupil, title="Gammelt mål", status=Goal.Status.CLOSED)

    response = client_for(coordinator).get(
        reverse("schoolplan:front_page_edit", args=[pupil.pk])
    )

    assert "Gammelt mål" in response.content.decode()


def test_admin_cannot_delete_pupils_or_users(admin_client, pupil, teacher):
    pupil_delete = admin_client.get(
        reverse("admin:schoolplan_pupil_delete", args=[pupil.pk])
    )
    user_delete = admin_client.get(reverse("admin:auth_user_delete", args=[teacher.pk]))

    assert pupil_delete.status_code == 403
    assert user_delete.status_code == 403


@override_settings(DEBUG=False)
def test_not_found_page_is_danish(client_for, teacher, other_pupil):
    response = client_for(teacher).get(
        reverse("schoolplan:plan", args=[other_pupil.pk])
    )

    content = response.content.decode()
    assert response.status_code == 404
    assert "Siden findes ikke" in content
    assert "du har ikke adgang til den" in content


def test_saved_entry_is_shown_in_log(client_for, teacher, pupil):
    response = client_for(teacher).post(
        reverse("schoolplan:entry_create", args=[pupil.pk]),
        {
            "concerns_date": timezone.localdate().isoformat(),
            "kind": "daily",
            "text": "Ny dag",
        },
    )

    entry = Entry.objects.get(pupil=pupil)
    assert response["Location"].endswith(f"#entry-{entry.pk}")
