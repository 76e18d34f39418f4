"""Writes to the intake interview, the follow-ups and the question sets.

A draft intake is saved one section at a time. Each section carries its own
version counter, so a stale page cannot overwrite a newer save; this is the
lost-update rule of `schoolplan.services.save_versioned`. Finishing locks the
intake and puts its first goals on the plan's front page; after that, every
change goes through an amendment that records the values before and after.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake import interview
from intake.models import (
    Intake,
    IntakeAmendment,
    IntakeGoal,
    Measurement,
    QuestionSet,
    QuestionSetItem,
    ScaleAnswer,
    ScaledQuestion,
    SchoolPlacement,
)
from schoolplan import services as plan_services
from schoolplan.audit import record_access
from schoolplan.models import AccessLogEntry, Goal, Pupil, School
from schoolplan.services import StaleEditError

INTAKE_LOCKED = _(
    "The intake interview is finished and locked. Record changes as amendments."
)
INTAKE_NOT_FINISHED = _("Only a finished intake interview takes amendments.")
NOTHING_CHANGED = _("Nothing was changed, so there is nothing to amend.")
REASON_MISSING = _("Write why the finished interview is changed.")
DATE_MISSING = _("Fill in the date of the interview.")
DATE_AHEAD = _("The interview is dated after today. Finish it once it has been held.")
LEADER_MISSING = _("Fill in who led the interview.")
PARTICIPANTS_MISSING = _("Tick who took part in the interview.")
SCORES_MISSING = _("Answer at least one scaled question.")
GOAL_INCOMPLETE = _("Goal %(number)s needs a goal and an area, or remove it.")
GUARDIAN_OF_OTHER_PUPIL = _("The parent belongs to another pupil.")
QUESTION_NOT_IN_SET = _("The question is not part of the question set in use.")
FOLLOW_UP_NEEDS_INTAKE = _(
    "Finish the intake interview first; follow-ups are compared with its baseline."
)
FOLLOW_UP_EMPTY = _("Answer at least one scaled question.")
QUESTION_SET_EMPTY = _("Keep at least one question in the set.")

# Autosave may save a section many times a minute, so the access log gets one
# row per user, pupil and section in this window instead of one row per save.
AUDIT_COALESCE_WINDOW = timedelta(minutes=10)


class FinishError(ValidationError):
    """The intake cannot be finished yet; `messages` lists what is missing."""


def _section_changed(intake: Intake, section: str) -> str:
    """Describe a saved section of an interview for the access log."""
    return _("intake interview %(id)s, %(section)s") % {
        "id": intake.pk,
        "section": interview.SECTION_TITLES.get(section, section),
    }


def _record_change(user, pupil: Pupil, what: str) -> None:
    recent = AccessLogEntry.objects.filter(
        user=user,
        pupil=pupil,
        action=AccessLogEntry.Action.CHANGE,
        what=what,
        at__gte=timezone.now() - AUDIT_COALESCE_WINDOW,
    )
    if not recent.exists():
        record_access(user, AccessLogEntry.Action.CHANGE, pupil=pupil, what=what)


# Question sets ---------------------------------------------------------------


def current_question_set(school: School) -> QuestionSet:
    """Return the school's newest question set, starting it from the default.

    A school's first set contains the questions of the built-in default set (made
    by a data migration); without one the school starts with an empty set.
    """
    latest = QuestionSet.objects.filter(school=school).order_by("-version").first()
    if latest is not None:
        return latest

    with transaction.atomic():
        School.objects.select_for_update().get(pk=school.pk)
        latest = QuestionSet.objects.filter(school=school).order_by("-version").first()
        if latest is not None:
            return latest

        first = QuestionSet.objects.create(school=school, version=1)
        default = QuestionSet.objects.filter(school=None).order_by("-version").first()
        if default is not None:
            QuestionSetItem.objects.bulk_create(
                QuestionSetItem(
                    question_set=first, question_id=item.question_id, position=index
                )
                for index, item in enumerate(default.items.order_by("position"))
            )
        return first


@dataclass(frozen=True)
class QuestionSpec:
    """A question as the editor left it; `text` etc. are compared with the old row."""

    text: str
    low_label: str
    high_label: str
    higher_is_better: bool = True
    previous_id: int | None = None


def _same_wording(question: ScaledQuestion, spec: QuestionSpec) -> bool:
    return (
        question.text == spec.text
        and question.low_label == spec.low_label
        and question.high_label == spec.high_label
        and question.higher_is_better == spec.higher_is_better
    )


@transaction.atomic
def question_set_revise(
    *,
    school: School,
    user,
    questions: Iterable[QuestionSpec],
    expected_version: int,
) -> QuestionSet:
    """Save a new version of the school's questions, or return the current one.

    A question whose wording is unchanged keeps its row, so its answers go on
    forming one line in the progression chart. A changed wording becomes a new
    question: answers already given keep the text they answered.
    Raises StaleEditError if someone saved a newer version meanwhile.
    """
    specs = [
        replace(
            spec,
            text=spec.text.strip(),
            low_label=spec.low_label.strip(),
            high_label=spec.high_label.strip(),
        )
        for spec in questions
        if spec.text.strip()
    ]
    if not specs:
        raise ValidationError(QUESTION_SET_EMPTY)

    current = current_question_set(school)
    current = QuestionSet.objects.select_for_update().get(pk=current.pk)
    if current.version != expected_version:
        raise StaleEditError(current)

    current_questions = {
        item.question_id: item.question
        for item in current.items.select_related("question")
    }
    chosen = []
    for spec in specs:
        candidates = [current_questions.get(spec.previous_id)]
        candidates += list(current_questions.values())
        unchanged = next(
            (q for q in candidates if q is not None and _same_wording(q, spec)), None
        )
        if unchanged is not None and unchanged not in chosen:
            chosen.append(unchanged)
            continue
        question = ScaledQuestion(
            text=spec.text,
            low_label=spec.low_label,
            high_label=spec.high_label,
            higher_is_better=spec.higher_is_better,
        )
        question.full_clean()
        question.save()
        chosen.append(question)

    old_order = [item.question_id for item in current.items.order_by("position", "pk")]
    if [question.pk for question in chosen] == old_order:
        return current

    new_set = QuestionSet.objects.create(
        school=school, version=current.version + 1, created_by=user
    )
    QuestionSetItem.objects.bulk_create(
        QuestionSetItem(question_set=new_set, question=question, position=index)
        for index, question in enumerate(chosen)
    )
    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        what=_("question set version %(version)s") % {"version": new_set.version},
    )
    return new_set


# Drafting the intake ---------------------------------------------------------


def intake_start(*, pupil: Pupil, user) -> Intake:
    """Start a draft intake for the pupil, or return the one that exists."""
    existing = Intake.objects.filter(pupil=pupil).first()
    if existing is not None:
        return existing

    try:
        with transaction.atomic():
            baseline = Measurement.objects.create(
                pupil=pupil,
                kind=Measurement.Kind.BASELINE,
                question_set=current_question_set(pupil.school),
                created_by=user,
            )
            intake = Intake.objects.create(
                pupil=pupil,
                baseline=baseline,
                created_by=user,
                updated_by=user,
                led_by=user,
            )
    except IntegrityError:
        # Two clicks on "start" at once: the other request made the intake.
        return Intake.objects.get(pupil=pupil)

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=pupil,
        what=_("intake interview started"),
    )
    return intake


def _lock_draft(intake: Intake, section: str, expected_version: int) -> Intake:
    locked = Intake.objects.select_for_update().get(pk=intake.pk)
    if locked.is_finished:
        raise ValidationError(INTAKE_LOCKED)
    if locked.section_version(section) != expected_version:
        raise StaleEditError(locked)
    return locked


def _apply_fields(intake: Intake, values: Mapping) -> dict:
    """Set plain fields on the intake; return the many-to-many values to set."""
    many = {}
    for name, value in values.items():
        field = Intake._meta.get_field(name)
        if field.many_to_many:
            many[name] = list(value)
        else:
            setattr(intake, name, value)

    for guardian in many.get("guardians_took_part", []):
        if guardian.pupil_id != intake.pupil_id:
            raise ValidationError({"guardians_took_part": GUARDIAN_OF_OTHER_PUPIL})

    untouched = [f.name for f in Intake._meta.fields if f.name not in values]
    intake.clean_fields(exclude=untouched)
    return many


def _save_fields(intake: Intake, values: Mapping, many: dict) -> None:
    intake.save()
    for name, items in many.items():
        getattr(intake, name).set(items)
    if "held_on" in values:
        Measurement.objects.filter(pk=intake.baseline_id).update(
            taken_on=values["held_on"]
        )


def _check_section_values(section: str, values: Mapping) -> None:
    allowed = set(interview.FIELD_SECTIONS[section].fields)
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"fields {sorted(unknown)} are not in section {section!r}")


@transaction.atomic
def intake_section_save(
    *, intake: Intake, section: str, values: Mapping, expected_version: int, user
) -> Intake:
    """Save some fields of one section of a draft; return the intake as saved.

    `values` may hold only part of the section's fields (autosave sends the
    fields that are valid so far). Raises StaleEditError if the section was
    saved by someone else since `expected_version` was loaded.
    """
    _check_section_values(section, values)
    locked = _lock_draft(intake, section, expected_version)

    many = _apply_fields(locked, values)
    locked.section_versions[section] = expected_version + 1
    locked.updated_by = user
    _save_fields(locked, values, many)

    _record_change(user, locked.pupil, _section_changed(locked, section))
    return locked


def _question_ids(measurement: Measurement) -> set[int]:
    return set(
        QuestionSetItem.objects.filter(
            question_set_id=measurement.question_set_id
        ).values_list("question_id", flat=True)
    )


def _current_scores(measurement: Measurement) -> dict[int, int]:
    return dict(
        ScaleAnswer.objects.filter(measurement=measurement).values_list(
            "question_id", "score"
        )
    )


def _write_scores(measurement: Measurement, scores: Mapping[int, int | None]) -> None:
    allowed = _question_ids(measurement)
    if set(scores) - allowed:
        raise ValidationError(QUESTION_NOT_IN_SET)

    for question_id, score in scores.items():
        if score is None:
            ScaleAnswer.objects.filter(
                measurement=measurement, question_id=question_id
            ).delete()
            continue
        answer, _created = ScaleAnswer.objects.get_or_create(
            measurement=measurement, question_id=question_id, defaults={"score": score}
        )
        if answer.score != score:
            answer.score = score
            answer.full_clean()
            answer.save()


@transaction.atomic
def baseline_scores_save(
    *, intake: Intake, scores: Mapping[int, int | None], expected_version: int, user
) -> Intake:
    """Save the draft's scaled answers by question id; None removes an answer."""
    locked = _lock_draft(intake, interview.SCALES, expected_version)

    _write_scores(locked.baseline, scores)
    locked.section_versions[interview.SCALES] = expected_version + 1
    locked.updated_by = user
    locked.save(update_fields=["section_versions", "updated_by", "updated_at"])

    _record_change(user, locked.pupil, _section_changed(locked, interview.SCALES))
    return locked


