"""Reads for the intake pages and the progression section, in fixed query counts."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Case, F, IntegerField, Max, Prefetch, Value, When, Window
from django.db.models.expressions import RowRange
from django.db.models.functions import LastValue

from intake import charts, progress
from intake.models import (
    Intake,
    IntakeAmendment,
    IntakeGoal,
    Measurement,
    QuestionSet,
    QuestionSetItem,
    ScaleAnswer,
    ScaledQuestion,
)
from schoolplan import sql_rows
from schoolplan.models import Pupil


def intake_for_pupil(pupil: Pupil) -> Intake | None:
    """Return the pupil's intake with everything the pages show, or None."""
    return (
        Intake.objects.filter(pupil=pupil)
        .select_related("baseline__question_set", "led_by", "created_by", "finished_by")
        .prefetch_related(
            "guardians_took_part",
            "placements",
            Prefetch("first_goals", queryset=IntakeGoal.objects.select_related("area")),
            Prefetch(
                "amendments", queryset=IntakeAmendment.objects.select_related("author")
            ),
        )
        .first()
    )


def questions_of(question_set: QuestionSet) -> list[ScaledQuestion]:
    items = QuestionSetItem.objects.filter(question_set=question_set)
    return [item.question for item in items.select_related("question")]


def scores_of(measurement: Measurement) -> dict[int, int]:
    return dict(
        ScaleAnswer.objects.filter(measurement=measurement).values_list(
            "question_id", "score"
        )
    )


@dataclass
class AnsweredQuestion:
    question: ScaledQuestion
    score: int | None


def answered_questions(measurement: Measurement) -> list[AnsweredQuestion]:
    """Return every question of the measurement's set with its score, in order."""
    scores = scores_of(measurement)
    return [
        AnsweredQuestion(question, scores.get(question.pk))
        for question in questions_of(measurement.question_set)
    ]


def follow_ups(pupil: Pupil) -> list[Measurement]:
    """Return the pupil's follow-ups, oldest first, with answers and questions."""
    # Answers are written in the order of the set, so pk order is question order.
    answers = ScaleAnswer.objects.select_related("question").order_by("pk")
    return list(
        Measurement.objects.filter(pupil=pupil, kind=Measurement.Kind.FOLLOW_UP)
        .select_related("created_by")
        .prefetch_related(Prefetch("answers", queryset=answers))
        .order_by("taken_on", "created_at", "pk")
    )


@dataclass
class QuestionProgress:
    """One question's answers over time, with the baseline and the latest follow-up."""

    question: ScaledQuestion
    baseline: int | None
    latest: int | None
    points: list[tuple[date, int, bool]] = field(default_factory=list)
    sparkline: charts.Sparkline | None = None

    @property
    def change(self) -> int | None:
        if self.baseline is None or self.latest is None:
            return None
        return self.latest - self.baseline

    @property
    def improved(self) -> bool | None:
        """True if the change goes the good way for this question, None if flat."""
        change = self.change
        if not change:
            return None
        return (change > 0) == self.question.higher_is_better


@dataclass
class Progression:
    pupil_id: int
    intake: Intake | None
    rows: list[QuestionProgress] = field(default_factory=list)
    follow_up_count: int = 0
    latest_follow_up: Measurement | None = None
    axis: list[charts.AxisTick] = field(default_factory=list)
    absence_before: Decimal | None = None
    absence_since: Decimal | None = None
    since: date | None = None
    until: date | None = None

    @property
    def is_ready(self) -> bool:
        return self.intake is not None and self.intake.is_finished


