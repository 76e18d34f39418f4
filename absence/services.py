"""Writes to the absence app. Each validates first and runs in one transaction."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from absence import calendar, dashboard
from absence.figures import rules_for
from absence.flags import flags_for
from absence.models import (
    ABSENT_STATUSES,
    FIRST_GRADE_WITH_LAST_LESSON,
    LAST_LESSON_STATUSES,
    LEGAL_GROUPS,
    MORNING_STATUSES,
    DueStepDone,
    NonSchoolDay,
    OutreachContact,
    Registration,
    SchoolYear,
    Status,
    Success,
)
from absence.selectors import register_pupils
from schoolplan import services as schoolplan_services
from schoolplan.audit import record_access
from schoolplan.models import (
    AccessLogEntry,
    Area,
    Entry,
    Goal,
    Pupil,
    PupilGroup,
    School,
)

NOT_A_SCHOOL_DAY = _("The date is not a school day in the school calendar.")
DAY_IN_FUTURE = _("Attendance can only be registered for today or earlier days.")
PUPIL_NOT_ON_REGISTER = _("The pupil is not on this group's register for the date.")
STATUS_NOT_ALLOWED = _("This status cannot be used in this notation.")
ARRIVAL_TIME_MISSING = _("Write the time the pupil arrived.")
LEAVING_TIME_MISSING = _("Write the time the pupil left.")
LAST_LESSON_GRADES = _("Only grades 7-10 are registered in the last lesson.")
REASON_NOT_AWAITED = _("Choose the group the reason puts the absence in.")
NOT_AN_ABSENCE = _("Only an absence can be given a reason.")
REASON_DATE_INVALID = _("The reason cannot be given before the absence or after today.")
SUCCESS_NEEDS_TEXT = _("Write what happened when the pattern is “something else”.")
GOAL_OF_OTHER_PUPIL = _("The goal belongs to another pupil.")
CONTACT_IN_FUTURE = _("The contact cannot be later than now.")
YEAR_OVERLAPS = _("The school year overlaps another school year of the school.")
YEAR_REVERSED = _("The last school day must come after the first.")
YEAR_TOO_LONG = _("A school year cannot be longer than a year.")
DAY_OFF_OUTSIDE_YEAR = _("Every day off must lie inside the school year.")
STEP_ALREADY_DONE = _("The step was already marked done.")
STEP_NOT_DUE = _(
    "The pupil's absence calls for no such step in that period. Reload the page "
    "to see the steps that are due."
)


@dataclass(frozen=True)
class RowInput:
    """One notation of one pupil as the register form submitted it.

    `loaded_version` is the registration's version when the register was
    opened (0 if there was none), for the lost-update check.
    """

    pupil_id: int
    notation: str
    status: str
    arrived_at: time | None = None
    left_at: time | None = None
    note: str = ""
    reason_channel: str = ""
    loaded_version: int = 0


class RegisterConflict(Exception):
    """Someone saved some of the same registrations after the register was opened.

    `current` contains those registrations as they are now. Nothing was saved.
    """

    def __init__(self, current: list[Registration]):
        super().__init__("Registrations were changed by someone else.")
        self.current = current


@dataclass(frozen=True)
class RegisterResult:
    created: int
    updated: int


_REGISTERED_FIELDS = ("status", "arrived_at", "left_at", "note", "reason_channel")


def _check_register_day(school_id: int, day: date) -> None:
    if day > timezone.localdate():
        raise ValidationError(DAY_IN_FUTURE)
    if not calendar.day_info(school_id, day).is_school_day:
        raise ValidationError(NOT_A_SCHOOL_DAY)


def _check_row(row: RowInput, pupil: Pupil) -> None:
    if row.notation == Registration.Notation.MORNING:
        allowed = MORNING_STATUSES
    else:
        allowed = LAST_LESSON_STATUSES
        if pupil.grade < FIRST_GRADE_WITH_LAST_LESSON:
            raise ValidationError(LAST_LESSON_GRADES)

    if row.status not in allowed:
        raise ValidationError(STATUS_NOT_ALLOWED)
    if row.status == Status.LATE and row.arrived_at is None:
        raise ValidationError(ARRIVAL_TIME_MISSING)
    if row.status == Status.LEFT_EARLY and row.left_at is None:
        raise ValidationError(LEAVING_TIME_MISSING)


def registered_values(row: RowInput) -> dict:
    """Return the values to store; a time or channel that does not apply is dropped."""
    return {
        "status": row.status,
        "arrived_at": row.arrived_at if row.status == Status.LATE else None,
        "left_at": row.left_at if row.status == Status.LEFT_EARLY else None,
        "note": row.note.strip(),
        "reason_channel": row.reason_channel if row.status in LEGAL_GROUPS else "",
    }


@transaction.atomic
def register_save(
    *, group: PupilGroup, day: date, user, rows: Iterable[RowInput]
) -> RegisterResult:
    """Save a group's register for a day in a fixed number of queries.

    Only notations whose values differ from what is stored are written. A
    last-lesson notation is skipped when the morning records the pupil as
    absent. If anyone saved one of the changed registrations since the
    register was opened, nothing is saved and RegisterConflict is raised.
    """
    _check_register_day(group.school_id, day)
    rows = [row for row in rows if row.status]

    pupils = {
        pupil.pk: pupil
        for pupil in register_pupils(group, day)
        .filter(pk__in={row.pupil_id for row in rows})
        .select_for_update(of=("self",))
    }
    for row in rows:
        if row.pupil_id not in pupils:
            raise ValidationError(PUPIL_NOT_ON_REGISTER)
        _check_row(row, pupils[row.pupil_id])

    absent_in_morning = {
        row.pupil_id
        for row in rows
        if row.notation == Registration.Notation.MORNING
        and row.status in ABSENT_STATUSES
    }
    rows = [
        row
        for row in rows
        if row.notation == Registration.Notation.MORNING
        or row.pupil_id not in absent_in_morning
    ]

    existing = {
        (registration.pupil_id, registration.notation): registration
        for registration in Registration.objects.filter(day=day, pupil_id__in=pupils)
    }
    now = timezone.now()
    today = timezone.localdate(now)
    to_create, to_update, conflicts = [], [], []
    for row in rows:
        values = registered_values(row)
        current = existing.get((row.pupil_id, row.notation))
        if current is None:
            to_create.append(
                Registration(
                    pupil_id=row.pupil_id,
                    group=group,
                    day=day,
                    notation=row.notation,
                    registered_by=user,
                    registered_at=now,
                    updated_by=user,
                    updated_at=now,
                    reason_given_on=today if values["reason_channel"] else None,
                    **values,
                )
            )
            continue

        if all(getattr(current, name) == value for name, value in values.items()):
            continue
        if current.version != row.loaded_version:
            conflicts.append(current)
            continue

        if values["reason_channel"] and not current.reason_channel:
            current.reason_given_on = today
        if not values["reason_channel"]:
            current.reason_given_on = None
        for name, value in values.items():
            setattr(current, name, value)
        current.version += 1
        current.updated_by = user
        current.updated_at = now
        to_update.append(current)

    if conflicts:
        raise RegisterConflict(conflicts)

    # A last lesson noted while the pupil was marked present no longer applies
    # once the morning records an absence. Deleting it one by one lets the history
    # keep the deleted row, and who deleted it.
    stale_last_lessons = [
        existing[(pupil_id, Registration.Notation.LAST_LESSON)]
        for pupil_id in sorted(absent_in_morning)
        if (pupil_id, Registration.Notation.LAST_LESSON) in existing
    ]
    for registration in stale_last_lessons:
        registration._history_user = user
        registration.delete()

    try:
        with transaction.atomic():
            if to_create:
                bulk_create_with_history(to_create, Registration, default_user=user)
    except IntegrityError:
        # Someone registered one of these pupils between our read and our
        # insert; show the register again with what they saved.
        raise RegisterConflict(
            list(Registration.objects.filter(day=day, pupil_id__in=pupils))
        ) from None
    if to_update:
        bulk_update_with_history(
            to_update,
            Registration,
            [
                *_REGISTERED_FIELDS,
                "reason_given_on",
                "version",
                "updated_by",
                "updated_at",
            ],
            default_user=user,
        )

    changed_pupils = {
        registration.pupil_id
        for registration in to_create + to_update + stale_last_lessons
    }
    dashboard.refresh_on_commit(group.school_id, changed_pupils)
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            user=user,
            pupil_id=pupil_id,
            action=AccessLogEntry.Action.CHANGE,
            what=_("attendance %(day)s") % {"day": day.isoformat()},
        )
        for pupil_id in sorted(changed_pupils)
    )

    return RegisterResult(created=len(to_create), updated=len(to_update))


@transaction.atomic
def reason_record(
    *,
    registration: Registration,
    user,
    status: str,
    channel: str,
    given_on: date,
    note: str = "",
    expected_version: int,
) -> Registration:
    """Record the parents' reason for an absence: its legal group, how and when it came.

    The history keeps the status the absence had before. Raises
    StaleEditError if the registration changed since the form was opened.
    """
    if registration.status not in ABSENT_STATUSES:
        raise ValidationError(NOT_AN_ABSENCE)
    if status not in LEGAL_GROUPS:
        raise ValidationError({"status": REASON_NOT_AWAITED})
    if given_on < registration.day or given_on > timezone.localdate():
        raise ValidationError({"given_on": REASON_DATE_INVALID})

    registration.status = status
    registration.reason_channel = channel
    registration.reason_given_on = given_on
    if note.strip():
        registration.note = note.strip()
    # Outside a request django-simple-history cannot see the user; tell it.
    registration._history_user = user
    schoolplan_services.save_versioned(
        registration, expected_version=expected_version, user=user
    )
    dashboard.refresh_on_commit(registration.pupil.school_id, [registration.pupil_id])

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=registration.pupil,
        what=_("absence reason %(day)s") % {"day": registration.day.isoformat()},
    )
    return registration


def _success_entry_text(pattern: str, what_happened: str) -> str:
    """Return the log entry's text for a success: the pattern, then what happened."""
    if pattern == Success.Pattern.OTHER:
        return what_happened

    label = str(Success.Pattern(pattern).label)
    return f"{label}. {what_happened}".strip() if what_happened else f"{label}."


