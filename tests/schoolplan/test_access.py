"""Each school plan view, tried by every role and by the anonymous visitor."""

import pytest
from django.urls import reverse

from schoolplan.models import AccessLogEntry, Challenge, Goal
from tests.factories import EntryFactory, GoalFactory

ANONYMOUS = "anonymous"


@pytest.fixture
def cast(teacher, coordinator, leader, outsider):
    return {
        "teacher": teacher,
        "coordinator": coordinator,
        "leader": leader,
        "outsider": outsider,
    }


@pytest.fixture
def objects(pupil, teacher):
    entry = EntryFactory(pupil=pupil, author=teacher)
    goal = GoalFactory(pupil=pupil)
    challenge = Challenge.objects.create(
        pupil=pupil, area=goal.area, description="Svært ved morgenerne"
    )
    return {"pupil": pupil, "entry": entry, "goal": goal, "challenge": challenge}


def _url(name, objects):
    pupil, entry = objects["pupil"].pk, objects["entry"].pk
    args = {
        "pupil_list": [],
        "plan": [pupil],
        "entry_create": [pupil],
        "entry_edit": [pupil, entry],
        "entry_amend": [pupil, entry],
        "entry_strike": [pupil, entry],
        "front_page_edit": [pupil],
        "challenge_create": [pupil],
        "challenge_edit": [pupil, objects["challenge"].pk],
        "goal_create": [pupil],
        "goal_edit": [pupil, objects["goal"].pk],
        "goal_review_create": [pupil, objects["goal"].pk],
        "pupil_access_log": [pupil],
        "pupil_data_export": [pupil],
    }[name]
    return reverse(f"schoolplan:{name}", args=args)


# Expected status of a GET per view and role. The teacher works with the
# pupil's group and wrote the entry; the outsider is a coordinator of another
# school. The coordinator is sent from the correction form to the amendment
# form because only the author may correct an entry.
EXPECTED = {
    "pupil_list": {"teacher": 200, "coordinator": 200, "leader": 200, "outsider": 200},
    "plan": {"teacher": 200, "coordinator": 200, "leader": 200, "outsider": 404},
    "entry_create": {
        "teacher": 200,
        "coordinator": 200,
        "leader": 200,
        "outsider": 404,
    },
    "entry_edit": {"teacher": 200, "coordinator": 302, "leader": 302, "outsider": 404},
    "entry_amend": {"teacher": 200, "coordinator": 200, "leader": 200, "outsider": 404},
    "entry_strike": {
        "teacher": 200,
        "coordinator": 200,
        "leader": 200,
        "outsider": 404,
    },
    "front_page_edit": {
        "teacher": 403,
        "coordinator": 200,
        "leader": 200,
        "outsider": 404,
    },
    "challenge_create": {
        "teacher": 403,
        "coordinator": 200,
        "leader": 200,
        "outsider": 404,
    },
    "challenge_edit": {
        "teacher": 403,
        "coordinator": 200,
        "leader": 200,
        "outsider": 404,
    },
    "goal_create": {"teacher": 403, "coordinator": 200, "leader": 200, "outsider": 404},
    "goal_edit": {"teacher": 403, "coordinator": 200, "leader": 200, "outsider": 404},
    "goal_review_create": {
        "teacher": 403,
        "coordinator": 200,
        "leader": 200,
        "outsider": 404,
    },
    "pupil_access_log": {
        "teacher": 403,
        "coordinator": 403,
        "leader": 200,
        "outsider": 404,
    },
    "pupil_data_export": {
        "teacher": 403,
        "coordinator": 403,
        "leader": 200,
        "outsider": 404,
    },
}


@pytest.mark.parametrize(
    ("view", "role"),
    [(view, role) for view, by_role in EXPECTED.items() for role in by_role],
)
def test_view_status_by_role(client, cast, objects, view, role):
    client.force_login(cast[role])

    response = client.get(_url(view, objects))

    assert response.status_code == EXPECTED[view][role]


@pytest.mark.parametrize("view", list(EXPECTED))
def test_anonymous_visitor_redirected_to_login(client, objects, view):
    url = _url(view, objects)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_teacher_cannot_open_other_group_pupil(client_for, teacher, other_pupil):
    client = client_for(teacher)

    plan = client.get(reverse("schoolplan:plan", args=[other_pupil.pk]))
    entry = client.post(
        reverse("schoolplan:entry_create", args=[other_pupil.pk]),
        {"concerns_date": "2026-11-02", "kind": "daily", "text": "Forsøg"},
    )

    assert plan.status_code == 404
    assert entry.status_code == 404
    assert other_pupil.entries.count() == 0


def test_teacher_cannot_post_front_page(client_for, teacher, pupil):
    response = client_for(teacher).post(
        reverse("schoolplan:front_page_edit", args=[pupil.pk]),
        {"overview": "Ændret", "resources": "", "loaded_version": "0"},
    )

    assert response.status_code == 403
    assert not hasattr(pupil, "front_page") or pupil.front_page.overview != "Ændret"


def test_pupil_list_shows_only_own_groups(client_for, teacher, pupil, other_pupil):
    response = client_for(teacher).get(reverse("schoolplan:pupil_list"))

    content = response.content.decode()
    assert "Søren Ærø" in content
    assert "Åse Østergaard" not in content


def test_coordinator_sees_whole_school(client_for, coordinator, pupil, other_pupil):
    response = client_for(coordinator).get(reverse("schoolplan:pupil_list"))

    content = response.content.decode()
    assert "Søren Ærø" in content
    assert "Åse Østergaard" in content


def test_outsider_sees_no_pupils(client_for, outsider, pupil):
    response = client_for(outsider).get(reverse("schoolplan:pupil_list"))

    assert "Søren Ærø" not in response.content.decode()


def test_pupil_list_search_and_group_filter(
    client_for, coordinator, pupil, other_pupil
):
    client = client_for(coordinator)

    by_name = client.get(reverse("schoolplan:pupil_list"), {"q": "ærø"})
    by_group = client.get(
        reverse("schoolplan:pupil_list"), {"group": other_pupil.group_id}
    )
    bad_group = client.get(reverse("schoolplan:pupil_list"), {"group": "x' OR 1=1"})

    assert "Søren Ærø" in by_name.content.decode()
    assert "Åse Østergaard" not in by_name.content.decode()
    assert "Åse Østergaard" in by_group.content.decode()
    assert "Søren Ærø" not in by_group.content.decode()
    assert bad_group.status_code == 200


def test_search_is_recorded_in_access_log(client_for, coordinator, pupil):
    client_for(coordinator).get(reverse("schoolplan:pupil_list"), {"q": "Søren"})

    row = AccessLogEntry.objects.get(action=AccessLogEntry.Action.SEARCH)
    assert row.user == coordinator
    assert "Søren" in row.what


def test_opening_plan_is_recorded(client_for, teacher, pupil):
    client_for(teacher).get(reverse("schoolplan:plan", args=[pupil.pk]))

    row = AccessLogEntry.objects.get(action=AccessLogEntry.Action.VIEW)
    assert row.user == teacher
    assert row.pupil == pupil


def test_goal_of_other_pupil_not_editable(client_for, coordinator, pupil, other_pupil):
    goal = GoalFactory(pupil=other_pupil)

    response = client_for(coordinator).get(
        reverse("schoolplan:goal_edit", args=[pupil.pk, goal.pk])
    )

    assert response.status_code == 404
    assert Goal.objects.get(pk=goal.pk).title == goal.title
