"""The plan section that sets the baseline against the follow-ups."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from absence.models import SchoolYear, Status
from absence.progress import absence_percent_between
from intake import progress, selectors, services
from intake.models import Intake
from intake.plan_sections import _progression
from schoolplan import documents
from schoolplan.sections import Audience, Period, sections_for
from tests.absence.helpers import register_many
from tests.intake.conftest import HELD_ON, fill_minimum, questions_for
from tests.pdf_reading import full_text

UNTIL = date(2027, 6, 30)
PERIOD = Period(date(2026, 8, 1), UNTIL)


def _follow_up(intake, user, days_after, score, note=""):
    return services.follow_up_create(
        pupil=intake.pupil,
        user=user,
        taken_on=HELD_ON + timedelta(days=days_after),
        note=note,
        scores={question.pk: score for question in questions_for(intake)},
        question_set=intake.baseline.question_set,
    )


def _render(pupil, *, for_pdf=True):
    context = {"section": _progression(pupil, PERIOD, Audience.INTERNAL)}
    return render_to_string(
        "intake/sections/progression.html", context | {"for_pdf": for_pdf}
    )


@pytest.fixture(autouse=True)
def no_provider():
    """Run without the absence app's provider, and put it back afterwards."""
    registered = progress._provider
    progress.register_attendance_provider(None)
    yield
    progress.register_attendance_provider(registered)


def test_no_intake_says_so(pupil):
    html = _render(pupil)

    assert "Der er ikke holdt en opstartssamtale endnu." in html


def test_draft_has_no_baseline(draft):
    progression = selectors.progression(draft.pupil, until=UNTIL)

    assert not progression.is_ready
    assert "ikke afsluttet" in _render(draft.pupil)


def test_no_follow_up_shows_baseline(finished):
    progression = selectors.progression(finished.pupil, until=UNTIL)
    html = _render(finished.pupil)

    assert progression.follow_up_count == 0
    assert [row.baseline for row in progression.rows] == [4] * 7
    assert [row.latest for row in progression.rows] == [None] * 7
    assert all(len(row.sparkline.points) == 1 for row in progression.rows)
    assert "Ingen opfølgninger endnu" in html
    assert "<polyline" not in html


def test_one_follow_up_compares_with_baseline(finished, coordinator):
    _follow_up(finished, coordinator, 40, 6, note="Morgenerne går bedre.")

    progression = selectors.progression(finished.pupil, until=UNTIL)
    html = _render(finished.pupil)

    first = progression.rows[0]
    assert progression.follow_up_count == 1
    assert (first.baseline, first.latest, first.change) == (4, 6, 2)
    assert len(first.sparkline.points) == 2
    assert html.count("<polyline") == 7
    assert "Morgenerne går bedre." in html


def test_many_follow_ups_use_latest(finished, coordinator):
    for days, score in [(30, 5), (60, 3), (90, 7), (120, 6)]:
        _follow_up(finished, coordinator, days, score)

    progression = selectors.progression(finished.pupil, until=UNTIL)

    first = progression.rows[0]
    assert progression.follow_up_count == 4
    assert progression.latest_follow_up.taken_on == HELD_ON + timedelta(days=120)
    assert (first.baseline, first.latest) == (4, 6)
    assert [point.score for point in first.sparkline.points] == [4, 5, 3, 7, 6]
    assert [point.is_baseline for point in first.sparkline.points] == [
        True,
        False,
        False,
        False,
        False,
    ]


def test_follow_ups_after_period_left_out(finished, coordinator):
    _follow_up(finished, coordinator, 30, 5)
    _follow_up(finished, coordinator, 400, 9)

    progression = selectors.progression(finished.pupil, until=HELD_ON + timedelta(60))

    assert progression.follow_up_count == 1
    assert progression.rows[0].latest == 5


def test_worry_falling_counts_as_better(finished, coordinator):
    _follow_up(finished, coordinator, 40, 2)

    rows = selectors.progression(finished.pupil, until=UNTIL).rows

    worry = next(row for row in rows if not row.question.higher_is_better)
    feeling = rows[0]
    assert worry.change == -2
    assert worry.improved is True
    assert feeling.improved is False


def test_query_count_independent_of_follow_ups(finished, coordinator, other_pupil):
    other = services.intake_start(pupil=other_pupil, user=coordinator)
    fill_minimum(other, coordinator)
    services.intake_finish(intake=other, user=coordinator)
    _follow_up(finished, coordinator, 30, 5)
    for days in range(10, 200, 10):
        _follow_up(other, coordinator, days, days % 11)

    with CaptureQueriesContext(connection) as few:
        selectors.progression(finished.pupil, until=UNTIL)
    with CaptureQueriesContext(connection) as many:
        selectors.progression(other_pupil, until=UNTIL)

    assert len(few) == len(many) == 2


