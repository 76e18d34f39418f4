"""A finished intake changes only through amendments that keep the original values."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from intake import services
from intake.models import IntakeAmendment, SchoolPlacement
from tests.intake.conftest import questions_for


@pytest.fixture
def recorded(finished, coordinator):
    """A finished intake that says the absence at the last school was 62 %."""
    finished.last_school_absence_percent = Decimal("62.0")
    finished.what_helps = "En fast voksen."
    finished.save()
    return finished


def test_amendment_keeps_original_value(client_for, coordinator, pupil, recorded):
    response = client_for(coordinator).post(
        reverse("intake:intake_amend", args=[pupil.pk, "absence"]),
        {
            "absence-last_school_absence_percent": "66.5",
            "reason": "Den endelige opgørelse er kommet.",
        },
    )

    recorded.refresh_from_db()
    amendment = IntakeAmendment.objects.get(intake=recorded)
    assert response.status_code == 302
    assert recorded.last_school_absence_percent == Decimal("66.5")
    assert amendment.author == coordinator
    assert amendment.reason == "Den endelige opgørelse er kommet."
    assert amendment.changes == [
        {
            "field": "Fravær på sidste skole (%)",
            "before": "62",
            "after": "66,5",
        }
    ]


def test_detail_page_shows_original_and_amended(
    client_for, coordinator, teacher, pupil, recorded
):
    services.intake_amend(
        intake=recorded,
        section="pupil_view",
        values={"what_helps": "To faste voksne og et stille rum."},
        reason="Mor har tilføjet noget efter samtalen.",
        user=coordinator,
    )

    page = (
        client_for(teacher)
        .get(reverse("intake:intake_detail", args=[pupil.pk]))
        .content.decode()
    )

    assert "En fast voksen." in page
    assert "To faste voksne og et stille rum." in page
    assert "Mor har tilføjet noget efter samtalen." in page


def test_history_keeps_row_as_finished(coordinator, recorded):
    before_amendment = timezone.now()
    services.intake_amend(
        intake=recorded,
        section="pupil_view",
        values={"what_helps": "Noget andet."},
        reason="Rettelse.",
        user=coordinator,
    )

    as_finished = recorded.history.as_of(before_amendment)
    assert as_finished.what_helps == "En fast voksen."


def test_amendment_needs_reason(coordinator, recorded):
    with pytest.raises(ValidationError) as error:
        services.intake_amend(
            intake=recorded,
            section="pupil_view",
            values={"what_helps": "Noget andet."},
            reason="  ",
            user=coordinator,
        )

    assert error.value.message_dict == {"reason": [str(services.REASON_MISSING)]}


def test_amendment_without_change_rejected(client_for, coordinator, pupil, recorded):
    response = client_for(coordinator).post(
        reverse("intake:intake_amend", args=[pupil.pk, "pupil_view"]),
        {"pupil_view-what_helps": "En fast voksen.", "reason": "Ingen grund."},
    )

    assert response.status_code == 200
    assert str(services.NOTHING_CHANGED) in response.content.decode()
    assert not IntakeAmendment.objects.exists()


def test_score_amendment_keeps_original_score(coordinator, recorded):
    question = questions_for(recorded)[0]

    amendment = services.baseline_scores_amend(
        intake=recorded,
        scores={question.pk: 8},
        reason="Eleven mente 8, ikke 4.",
        user=coordinator,
    )

    assert amendment.changes == [{"field": question.text, "before": "4", "after": "8"}]
    assert recorded.baseline.answers.get(question=question).score == 8


def test_placement_added_and_amended_after_finishing(coordinator, recorded):
    added = services.placement_amend(
        intake=recorded,
        placement=None,
        values={"name": "Lystrup Skole", "pupil_account": "Det var fint."},
        reason="Glemt ved samtalen.",
        user=coordinator,
    )
    placement = SchoolPlacement.objects.get(intake=recorded)

    changed = services.placement_amend(
        intake=recorded,
        placement=placement,
        values={"pupil_account": "Det var fint i starten."},
        reason="Eleven har uddybet.",
        user=coordinator,
    )

    assert added.changes[0] == {
        "field": "Skole eller tilbud",
        "before": "–",
        "after": "Lystrup Skole",
    }
    assert changed.changes == [
        {
            "field": "Som eleven fortæller det",
            "before": "Det var fint.",
            "after": "Det var fint i starten.",
        }
    ]


def test_draft_takes_no_amendment(client_for, coordinator, pupil, draft):
    response = client_for(coordinator).get(
        reverse("intake:intake_amend", args=[pupil.pk, "absence"])
    )

    assert response.status_code == 404


def test_unknown_section_not_found(client_for, coordinator, pupil, finished):
    response = client_for(coordinator).get(
        reverse("intake:intake_amend", args=[pupil.pk, "nonsense"])
    )

    assert response.status_code == 404