def _answers_over_time(pupil: Pupil, until: date):
    """Return the pupil's scored answers with baseline and latest per question.

    One query. The window runs per question in time order, the baseline
    before a follow-up of the same day, so the last row of a question is its
    latest follow-up if any follow-up answered it.
    """
    in_time_order = [
        F("measurement__taken_on").asc(),
        Case(
            When(measurement__kind=Measurement.Kind.BASELINE, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        F("measurement__created_at").asc(),
        F("pk").asc(),
    ]
    whole_partition = RowRange(start=None, end=None)
    return (
        ScaleAnswer.objects.filter(
            measurement__pupil=pupil,
            measurement__taken_on__lte=until,
        )
        .exclude(
            measurement__kind=Measurement.Kind.BASELINE,
            measurement__intake__status=Intake.Status.DRAFT,
        )
        .select_related("measurement", "question")
        .annotate(
            baseline_score=Window(
                Max(
                    Case(
                        When(
                            measurement__kind=Measurement.Kind.BASELINE,
                            then=F("score"),
                        )
                    )
                ),
                partition_by=[F("question_id")],
            ),
            last_score=Window(
                LastValue("score"),
                partition_by=[F("question_id")],
                order_by=in_time_order,
                frame=whole_partition,
            ),
            last_kind=Window(
                LastValue("measurement__kind"),
                partition_by=[F("question_id")],
                order_by=in_time_order,
                frame=whole_partition,
            ),
        )
        .order_by(*in_time_order)
    )


# The pupil's intake with its baseline, in one query. The plan page reads it
# whenever the absence figures change, and through the ORM the query took
# longer to compile than to run (cProfile of bench/absence_pages.py).
_INTAKE_SQL = """
SELECT {intake_columns}, {baseline_columns}
FROM {intake_table} intake
JOIN {measurement_table} baseline ON baseline.id = intake.baseline_id
WHERE intake.pupil_id = %s
"""


def _intake_with_baseline(pupil: Pupil) -> Intake | None:
    if connection.vendor != "postgresql":
        # The ORM's converters turn SQLite's text dates into dates.
        return Intake.objects.filter(pupil=pupil).select_related("baseline").first()

    sql = _INTAKE_SQL.format(
        intake_columns=sql_rows.columns(Intake, "intake"),
        baseline_columns=sql_rows.columns(Measurement, "baseline"),
        intake_table=Intake._meta.db_table,
        measurement_table=Measurement._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pupil.pk])
        row = cursor.fetchone()
    if row is None:
        return None

    intake, baseline = sql_rows.instances(row, (Intake, Measurement))
    intake.baseline = baseline
    return intake


def progression(pupil: Pupil, *, until: date) -> Progression:
    """Return the baseline, the follow-ups and the absence figures for the section.

    Two queries plus what the absence provider makes. Questions come in the
    order they were first asked; a reworded question is a question of its own.
    """
    intake = _intake_with_baseline(pupil)
    result = Progression(pupil_id=pupil.pk, intake=intake)
    if not result.is_ready:
        return result

    rows: dict[int, QuestionProgress] = {}
    follow_up_ids = []
    latest_follow_up = None
    for answer in _answers_over_time(pupil, until):
        measurement = answer.measurement
        is_baseline = measurement.kind == Measurement.Kind.BASELINE
        row = rows.get(answer.question_id)
        if row is None:
            latest = (
                answer.last_score
                if answer.last_kind == Measurement.Kind.FOLLOW_UP
                else None
            )
            row = rows[answer.question_id] = QuestionProgress(
                answer.question, answer.baseline_score, latest
            )
        row.points.append((measurement.taken_on, answer.score, is_baseline))
        if not is_baseline and measurement.pk not in follow_up_ids:
            follow_up_ids.append(measurement.pk)
            latest_follow_up = measurement

    start = intake.held_on
    days = [day for row in rows.values() for day, _score, _base in row.points]
    end = max(days + [start])
    for row in rows.values():
        row.sparkline = charts.sparkline(row.points, start=start, end=end)

    result.rows = list(rows.values())
    result.follow_up_count = len(follow_up_ids)
    result.latest_follow_up = latest_follow_up
    result.axis = charts.time_axis(days, start=start, end=end)
    result.absence_before = intake.last_school_absence_percent
    result.since = start
    result.until = until
    result.absence_since = progress.absence_percent(pupil, start, until)
    return result
