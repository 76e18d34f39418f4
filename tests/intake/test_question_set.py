"""The school's question set is versioned; old answers keep their question text."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from intake import selectors, services
from intake.models import QuestionSet, ScaleAnswer
from intake.plan_sections import _progression
from schoolplan.sections import Audience, Period
from schoolplan.services import StaleEditError
from tests.intake.conftest import HELD_ON, questions_for

PERIOD = Period(date(2026, 8, 1), date(2027, 7, 31))


def _specs(questions):
    return [
        services.QuestionSpec(
            text=question.text,
            low_label=question.low_label,
            high_label=question.high_label,
            higher_is_better=question.higher_is_better,
            previous_id=question.pk,
        )
        for question in questions
    ]


def _reworded_first(school, user, version):
    questions = selectors.questions_of(services.current_question_set(school))
    specs = _specs(questions)
    specs[0] = services.QuestionSpec(
        text="Hvordan trives du i skolen lige nu?",
        low_label="Meget dårligt",
        high_label="Meget godt",
        previous_id=questions[0].pk,
    )
    return services.question_set_revise(
        school=school, user=user, questions=specs, expected_version=version
    )


def _section_html(pupil):
    from django.template.loader import render_to_string

    context = {"section": _progression(pupil, PERIOD, Audience.INTERNAL)}
    return render_to_string(
        "intake/sections/progression.html", context | {"for_pdf": True}
    )


def test_school_starts_from_default_set(school):
    question_set = services.current_question_set(school)
    default = QuestionSet.objects.get(school=None)

    assert question_set.version == 1
    assert selectors.questions_of(question_set) == selectors.questions_of(default)


def test_unchanged_save_makes_no_version(school, coordinator):
    questions = selectors.questions_of(services.current_question_set(school))

    saved = services.question_set_revise(
        school=school, user=coordinator, questions=_specs(questions), expected_version=1
    )

    assert saved.version == 1
    assert QuestionSet.objects.filter(school=school).count() == 1


def test_rewording_makes_new_question_in_new_version(school, coordinator):
    old = selectors.questions_of(services.current_question_set(school))

    saved = _reworded_first(school, coordinator, 1)

    new = selectors.questions_of(saved)
    assert saved.version == 2
    assert new[0].pk != old[0].pk
    assert new[0].text == "Hvordan trives du i skolen lige nu?"
    assert [question.pk for question in new[1:]] == [
        question.pk for question in old[1:]
    ]


def test_changed_set_leaves_answers_and_chart_unchanged(finished, coordinator):
    services.follow_up_create(
        pupil=finished.pupil,
        user=coordinator,
        taken_on=HELD_ON + timedelta(days=40),
        note="",
        scores={question.pk: 6 for question in questions_for(finished)},
        question_set=finished.baseline.question_set,
    )
    answer_texts = list(
        ScaleAnswer.objects.order_by("pk").values_list("question__text", "score")
    )
    chart_before = _section_html(finished.pupil)

    _reworded_first(finished.pupil.school, coordinator, 1)

    assert (
        list(ScaleAnswer.objects.order_by("pk").values_list("question__text", "score"))
        == answer_texts
    )
    assert _section_html(finished.pupil) == chart_before
    assert "Hvordan har du det med at være i skole?" in chart_before


def test_follow_up_after_change_starts_new_line(finished, coordinator):
    new_set = _reworded_first(finished.pupil.school, coordinator, 1)

    services.follow_up_create(
        pupil=finished.pupil,
        user=coordinator,
        taken_on=HELD_ON + timedelta(days=40),
        note="",
        scores={question.pk: 6 for question in selectors.questions_of(new_set)},
        question_set=new_set,
    )
    rows = selectors.progression(finished.pupil, until=PERIOD.end).rows

    texts = [row.question.text for row in rows]
    old_row = rows[texts.index("Hvordan har du det med at være i skole?")]
    new_row = rows[texts.index("Hvordan trives du i skolen lige nu?")]
    assert (old_row.baseline, old_row.latest) == (4, None)
    assert (new_row.baseline, new_row.latest) == (None, 6)
    assert (rows[1].baseline, rows[1].latest) == (4, 6)


def test_stale_question_set_save_conflicts(school, coordinator, leader):
    _reworded_first(school, leader, 1)

    with pytest.raises(StaleEditError) as error:
        _reworded_first(school, coordinator, 1)

    assert error.value.current.version == 2


def test_empty_question_set_rejected(school, coordinator):
    with pytest.raises(services.ValidationError):
        services.question_set_revise(
            school=school, user=coordinator, questions=[], expected_version=1
        )


def _formset_data(questions, version, **changes):
    data = {
        "questions-TOTAL_FORMS": str(len(questions)),
        "questions-INITIAL_FORMS": str(len(questions)),
        "loaded_version": str(version),
    }
    for index, question in enumerate(questions):
        data |= {
            f"questions-{index}-text": question.text,
            f"questions-{index}-low_label": question.low_label,
            f"questions-{index}-high_label": question.high_label,
            f"questions-{index}-previous_id": str(question.pk),
            f"questions-{index}-ORDER": str(index + 1),
        }
        if question.higher_is_better:
            data[f"questions-{index}-higher_is_better"] = "on"
    return data | changes


def test_page_saves_reordered_set(client_for, coordinator, school):
    questions = selectors.questions_of(services.current_question_set(school))
    data = _formset_data(questions, 1, **{"questions-0-ORDER": "99"})

    response = client_for(coordinator).post(reverse("intake:question_set_edit"), data)

    saved = services.current_question_set(school)
    assert response.status_code == 302
    assert saved.version == 2
    assert selectors.questions_of(saved)[-1] == questions[0]


def test_page_removes_question(client_for, coordinator, school):
    questions = selectors.questions_of(services.current_question_set(school))
    data = _formset_data(questions, 1, **{"questions-6-DELETE": "on"})

    client_for(coordinator).post(reverse("intake:question_set_edit"), data)

    saved = selectors.questions_of(services.current_question_set(school))
    assert saved == questions[:6]


def test_page_conflict_keeps_typed_text(client_for, coordinator, leader, school):
    questions = selectors.questions_of(services.current_question_set(school))
    _reworded_first(school, leader, 1)
    data = _formset_data(questions, 1, **{"questions-2-text": "Mit nye spørgsmål"})

    response = client_for(coordinator).post(reverse("intake:question_set_edit"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Mit nye spørgsmål" in page
    assert services.current_question_set(school).version == 2