def _lock_intake_of(row: SchoolPlacement | IntakeGoal) -> Intake:
    intake = Intake.objects.select_for_update().get(pk=row.intake_id)
    if intake.is_finished:
        raise ValidationError(INTAKE_LOCKED)
    return intake


def _next_position(rows) -> int:
    return (rows.aggregate(last=Max("position"))["last"] or 0) + 1


@transaction.atomic
def placement_add(*, intake: Intake, user) -> SchoolPlacement:
    """Add an empty earlier school to a draft, for the editor to fill in."""
    locked = Intake.objects.select_for_update().get(pk=intake.pk)
    if locked.is_finished:
        raise ValidationError(INTAKE_LOCKED)

    placement = SchoolPlacement.objects.create(
        intake=locked,
        position=_next_position(locked.placements),
        updated_by=user,
    )
    _record_change(user, locked.pupil, _section_changed(locked, interview.PLACEMENTS))
    return placement


def _save_row(row, values: Mapping, *, expected_version: int, user, section: str):
    intake = _lock_intake_of(row)
    for name, value in values.items():
        setattr(row, name, value)
    plan_services.save_versioned(row, expected_version=expected_version, user=user)
    _record_change(user, intake.pupil, _section_changed(intake, section))
    return row


@transaction.atomic
def placement_save(
    *, placement: SchoolPlacement, values: Mapping, expected_version: int, user
) -> SchoolPlacement:
    unknown = set(values) - set(interview.PLACEMENT_FIELDS)
    if unknown:
        raise ValueError(f"fields {sorted(unknown)} are not placement fields")
    return _save_row(
        placement,
        values,
        expected_version=expected_version,
        user=user,
        section=interview.PLACEMENTS,
    )