def success_follow_entry(entry: Entry) -> None:
    """Copy a corrected success entry's text back to its success.

    The success list on the front page and in the PDFs shows what happened. A
    teacher who corrects the log entry (to take out another pupil's name, say)
    must see the correction there too.
    """
    success = Success.objects.filter(entry=entry).first()
    if success is None:
        return

    prefix = _success_entry_text(success.pattern, "")
    text = entry.text.strip()
    if success.pattern != Success.Pattern.OTHER and text.startswith(prefix):
        text = text[len(prefix) :].strip()
    if text != success.what_happened:
        success.what_happened = text
        success.save(update_fields=["what_happened"])


@transaction.atomic
def success_create(
    *,
    pupil: Pupil,
    user,
    day: date,
    area: Area,
    pattern: str,
    what_happened: str = "",
    goal: Goal | None = None,
) -> Success:
    """Record a success and write it to the running log as an entry of kind success."""
    what_happened = what_happened.strip()
    if pattern == Success.Pattern.OTHER and not what_happened:
        raise ValidationError({"what_happened": SUCCESS_NEEDS_TEXT})
    if goal is not None and goal.pupil_id != pupil.pk:
        raise ValidationError({"goal": GOAL_OF_OTHER_PUPIL})

    success = Success(
        pupil=pupil,
        day=day,
        area=area,
        pattern=pattern,
        what_happened=what_happened,
        goal=goal,
        seen_by=user,
    )
    success.full_clean(exclude=["entry"])

    # The same form sent twice returns the success already recorded. The pupil
    # lock, shared with schoolplan.services.entry_create, serialises the check.
    schoolplan_services.lock_pupil(pupil)
    repeated = Success.objects.filter(
        pupil=pupil,
        seen_by=user,
        day=day,
        area=area,
        pattern=pattern,
        what_happened=what_happened,
        goal=goal,
        entry__struck_at__isnull=True,
        entry__created_at__gte=timezone.now()
        - schoolplan_services.REPEATED_SUBMISSION_WINDOW,
    ).first()
    if repeated:
        return repeated

    text = _success_entry_text(pattern, what_happened)
    entry = schoolplan_services.entry_create(
        pupil=pupil,
        author=user,
        kind=Entry.Kind.SUCCESS,
        text=text,
        concerns_date=day,
        areas=[area],
        goal=goal,
        reuse_repeated=False,
    )
    success.entry = entry
    success.save()
    return success


