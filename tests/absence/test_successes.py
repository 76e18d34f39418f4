"""Successes: a quick form from the register and the plan, and an entry in the log."""

from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone

from absence.models import Success
from schoolplan.forms import MAX_TEXT_LENGTH
from schoolplan.models import Area, Entry
from tests.absence.conftest import SCHOOL_DAY
from tests.factories import GoalFactory


def success_url(pupil, query=""):
    return reverse("absence:success_create", args=[pupil.pk]) + query


def success_data(**overrides):
    data = {
        "day": SCHOOL_DAY.isoformat(),
        "pattern": Success.Pattern.HARD_MORNING,
        "area": str(Area.objects.get(code=Area.Code.ATTENDANCE).pk),
        "what_happened": "Kom ind trods en svær morgen.",
        "goal": "",
    }
    data.update(overrides)
    return data


def test_success_is_also_written_to_the_log(client_for, teacher, pupil):
    goal = GoalFactory(pupil=pupil)

    response = client_for(teacher).post(success_url(pupil), success_data(goal=goal.pk))

    success = Success.objects.get()
    entry = Entry.objects.get(kind=Entry.Kind.SUCCESS)
    assert response.status_code == 302
    assert success.entry == entry
    assert success.seen_by == teacher
    assert entry.goal == goal
    assert entry.concerns_date == SCHOOL_DAY
    assert "Kom ind trods en svær morgen." in entry.text
    assert list(entry.areas.values_list("code", flat=True)) == [Area.Code.ATTENDANCE]


def test_success_form_sent_twice_saves_once(client_for, teacher, pupil):
    client = client_for(teacher)

    first = client.post(success_url(pupil), success_data())
    second = client.post(success_url(pupil), success_data())

    assert first.status_code == 302
    assert second.status_code == 302
    assert Success.objects.count() == 1
    assert Entry.objects.filter(kind=Entry.Kind.SUCCESS).count() == 1


def test_success_with_other_choices_is_new(client_for, teacher, pupil):
    client = client_for(teacher)
    label = str(Success.Pattern.HARD_MORNING.label)

    client.post(success_url(pupil), success_data(what_happened=""))
    client.post(
        success_url(pupil),
        success_data(pattern=Success.Pattern.OTHER, what_happened=f"{label}."),
    )

    patterns = set(Success.objects.values_list("pattern", flat=True))
    assert patterns == {Success.Pattern.HARD_MORNING, Success.Pattern.OTHER}
    assert Entry.objects.filter(kind=Entry.Kind.SUCCESS).count() == 2


def test_success_from_register_returns_to_register(client_for, teacher, pupil, group):
    register_url = reverse("absence:register", args=[group.pk]) + "?day=2026-03-10"
    query = f"?day=2026-03-10&next={quote(register_url)}"
    client = client_for(teacher)

    form_page = client.get(success_url(pupil, query)).content.decode()
    response = client.post(success_url(pupil, query), success_data(what_happened=""))

    assert 'value="2026-03-10"' in form_page
    assert response.url == register_url
    assert Success.objects.get().what_happened == ""


def test_success_of_other_kind_needs_a_text(client_for, teacher, pupil):
    response = client_for(teacher).post(
        success_url(pupil),
        success_data(pattern=Success.Pattern.OTHER, what_happened=""),
    )

    assert response.status_code == 200
    assert not Success.objects.exists()
    assert not Entry.objects.exists()


def test_success_rejects_goal_of_other_pupil(client_for, teacher, pupil, other_pupil):
    goal = GoalFactory(pupil=other_pupil)

    response = client_for(teacher).post(success_url(pupil), success_data(goal=goal.pk))

    assert response.status_code == 200
    assert not Success.objects.exists()


def test_success_shows_on_plan_and_in_log(client_for, teacher, pupil):
    client = client_for(teacher)
    client.post(success_url(pupil), success_data(day=timezone.localdate().isoformat()))

    page = client.get(reverse("schoolplan:plan", args=[pupil.pk])).content.decode()

    assert 'id="section-successes"' in page
    assert page.count("Kom ind trods en svær morgen.") >= 2
    assert success_url(pupil) in page


def test_success_chart_labels_months_and_counts(client_for, teacher, pupil):
    client = client_for(teacher)
    client.post(success_url(pupil), success_data(day=timezone.localdate().isoformat()))

    page = client.get(reverse("schoolplan:plan", args=[pupil.pk])).content.decode()

    chart = page[
        page.index('class="success-chart') : page.index(
            "</svg>", page.index('class="success-chart')
        )
    ]
    # The chart spans the school year, which starts in August.
    assert ">aug</text>" in chart
    assert ">1</text>" in chart


def test_success_access_by_role(
    client, client_for, teacher, coordinator, outsider, pupil, other_pupil
):
    assert client.get(success_url(pupil)).status_code == 302
    assert client_for(teacher).get(success_url(pupil)).status_code == 200
    assert client_for(coordinator).get(success_url(pupil)).status_code == 200
    assert client_for(teacher).get(success_url(other_pupil)).status_code == 404
    assert client_for(outsider).get(success_url(pupil)).status_code == 404


def test_success_text_over_limit_is_rejected(client_for, teacher, pupil):
    too_long = "x" * (MAX_TEXT_LENGTH + 1)

    response = client_for(teacher).post(
        success_url(pupil), success_data(what_happened=too_long)
    )

    assert response.status_code == 200
    assert response.context["form"].has_error("what_happened", "max_length")
    assert not Success.objects.exists()


def test_corrected_success_entry_corrects_the_success(client_for, teacher, pupil):
    """Taking another pupil's name out of the log entry takes it out everywhere."""
    client = client_for(teacher)
    client.post(
        success_url(pupil), success_data(what_happened="Spillede bold med Nora.")
    )
    entry = Entry.objects.get(kind=Entry.Kind.SUCCESS)
    label = Success.Pattern.HARD_MORNING.label
    assert entry.text == f"{label}. Spillede bold med Nora."

    response = client.post(
        reverse("schoolplan:entry_edit", args=[pupil.pk, entry.pk]),
        {
            "concerns_date": entry.concerns_date.isoformat(),
            "kind": Entry.Kind.SUCCESS,
            "text": f"{label}. Spillede bold i frikvarteret.",
            "areas": [str(Area.objects.get(code=Area.Code.ATTENDANCE).pk)],
            "shared_with_parents": "on",
        },
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.kind == Entry.Kind.SUCCESS
    assert entry.shared_with_parents
    assert Success.objects.get().what_happened == "Spillede bold i frikvarteret."