@transaction.atomic
def placement_remove(*, placement: SchoolPlacement, user) -> None:
    intake = _lock_intake_of(placement)
    placement.delete()
    _record_change(user, intake.pupil, _section_changed(intake, interview.PLACEMENTS))


@transaction.atomic
def goal_add(*, intake: Intake, user) -> IntakeGoal:
    """Add an empty first goal to a draft."""
    locked = Intake.objects.select_for_update().get(pk=intake.pk)
    if locked.is_finished:
        raise ValidationError(INTAKE_LOCKED)

    goal = IntakeGoal.objects.create(
        intake=locked,
        position=_next_position(locked.first_goals),
        updated_by=user,
    )
    _record_change(user, locked.pupil, _section_changed(locked, interview.GOALS))
    return goal


@transaction.atomic
def goal_save(
    *, goal: IntakeGoal, values: Mapping, expected_version: int, user
) -> IntakeGoal:
    unknown = set(values) - set(interview.GOAL_FIELDS)
    if unknown:
        raise ValueError(f"fields {sorted(unknown)} are not goal fields")
    return _save_row(
        goal,
        values,
        expected_version=expected_version,
        user=user,
        section=interview.GOALS,
    )


@transaction.atomic
def goal_remove(*, goal: IntakeGoal, user) -> None:
    intake = _lock_intake_of(goal)
    goal.delete()
    _record_change(user, intake.pupil, _section_changed(intake, interview.GOALS))