@transaction.atomic
def outreach_create(
    *, pupil: Pupil, user, contacted_at, kind: str, staff, outcome: str, note: str = ""
) -> OutreachContact:
    if contacted_at > timezone.now():
        raise ValidationError({"contacted_at": CONTACT_IN_FUTURE})

    contact = OutreachContact(
        pupil=pupil,
        contacted_at=contacted_at,
        kind=kind,
        staff=staff,
        outcome=outcome,
        note=note.strip(),
    )
    contact.full_clean()
    contact.save()
    dashboard.refresh_on_commit(pupil.school_id, [pupil.pk])

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=pupil,
        what=_("outreach contact %(id)s") % {"id": contact.pk},
    )
    return contact


@transaction.atomic
def step_mark_done(
    *, pupil: Pupil, user, kind: str, period_start: date, note: str = ""
) -> DueStepDone:
    """Record who did the step a flag called for, and when.

    Raises ValidationError unless the pupil has that flag for that period now.
    """
    step = DueStepDone(
        pupil=pupil,
        kind=kind,
        period_start=period_start,
        done_by=user,
        note=note.strip(),
    )
    step.full_clean(exclude=["pupil", "done_by"])
    flags = flags_for(
        rules_for(pupil.school_id), today=timezone.localdate(), pupil_ids=[pupil.pk]
    )
    if not any(
        flag.kind == kind and flag.period_start == period_start for flag in flags
    ):
        raise ValidationError(STEP_NOT_DUE)
    if DueStepDone.objects.filter(
        pupil=pupil, kind=kind, period_start=period_start
    ).exists():
        raise ValidationError(STEP_ALREADY_DONE)
    step.save()
    dashboard.refresh_on_commit(pupil.school_id, [pupil.pk])

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=pupil,
        what=_("step done: %(step)s from %(day)s")
        % {"step": DueStepDone.Kind(kind).label, "day": period_start.isoformat()},
    )
    return step