def test_absence_since_without_provider_is_dash(finished):
    finished.last_school_absence_percent = Decimal("71.5")
    finished.save()

    progression = selectors.progression(finished.pupil, until=UNTIL)
    html = _render(finished.pupil)

    assert progression.absence_before == Decimal("71.5")
    assert progression.absence_since is None
    assert "71,5 %" in html


def test_absence_since_from_provider(finished):
    calls = []

    def provider(pupil, start, end):
        calls.append((pupil.pk, start, end))
        return 58.25

    progress.register_attendance_provider(provider)
    progression = selectors.progression(finished.pupil, until=UNTIL)

    assert calls == [(finished.pupil.pk, HELD_ON, UNTIL)]
    assert progression.absence_since == Decimal("58.25")
    assert "58,2 %" in _render(finished.pupil) or "58,3 %" in _render(finished.pupil)


def test_section_goes_to_outside_audiences_not_parents():
    keys = {
        audience: [section.key for section in sections_for(audience)]
        for audience in Audience.values
    }

    assert "progression" in keys[Audience.INTERNAL]
    assert "progression" in keys[Audience.MUNICIPALITY]
    assert "progression" in keys[Audience.CASEWORKER]
    assert "progression" not in keys[Audience.PARENTS]


def test_pdf_rendering_has_no_links(finished, coordinator):
    _follow_up(finished, coordinator, 40, 6)

    pdf_html = _render(finished.pupil, for_pdf=True)
    page_html = _render(finished.pupil, for_pdf=False)

    assert "<a " not in pdf_html
    assert "<script" not in pdf_html
    assert "<a " in page_html


def test_pdf_wraps_long_question_and_note(finished, coordinator, leader):
    # More than 250 letters without a space: far wider than the question column.
    question_text = "Spørgsmål" + "abcdefghij" * 25 + "Slut"
    note = "Note" + "klmnopqrst" * 30 + "Slut"
    question = questions_for(finished)[0]
    question.text = question_text
    question.save(update_fields=["text"])
    _follow_up(finished, coordinator, 40, 6, note=note)

    pdf = documents.render_plan_pdf(
        finished.pupil, PERIOD, Audience.INTERNAL, made_by=leader
    )

    # pypdf reads back glyphs drawn past the margin as well, so a word cut off
    # at the margin still reads whole, but on one line.
    text = full_text(pdf)
    joined = re.sub(r"\s+", "", text)
    assert question_text not in text, "the question ran past the margin"
    assert question_text in joined
    assert note not in text, "the note ran past the margin"
    assert note in joined


def test_plan_page_shows_section(client_for, teacher, finished, coordinator):
    _follow_up(finished, coordinator, 40, 6)

    response = client_for(teacher).get(
        reverse("schoolplan:plan", args=[finished.pupil_id])
    )

    page = response.content.decode()
    assert 'id="section-progression"' in page
    assert "Opstart og progression" in page
    assert page.count('class="sparkline"') == 7


def _progression_html(client, pupil) -> str:
    page = client.get(reverse("schoolplan:plan", args=[pupil.pk])).content.decode()
    return page.split('id="section-progression"')[1].split("</article>")[0]


def test_cached_progression_follows_registrations(client_for, coordinator, finished):
    """The section is cached under the absence version too, not only the intake's."""
    progress.register_attendance_provider(absence_percent_between)
    pupil = finished.pupil
    SchoolYear.objects.create(
        school=pupil.school, first_day=date(2026, 8, 10), last_day=date(2027, 6, 25)
    )
    client = client_for(coordinator)
    before = _progression_html(client, pupil)

    register_many(
        pupil, [date(2026, 11, 2), date(2026, 11, 3)], Status.UNLAWFUL, by=coordinator
    )

    served = _progression_html(client, pupil)
    cache.clear()
    fresh = _progression_html(client, pupil)
    assert served == fresh
    assert served != before


def test_intake_read_in_sql_matches_the_orm(finished):
    """The progression's intake, read in SQL, has every field the ORM reads."""
    expected = Intake.objects.select_related("baseline").get(pk=finished.pk)

    found = selectors._intake_with_baseline(finished.pupil)

    fields = [field.attname for field in Intake._meta.concrete_fields]
    assert [getattr(found, name) for name in fields] == [
        getattr(expected, name) for name in fields
    ]
    assert found.baseline == expected.baseline
    assert found.baseline.taken_on == expected.baseline.taken_on
    assert found.section_versions == expected.section_versions