# Finishing -------------------------------------------------------------------


def finish_problems(intake: Intake) -> list[str]:
    """Return what must be filled in before the intake can be finished."""
    problems = []
    if intake.held_on is None:
        problems.append(str(DATE_MISSING))
    elif intake.held_on > timezone.localdate():
        problems.append(str(DATE_AHEAD))
    if intake.led_by_id is None:
        problems.append(str(LEADER_MISSING))
    if not (
        intake.pupil_took_part
        or intake.caseworker_took_part
        or intake.other_participants.strip()
        or intake.guardians_took_part.exists()
    ):
        problems.append(str(PARTICIPANTS_MISSING))
    if not ScaleAnswer.objects.filter(measurement_id=intake.baseline_id).exists():
        problems.append(str(SCORES_MISSING))

    numbered = [goal for goal in intake.first_goals.all() if not goal.is_blank]
    for number, goal in enumerate(numbered, start=1):
        if not goal.title.strip() or goal.area_id is None:
            problems.append(str(GOAL_INCOMPLETE % {"number": number}))

    return problems


@transaction.atomic
def intake_finish(*, intake: Intake, user) -> list[Goal]:
    """Lock the intake and put its first goals on the front page as goals.

    Empty schools and goals rows are dropped. Raises FinishError listing what
    is missing; nothing is saved then.
    """
    locked = Intake.objects.select_for_update().get(pk=intake.pk)
    if locked.is_finished:
        raise ValidationError(INTAKE_LOCKED)
    problems = finish_problems(locked)
    if problems:
        raise FinishError(problems)

    for placement in locked.placements.all():
        if placement.is_blank:
            placement.delete()

    goals = []
    for first_goal in locked.first_goals.select_related("area"):
        if first_goal.is_blank:
            first_goal.delete()
            continue
        goal = Goal(
            pupil=locked.pupil,
            area=first_goal.area,
            title=first_goal.title.strip(),
            success_criteria=first_goal.success_criteria,
            actions=first_goal.actions,
            responsible=first_goal.responsible,
            start_date=locked.held_on,
            review_date=first_goal.review_date,
        )
        plan_services.versioned_create(goal, user=user)
        first_goal.goal = goal
        first_goal.save(update_fields=["goal"])
        goals.append(goal)

    locked.status = Intake.Status.FINISHED
    locked.finished_at = timezone.now()
    locked.finished_by = user
    locked.updated_by = user
    locked.save()
    Measurement.objects.filter(pk=locked.baseline_id).update(taken_on=locked.held_on)

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=locked.pupil,
        what=_("intake interview finished"),
    )
    return goals


# Amending a finished intake --------------------------------------------------


def _change(label: str, before: str, after: str) -> dict:
    return {"field": label, "before": before, "after": after}


def _field_changes(instance, values: Mapping) -> list[dict]:
    changes = []
    for name, new in values.items():
        field = instance._meta.get_field(name)
        if field.many_to_many:
            old_items = list(getattr(instance, name).all())
            if {item.pk for item in old_items} == {item.pk for item in new}:
                continue
            before = interview.format_value(field, old_items)
            after = interview.format_value(field, list(new))
        else:
            old = getattr(instance, name)
            if old == new or (old in (None, "") and new in (None, "")):
                continue
            before = interview.format_value(field, old)
            after = interview.format_value(field, new)
        label = interview.field_label(type(instance), name)
        changes.append(_change(label, before, after))
    return changes


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": REASON_MISSING})
    return reason


def _lock_finished(intake: Intake) -> Intake:
    locked = Intake.objects.select_for_update().get(pk=intake.pk)
    if not locked.is_finished:
        raise ValidationError(INTAKE_NOT_FINISHED)
    return locked