def _check_year_span(
    school: School, first_day: date, last_day: date, *, exclude_pk=None
):
    if last_day <= first_day:
        raise ValidationError({"last_day": YEAR_REVERSED})
    if (last_day - first_day).days > 366:
        raise ValidationError({"last_day": YEAR_TOO_LONG})

    overlapping = SchoolYear.objects.filter(
        school=school, first_day__lte=last_day, last_day__gte=first_day
    ).exclude(pk=exclude_pk)
    if overlapping.exists():
        raise ValidationError(YEAR_OVERLAPS)


@transaction.atomic
def school_year_create(
    *, school: School, first_day: date, last_day: date, propose_days_off: bool
) -> SchoolYear:
    """Create a school year, with the usual Danish holidays if `propose_days_off`."""
    _check_year_span(school, first_day, last_day)

    school_year = SchoolYear.objects.create(
        school=school, first_day=first_day, last_day=last_day
    )
    if propose_days_off:
        NonSchoolDay.objects.bulk_create(
            NonSchoolDay(
                school_year=school_year, day=day.day, kind=day.kind, name=day.name
            )
            for day in calendar.proposed_days_off(first_day.year)
            if first_day <= day.day <= last_day
        )

    return school_year


@transaction.atomic
def school_year_update(
    *, school_year: SchoolYear, first_day: date, last_day: date
) -> None:
    _check_year_span(school_year.school, first_day, last_day, exclude_pk=school_year.pk)
    if school_year.non_school_days.exclude(day__range=(first_day, last_day)).exists():
        raise ValidationError(DAY_OFF_OUTSIDE_YEAR)

    school_year.first_day = first_day
    school_year.last_day = last_day
    school_year.save(update_fields=["first_day", "last_day"])


@transaction.atomic
def days_off_add(
    *, school_year: SchoolYear, first_day: date, last_day: date, kind: str, name: str
) -> int:
    """Mark every weekday from `first_day` to `last_day` as a day off; return how many.

    A weekday that is already a day off takes the new name and kind.
    """
    if last_day < first_day:
        raise ValidationError({"last_day": YEAR_REVERSED})
    if first_day < school_year.first_day or last_day > school_year.last_day:
        raise ValidationError(DAY_OFF_OUTSIDE_YEAR)

    days = []
    day = first_day
    while day <= last_day:
        if day.weekday() < 5:
            days.append(
                NonSchoolDay(school_year=school_year, day=day, kind=kind, name=name)
            )
        day = date.fromordinal(day.toordinal() + 1)

    NonSchoolDay.objects.bulk_create(
        days,
        update_conflicts=True,
        unique_fields=["school_year", "day"],
        update_fields=["kind", "name"],
    )
    return len(days)


@transaction.atomic
def day_off_remove(*, school_year: SchoolYear, day: date) -> bool:
    """Make a day off a school day again; return whether there was one."""
    deleted, _rows = NonSchoolDay.objects.filter(
        school_year=school_year, day=day
    ).delete()
    if deleted:
        return bool(deleted)
