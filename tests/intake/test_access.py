"""The plan's access rules on every intake page.

Everyone who may see the pupil reads the intake; only coordinators and
leadership fill it in, finish it, amend it, record follow-ups and edit the
questions. Staff of other groups and other schools get 404, as for the plan.
"""

import pytest
from django.urls import reverse

from intake import services
from intake.models import Intake
from schoolplan import roles
from tests.factories import make_staff
from tests.intake.conftest import fill_minimum

LOGIN = "login"
READER = {
    "teacher": 200,
    "other_teacher": 404,
    "coordinator": 200,
    "leader": 200,
    "outsider": 404,
    "anonymous": LOGIN,
}
EDITOR = READER | {"teacher": 403}
# A successful post answers with a redirect.
EDITOR_POST = EDITOR | {"coordinator": 302, "leader": 302}

# (URL name, extra URL arguments, method, intake state, expected status per role)
PAGES = [
    ("intake_detail", {}, "get", "draft", READER),
    ("intake_detail", {}, "get", "finished", READER),
    ("intake_edit", {}, "get", "draft", EDITOR),
    ("intake_finish", {}, "get", "draft", EDITOR),
    ("intake_start", {}, "post", None, EDITOR_POST),
    ("intake_section_save", {"section": "pupil_view"}, "post", "draft", EDITOR_POST),
    ("intake_section_save", {"section": "scales"}, "post", "draft", EDITOR_POST),
    ("placement_add", {}, "post", "draft", EDITOR_POST),
    ("goal_add", {}, "post", "draft", EDITOR_POST),
    ("intake_amend", {"section": "absence"}, "get", "finished", EDITOR),
    ("intake_amend", {"section": "scales"}, "get", "finished", EDITOR),
    ("placement_amend_new", {}, "get", "finished", EDITOR),
    ("follow_up_create", {}, "get", "finished", EDITOR),
]


@pytest.fixture
def cast(teacher, coordinator, leader, outsider, school, other_group):
    other_teacher = make_staff(
        school=school, role=roles.TEACHER, groups=[other_group], username="anden"
    )
    return {
        "teacher": teacher,
        "other_teacher": other_teacher,
        "coordinator": coordinator,
        "leader": leader,
        "outsider": outsider,
        "anonymous": None,
    }


def _prepare(state, pupil, coordinator):
    if state is None:
        return None
    intake = services.intake_start(pupil=pupil, user=coordinator)
    if state == "finished":
        fill_minimum(intake, coordinator)
        services.intake_finish(intake=intake, user=coordinator)
    return intake


def _post_data(name, arguments):
    if name == "intake_section_save":
        return {f"{arguments['section']}-loaded_version": "0"}
    return {}


@pytest.mark.parametrize("role", list(READER))
@pytest.mark.parametrize(
    ("name", "arguments", "method", "state", "expected"),
    PAGES,
    ids=[f"{page[0]}-{page[3]}-{page[2]}" for page in PAGES],
)
def test_page_for_role(
    client, cast, pupil, coordinator, role, name, arguments, method, state, expected
):
    _prepare(state, pupil, coordinator)
    user = cast[role]
    if user is not None:
        client.force_login(user)
    url = reverse(f"intake:{name}", kwargs={"pupil_id": pupil.pk} | arguments)

    if method == "post":
        response = client.post(url, _post_data(name, arguments))
    else:
        response = client.get(url)

    if expected[role] == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected[role]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("teacher", 403),
        ("coordinator", 200),
        ("leader", 200),
        ("outsider", 200),
        ("anonymous", LOGIN),
    ],
)
def test_question_set_page_for_role(client, cast, role, expected):
    if cast[role] is not None:
        client.force_login(cast[role])

    response = client.get(reverse("intake:question_set_edit"))

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected


def test_teacher_sees_intake_read_only(client_for, teacher, coordinator, pupil):
    intake = _prepare("draft", pupil, coordinator)

    page = (
        client_for(teacher)
        .get(reverse("intake:intake_detail", args=[pupil.pk]))
        .content.decode()
    )

    assert intake.status == Intake.Status.DRAFT
    assert reverse("intake:intake_edit", args=[pupil.pk]) not in page
    assert reverse("intake:intake_start", args=[pupil.pk]) not in page


def test_teacher_post_changes_nothing(client_for, teacher, coordinator, pupil):
    intake = _prepare("draft", pupil, coordinator)

    client_for(teacher).post(
        reverse("intake:intake_section_save", args=[pupil.pk, "pupil_view"]),
        {"pupil_view-loaded_version": "0", "pupil_view-what_is_hard": "Lærerens tekst"},
    )

    intake.refresh_from_db()
    assert intake.what_is_hard == ""


def test_outsider_edits_only_own_school_questions(client_for, outsider, school):
    from intake.models import QuestionSet

    client_for(outsider).post(
        reverse("intake:question_set_edit"),
        {
            "questions-TOTAL_FORMS": "1",
            "questions-INITIAL_FORMS": "0",
            "loaded_version": "1",
            "questions-0-text": "Hvordan går det?",
            "questions-0-low_label": "Dårligt",
            "questions-0-high_label": "Godt",
            "questions-0-higher_is_better": "on",
            "questions-0-ORDER": "1",
        },
    )

    assert not QuestionSet.objects.filter(school=school).exists()
    assert QuestionSet.objects.filter(school__name="Nabo-skolen", version=2).exists()


def test_intake_view_logged_in_danish(client_for, coordinator, pupil):
    from schoolplan.models import AccessLogEntry

    _prepare("draft", pupil, coordinator)
    client_for(coordinator).get(reverse("intake:intake_detail", args=[pupil.pk]))

    whats = set(
        AccessLogEntry.objects.filter(pupil=pupil).values_list("what", flat=True)
    )
    assert "opstartssamtale" in whats
