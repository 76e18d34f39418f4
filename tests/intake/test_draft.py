"""A draft intake: saved section by section, resumed later, locked when finished."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from intake import services
from intake.models import Intake, IntakeGoal, ScaleAnswer, SchoolPlacement
from schoolplan.models import AccessLogEntry, Area, Goal, Guardian
from schoolplan.services import StaleEditError
from tests.intake.conftest import HELD_ON, fill_minimum, questions_for

AUTOSAVE = {"HTTP_X_AUTOSAVE": "1"}


def _save_url(pupil, section):
    return reverse("intake:intake_section_save", args=[pupil.pk, section])


def _pupil_view_post(version, **fields):
    data = {"pupil_view-loaded_version": str(version)}
    for name, value in fields.items():
        data[f"pupil_view-{name}"] = value
    return data


def test_start_creates_draft_with_default_questions(client_for, coordinator, pupil):
    response = client_for(coordinator).post(
        reverse("intake:intake_start", args=[pupil.pk])
    )

    intake = Intake.objects.get(pupil=pupil)
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:intake_edit", args=[pupil.pk])
    assert intake.status == Intake.Status.DRAFT
    assert intake.baseline.question_set.school == pupil.school
    assert len(questions_for(intake)) == 7


def test_start_twice_keeps_one_intake(client_for, coordinator, pupil):
    client = client_for(coordinator)
    url = reverse("intake:intake_start", args=[pupil.pk])

    client.post(url)
    client.post(url)

    assert Intake.objects.filter(pupil=pupil).count() == 1


def test_section_post_saves_without_script(client_for, coordinator, pupil, draft):
    response = client_for(coordinator).post(
        _save_url(pupil, "pupil_view"),
        _pupil_view_post(0, what_is_hard="Bussen og larmen i garderoben."),
    )

    draft.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"].endswith("#pupil_view")
    assert draft.what_is_hard == "Bussen og larmen i garderoben."
    assert draft.section_version("pupil_view") == 1


def test_autosave_answers_json_with_new_version(client_for, coordinator, pupil, draft):
    response = client_for(coordinator).post(
        _save_url(pupil, "pupil_view"),
        _pupil_view_post(0, what_helps="En fast voksen ved døren."),
        **AUTOSAVE,
    )

    reply = response.json()
    assert response.status_code == 200
    assert reply["status"] == "saved"
    assert reply["version"] == 1
    assert reply["errors"] == []


def test_autosave_keeps_valid_fields_of_invalid_form(
    client_for, coordinator, pupil, draft
):
    data = {
        "absence-loaded_version": "0",
        "absence-last_school_absence_percent": "140",
        "absence-last_school_absence_reference": "Fraværsopgørelse af 20.06.2026",
    }

    response = client_for(coordinator).post(
        _save_url(pupil, "absence"), data, **AUTOSAVE
    )

    draft.refresh_from_db()
    reply = response.json()
    assert reply["status"] == "invalid"
    assert len(reply["errors"]) == 1
    assert draft.last_school_absence_reference == "Fraværsopgørelse af 20.06.2026"
    assert draft.last_school_absence_percent is None


def test_resume_shows_saved_text_after_new_login(client, coordinator, pupil, draft):
    client.force_login(coordinator)
    client.post(
        _save_url(pupil, "pupil_view"),
        _pupil_view_post(0, interests_strengths="Tegner manga og passer høns."),
        **AUTOSAVE,
    )
    client.logout()

    client.force_login(coordinator)
    response = client.get(reverse("intake:intake_edit", args=[pupil.pk]))

    assert response.status_code == 200
    assert "Tegner manga og passer høns." in response.content.decode()


def test_stale_autosave_conflicts(client_for, coordinator, leader, pupil, draft):
    services.intake_section_save(
        intake=draft,
        section="pupil_view",
        values={"what_is_hard": "Lederens tekst"},
        expected_version=0,
        user=leader,
    )

    response = client_for(coordinator).post(
        _save_url(pupil, "pupil_view"),
        _pupil_view_post(0, what_is_hard="Koordinatorens tekst"),
        **AUTOSAVE,
    )

    draft.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["status"] == "conflict"
    assert draft.what_is_hard == "Lederens tekst"


def test_stale_post_shows_both_versions(client_for, coordinator, leader, pupil, draft):
    services.intake_section_save(
        intake=draft,
        section="pupil_view",
        values={"what_is_hard": "Lederens tekst"},
        expected_version=0,
        user=leader,
    )

    response = client_for(coordinator).post(
        _save_url(pupil, "pupil_view"),
        _pupil_view_post(0, what_is_hard="Koordinatorens tekst"),
    )

    page = response.content.decode()
    assert response.status_code == 409
    assert "Lederens tekst" in page
    assert "Koordinatorens tekst" in page
    assert 'name="pupil_view-loaded_version" value="1"' in page


def test_other_sections_do_not_conflict(coordinator, leader, draft):
    services.intake_section_save(
        intake=draft,
        section="pupil_view",
        values={"what_is_hard": "Frikvartererne"},
        expected_version=0,
        user=leader,
    )

    saved = services.intake_section_save(
        intake=draft,
        section="family_view",
        values={"family_hopes": "At morgenerne bliver lettere."},
        expected_version=0,
        user=coordinator,
    )

    assert saved.what_is_hard == "Frikvartererne"
    assert saved.family_hopes == "At morgenerne bliver lettere."


def test_repeated_autosaves_log_one_change(client_for, coordinator, pupil, draft):
    client = client_for(coordinator)
    for version in range(3):
        client.post(
            _save_url(pupil, "pupil_view"),
            _pupil_view_post(version, what_is_hard=f"Udkast {version}"),
            **AUTOSAVE,
        )

    changes = AccessLogEntry.objects.filter(
        pupil=pupil,
        action=AccessLogEntry.Action.CHANGE,
        what__endswith="Elevens perspektiv",
    )
    assert changes.count() == 1


def test_scores_save_and_clear(coordinator, draft):
    first, second = questions_for(draft)[:2]

    saved = services.baseline_scores_save(
        intake=draft,
        scores={first.pk: 3, second.pk: 7},
        expected_version=0,
        user=coordinator,
    )
    services.baseline_scores_save(
        intake=saved, scores={second.pk: None}, expected_version=1, user=coordinator
    )

    answers = dict(
        ScaleAnswer.objects.filter(measurement=draft.baseline).values_list(
            "question_id", "score"
        )
    )
    assert answers == {first.pk: 3}


def test_placement_rows_added_saved_and_removed(client_for, coordinator, pupil, draft):
    client = client_for(coordinator)
    client.post(reverse("intake:placement_add", args=[pupil.pk]))
    placement = SchoolPlacement.objects.get(intake=draft)
    prefix = f"schoolplacement-{placement.pk}"

    client.post(
        reverse("intake:placement_save", args=[pupil.pk, placement.pk]),
        {
            f"{prefix}-loaded_version": "1",
            f"{prefix}-name": "Vestergårdsskolen",
            f"{prefix}-pupil_account": "Det blev svært i 3. klasse.",
            f"{prefix}-records_account": "Fravær steg fra efteråret.",
            f"{prefix}-records_source": "ppr",
        },
        **AUTOSAVE,
    )
    placement.refresh_from_db()
    assert placement.name == "Vestergårdsskolen"
    assert placement.records_source == "ppr"

    client.post(reverse("intake:placement_remove", args=[pupil.pk, placement.pk]))
    assert not SchoolPlacement.objects.filter(intake=draft).exists()


def test_finish_lists_what_is_missing(client_for, coordinator, pupil, draft):
    response = client_for(coordinator).post(
        reverse("intake:intake_finish", args=[pupil.pk])
    )

    draft.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 400
    assert draft.status == Intake.Status.DRAFT
    assert str(services.DATE_MISSING) in page
    assert str(services.PARTICIPANTS_MISSING) in page
    assert str(services.SCORES_MISSING) in page


def test_finish_locks_and_puts_goals_on_front_page(
    client_for, coordinator, pupil, draft
):
    fill_minimum(draft, coordinator)
    goal = services.goal_add(intake=draft, user=coordinator)
    services.goal_save(
        goal=goal,
        values={"title": "Møder fire dage om ugen", "area": Area.objects.first()},
        expected_version=1,
        user=coordinator,
    )
    services.goal_add(intake=draft, user=coordinator)
    client = client_for(coordinator)

    response = client.post(reverse("intake:intake_finish", args=[pupil.pk]))
    plan = client.get(reverse("schoolplan:plan", args=[pupil.pk]))

    draft.refresh_from_db()
    created = Goal.objects.get(pupil=pupil)
    assert response.status_code == 302
    assert draft.status == Intake.Status.FINISHED
    assert draft.finished_by == coordinator
    assert created.title == "Møder fire dage om ugen"
    assert created.start_date == HELD_ON
    assert IntakeGoal.objects.get(intake=draft).goal == created
    assert "Møder fire dage om ugen" in plan.content.decode()


def test_planned_date_blocks_finish(coordinator, draft):
    fill_minimum(draft, coordinator)
    planned = services.intake_section_save(
        intake=draft,
        section="meeting",
        values={"held_on": timezone.localdate() + timedelta(days=7)},
        expected_version=1,
        user=coordinator,
    )

    problems = services.finish_problems(planned)

    assert problems == [str(services.DATE_AHEAD)]


def test_incomplete_goal_blocks_finish(coordinator, draft):
    fill_minimum(draft, coordinator)
    goal = services.goal_add(intake=draft, user=coordinator)
    services.goal_save(
        goal=goal,
        values={"success_criteria": "Kommer kl. 8.30"},
        expected_version=1,
        user=coordinator,
    )

    with pytest.raises(services.FinishError) as error:
        services.intake_finish(intake=draft, user=coordinator)

    assert error.value.messages == [str(services.GOAL_INCOMPLETE % {"number": 1})]
    assert not Goal.objects.filter(pupil=draft.pupil).exists()


def test_finished_intake_refuses_section_save(coordinator, finished):
    with pytest.raises(services.ValidationError) as error:
        services.intake_section_save(
            intake=finished,
            section="pupil_view",
            values={"what_is_hard": "Efter låsning"},
            expected_version=0,
            user=coordinator,
        )

    assert error.value.messages == [str(services.INTAKE_LOCKED)]


def test_finished_intake_autosave_answers_locked(
    client_for, coordinator, pupil, finished
):
    response = client_for(coordinator).post(
        _save_url(pupil, "pupil_view"),
        _pupil_view_post(0, what_is_hard="Efter låsning"),
        **AUTOSAVE,
    )

    finished.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["status"] == "locked"
    assert finished.what_is_hard == ""


def test_edit_page_of_finished_intake_goes_to_reading(
    client_for, coordinator, pupil, finished
):
    response = client_for(coordinator).get(
        reverse("intake:intake_edit", args=[pupil.pk])
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("intake:intake_detail", args=[pupil.pk])


def test_stale_service_save_raises(coordinator, draft):
    services.intake_section_save(
        intake=draft,
        section="meeting",
        values={"held_on": HELD_ON},
        expected_version=0,
        user=coordinator,
    )

    with pytest.raises(StaleEditError):
        services.intake_section_save(
            intake=draft,
            section="meeting",
            values={"held_on": HELD_ON},
            expected_version=0,
            user=coordinator,
        )


def test_guardian_of_other_pupil_rejected(coordinator, draft, other_pupil):
    stranger = Guardian.objects.create(
        pupil=other_pupil, name="Fremmed", relation="mor"
    )

    with pytest.raises(services.ValidationError):
        services.intake_section_save(
            intake=draft,
            section="meeting",
            values={"guardians_took_part": [stranger]},
            expected_version=0,
            user=coordinator,
        )