def _amendment(intake, *, section, subject, reason, changes, user) -> IntakeAmendment:
    amendment = IntakeAmendment.objects.create(
        intake=intake,
        section=section,
        subject=str(subject)[:300],
        reason=reason,
        changes=changes,
        author=user,
    )
    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=intake.pupil,
        what=_("intake interview %(id)s amended: %(section)s")
        % {
            "id": intake.pk,
            "section": interview.SECTION_TITLES.get(section, section),
        },
    )
    return amendment


@transaction.atomic
def intake_amend(
    *, intake: Intake, section: str, values: Mapping, reason: str, user
) -> IntakeAmendment:
    """Change fields of a finished intake, keeping the old values in an amendment."""
    _check_section_values(section, values)
    reason = _check_reason(reason)
    locked = _lock_finished(intake)

    changes = _field_changes(locked, values)
    if not changes:
        raise ValidationError(NOTHING_CHANGED)
    many = _apply_fields(locked, values)
    locked.updated_by = user
    _save_fields(locked, values, many)

    return _amendment(
        locked,
        section=section,
        subject=interview.SECTION_TITLES[section],
        reason=reason,
        changes=changes,
        user=user,
    )


@transaction.atomic
def placement_amend(
    *,
    intake: Intake,
    placement: SchoolPlacement | None,
    values: Mapping,
    reason: str,
    user,
) -> IntakeAmendment:
    """Change an earlier school of a finished intake, or add one (placement=None)."""
    reason = _check_reason(reason)
    locked = _lock_finished(intake)

    if placement is None:
        placement = SchoolPlacement(
            intake=locked, position=_next_position(locked.placements)
        )
    else:
        placement = SchoolPlacement.objects.get(pk=placement.pk, intake=locked)
    changes = _field_changes(placement, values)
    if not changes:
        raise ValidationError(NOTHING_CHANGED)
    for name, value in values.items():
        setattr(placement, name, value)
    placement.updated_by = user
    placement.version = placement.version + 1 if placement.pk else 1
    placement.full_clean()
    placement.save()

    subject = f"{interview.SECTION_TITLES[interview.PLACEMENTS]}: {placement}"
    return _amendment(
        locked,
        section=interview.PLACEMENTS,
        subject=subject,
        reason=reason,
        changes=changes,
        user=user,
    )


@transaction.atomic
def baseline_scores_amend(
    *, intake: Intake, scores: Mapping[int, int | None], reason: str, user
) -> IntakeAmendment:
    """Correct baseline answers of a finished intake, keeping the old scores."""
    reason = _check_reason(reason)
    locked = _lock_finished(intake)

    old = _current_scores(locked.baseline)
    texts = dict(ScaledQuestion.objects.filter(pk__in=scores).values_list("pk", "text"))
    changes = [
        _change(
            texts.get(question_id, str(question_id)),
            interview.EMPTY if old.get(question_id) is None else str(old[question_id]),
            interview.EMPTY if score is None else str(score),
        )
        for question_id, score in scores.items()
        if old.get(question_id) != score
    ]
    if not changes:
        raise ValidationError(NOTHING_CHANGED)
    _write_scores(locked.baseline, scores)

    return _amendment(
        locked,
        section=interview.SCALES,
        subject=interview.SECTION_TITLES[interview.SCALES],
        reason=reason,
        changes=changes,
        user=user,
    )


# Follow-ups ------------------------------------------------------------------


@transaction.atomic
def follow_up_create(
    *,
    pupil: Pupil,
    user,
    taken_on: date,
    note: str,
    scores: Mapping[int, int | None],
    question_set: QuestionSet,
) -> Measurement:
    """Record a follow-up: the school's scaled questions asked again, with a note."""
    intake = Intake.objects.filter(pupil=pupil).first()
    if intake is None or not intake.is_finished:
        raise ValidationError(FOLLOW_UP_NEEDS_INTAKE)
    answered = {key: value for key, value in scores.items() if value is not None}
    if not answered:
        raise ValidationError(FOLLOW_UP_EMPTY)

    follow_up = Measurement(
        pupil=pupil,
        kind=Measurement.Kind.FOLLOW_UP,
        taken_on=taken_on,
        question_set=question_set,
        note=note.strip(),
        created_by=user,
    )
    follow_up.full_clean()
    follow_up.save()
    _write_scores(follow_up, answered)

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=pupil,
        what=_("follow-up %(id)s created") % {"id": follow_up.pk},
    )
    return follow_up
