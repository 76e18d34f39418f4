"""Who may see and change which pupil.

The status of every URL for every role is checked in tests/security/test_url_walk.py.
"""

from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from schoolplan.access import (
    get_pupil_for_user,
    visible_group_list,
    visible_groups,
    visible_pupils,
)
from schoolplan.audit import record_accesses
from schoolplan.models import AccessLogEntry, Goal
from tests.factories import GoalFactory, PupilFactory, PupilGroupFactory, UserFactory


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


def test_pupil_list_offers_only_own_groups(
    client_for, teacher, group, other_group, pupil
):
    response = client_for(teacher).get(reverse("schoolplan:pupil_list"))

    assert list(response.context["groups"]) == [group]
    assert f'value="{other_group.pk}"' not in response.content.decode()


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


def test_access_log_rows_get_time_and_short_text(teacher, pupil, other_pupil):
    before = timezone.now()

    record_accesses(
        teacher, AccessLogEntry.Action.VIEW, pupil_ids=[pupil.pk, None], what="x" * 400
    )

    rows = list(AccessLogEntry.objects.order_by("pk"))
    assert [row.pupil_id for row in rows] == [pupil.pk, None]
    assert {row.user_id for row in rows} == {teacher.pk}
    assert {row.action for row in rows} == {AccessLogEntry.Action.VIEW}
    assert {len(row.what) for row in rows} == {300}
    assert before <= rows[0].at <= timezone.now()


def test_goal_of_other_pupil_not_editable(client_for, coordinator, pupil, other_pupil):
    goal = GoalFactory(pupil=other_pupil)

    response = client_for(coordinator).get(
        reverse("schoolplan:goal_edit", args=[pupil.pk, goal.pk])
    )

    assert response.status_code == 404
    assert Goal.objects.get(pk=goal.pk).title == goal.title


def test_group_list_matches_visible_groups(
    teacher, coordinator, leader, outsider, group, other_group
):
    """The register's list of groups, in SQL, follows the access rule's queryset."""
    PupilGroupFactory(school=outsider.staff.school)
    without_role = UserFactory()
    for user in (teacher, coordinator, leader, outsider, without_role):
        expected = list(visible_groups(user))

        assert visible_group_list(user) == expected, user.username

    assert visible_group_list(teacher) == [group]
    assert visible_group_list(leader) == [other_group, group]
    assert visible_group_list(without_role) == []


def test_pupil_lookup_follows_visible_pupils(
    teacher, coordinator, outsider, pupil, other_pupil
):
    """The plan page's pupil, read in SQL, is found where the rule allows."""
    without_group = PupilFactory(school=pupil.school, group=None)
    for user in (teacher, coordinator, outsider, UserFactory()):
        for candidate in (pupil, other_pupil, without_group):
            visible = visible_pupils(user).filter(pk=candidate.pk).exists()
            try:
                found = get_pupil_for_user(user, candidate.pk)
            except Http404:
                found = None

            assert (found is not None) == visible, (user.username, candidate.pk)
            if found is not None:
                assert found == candidate
                assert found.school.name == candidate.school.name
                assert found.group == candidate.group
                assert found.start_date == candidate.start_date
