"""Invented attendance for the demo school: a year of registrations and the rest.

Each pupil gets a profile: a base absence rate between 5 % and 40 %, a trend
(improving, steady or worsening), how the absence splits over the legal
groups, and how often the pupil comes late or leaves early. Absence comes in
runs, as it does for pupils with school refusal. The same seed always gives
the same data; `populate` skips a school whose attendance is already loaded.
"""

import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from absence import calendar, services
from absence.figures import FiguresNeedPostgreSQL, previous_quarter_start
from absence.models import (
    FIRST_GRADE_WITH_LAST_LESSON,
    AbsenceRules,
    DueStepDone,
    NonSchoolDay,
    OutreachContact,
    Registration,
    SchoolYear,
    Status,
    Success,
)
from schoolplan import roles
from schoolplan.models import Area, Entry, Goal, Pupil, School

logger = logging.getLogger(__name__)

DAYS_OF_ATTENDANCE = 365

SUCCESS_TEXTS = {
    Success.Pattern.HARD_MORNING: [
        "Mor skrev kl. 7.40, at morgenen var svær. {name} kom alligevel og gik "
        "selv ind.",
        "{name} sad længe i bilen, men kom ind efter ti minutter med den faste voksen.",
    ],
    Success.Pattern.WHOLE_DAY: [
        "{name} blev hele dagen og spurgte ikke en eneste gang, hvornår der var fri.",
        "{name} var her fra morgensamling til sidste time og spiste frokost "
        "med de andre.",
    ],
    Success.Pattern.JOINED_GROUP: [
        "{name} var med i fællesspillet i frikvarteret og grinede med de andre.",
        "{name} satte sig selv ved gruppebordet i dansk.",
    ],
    Success.Pattern.AVOIDED_SUBJECT: [
        "{name} prøvede en matematikopgave med brøker uden at gå ud af lokalet.",
        "{name} læste højt for en voksen i fem minutter.",
    ],
}
OUTREACH_NOTES = {
    OutreachContact.Outcome.CAME: "Kom med i bilen efter en kort snak ved døren.",
    OutreachContact.Outcome.CAME_LATER: "Ville ikke med straks; mor kørte {name} "
    "senere.",
    OutreachContact.Outcome.STAYED_HOME: "{name} lå i sengen og ville ikke tale "
    "med os.",
    OutreachContact.Outcome.NO_CONTACT: "Ingen åbnede, og telefonen blev ikke taget.",
}


@dataclass(frozen=True)
class Profile:
    base_rate: float
    trend: float
    illness: float
    permitted: float
    late_rate: float


def _profile(rng: random.Random, index: int) -> Profile:
    # The first pupils are made to cross the thresholds, so every flag shows.
    if index == 0:
        return Profile(0.30, 0.25, 0.15, 0.05, 0.15)
    if index == 1:
        return Profile(0.22, 0.05, 0.25, 0.05, 0.10)
    if index == 2:
        # Steady and mostly illness, so that by late autumn the school year's
        # illness days usually pass the limit for teaching during illness.
        return Profile(0.30, 0.0, 0.9, 0.05, 0.10)
    trend = rng.choice([-0.25, -0.15, 0.0, 0.0, 0.1, 0.2])
    illness = rng.uniform(0.3, 0.8)
    return Profile(
        base_rate=rng.uniform(0.04, 0.32),
        trend=trend,
        illness=illness,
        permitted=rng.uniform(0.0, min(0.15, 1 - illness)),
        late_rate=rng.uniform(0.03, 0.15),
    )


def _ensure_calendar(school: School, first: date, last: date) -> None:
    first_year = first.year if first.month >= 8 else first.year - 1
    while date(first_year, 8, 1) <= last:
        first_day, last_day = calendar.proposed_school_year(first_year)
        overlapping = SchoolYear.objects.filter(
            school=school, first_day__lte=last_day, last_day__gte=first_day
        )
        if not overlapping.exists():
            services.school_year_create(
                school=school,
                first_day=first_day,
                last_day=last_day,
                propose_days_off=True,
            )
        first_year += 1


def _school_days(school: School, first: date, last: date) -> list[date]:
    days_off = set(
        NonSchoolDay.objects.filter(school_year__school=school).values_list(
            "day", flat=True
        )
    )
    years = list(SchoolYear.objects.filter(school=school))
    days, day = [], first
    while day <= last:
        in_year = any(year.first_day <= day <= year.last_day for year in years)
        if day.weekday() < 5 and in_year and day not in days_off:
            days.append(day)
        day += timedelta(days=1)
    return days


def _clock(rng: random.Random, first: time, last: time) -> time:
    start = first.hour * 60 + first.minute
    end = last.hour * 60 + last.minute
    minutes = rng.randrange(start, end, 5)
    return time(minutes // 60, minutes % 60)


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def _pupil_attendance(rng, pupil, profile, days, today, rules, staff):
    """Return the pupil's registrations, morning and last lesson, unsaved."""
    rows = []
    previous_absent = False
    span = max(len(days) - 1, 1)
    for position, day in enumerate(days):
        progress = position / span
        rate = min(
            0.85, max(0.02, profile.base_rate + profile.trend * (progress - 0.5))
        )
        if day.weekday() == 0:
            rate = min(0.9, rate * 1.3)
        # A two-state chain: absence runs last two days on average, and the
        # chance of a new run is set so the long-run share of absence is `rate`.
        chance = 0.5 if previous_absent else 0.5 * rate / (1 - rate)
        author = rng.choice(staff)
        base = {
            "pupil": pupil,
            "group": pupil.group,
            "day": day,
            "registered_by": author,
            "updated_by": author,
            "registered_at": _aware(day, _clock(rng, time(8, 5), time(9, 30))),
            "updated_at": _aware(day, time(9, 30)),
        }
        if rng.random() < 0.01 and day < today:
            previous_absent = False
            continue

        if rng.random() < chance:
            previous_absent = True
            rows.append(
                Registration(**base, **_absence(rng, profile, day, today, rules))
            )
            continue

        previous_absent = False
        if rng.random() < profile.late_rate:
            arrived = _clock(rng, time(8, 20), time(10, 45))
            rows.append(Registration(**base, status=Status.LATE, arrived_at=arrived))
        else:
            rows.append(Registration(**base, status=Status.PRESENT))
        if pupil.grade >= FIRST_GRADE_WITH_LAST_LESSON:
            last = {**base, "notation": Registration.Notation.LAST_LESSON}
            if rng.random() < 0.06:
                left = _clock(rng, time(10, 30), time(12, 45))
                rows.append(
                    Registration(**last, status=Status.LEFT_EARLY, left_at=left)
                )
            else:
                rows.append(Registration(**last, status=Status.PRESENT))

    return rows


def _absence(rng, profile: Profile, day: date, today: date, rules) -> dict:
    within_deadline = (today - day).days <= rules.reason_deadline_days
    if within_deadline and rng.random() < 0.5:
        return {"status": Status.AWAITING}
    if not within_deadline and rng.random() < 0.04:
        # A reason that never came: it counts as unlawful after the deadline.
        return {"status": Status.AWAITING}

    draw = rng.random()
    if draw < profile.illness:
        status = Status.ILLNESS
    elif draw < profile.illness + profile.permitted:
        status = Status.PERMITTED
    else:
        return {
            "status": Status.UNLAWFUL,
            "note": rng.choice(["", "", "Ingen besked."]),
        }

    channel = rng.choice(
        [
            Registration.Channel.PHONE,
            Registration.Channel.TEXT,
            Registration.Channel.MESSAGE,
            Registration.Channel.MESSAGE,
        ]
    )
    return {
        "status": status,
        "reason_channel": channel,
        "reason_given_on": day + timedelta(days=rng.choice([0, 0, 0, 1, 2])),
    }


# A pupil's successes repeat no text within this many days.
SUCCESS_REPEAT_WINDOW_DAYS = 30


def _fresh_success(rng, day: date, whole_day: bool, last_used: dict[str, date]):
    """Return a pattern and text that fit the day and are not a recent repeat, or None."""
    options = [
        (pattern, template)
        for pattern, templates in SUCCESS_TEXTS.items()
        if whole_day or pattern != Success.Pattern.WHOLE_DAY
        for template in templates
        if (day - last_used.get(template, date.min)).days >= SUCCESS_REPEAT_WINDOW_DAYS
    ]
    return rng.choice(options) if options else None


def _successes_and_contacts(
    rng, pupil, registrations, staff, outreach_staff, areas, goals
):
    """Return a pupil's unsaved successes, their entries and outreach contacts."""
    morning = [
        row for row in registrations if row.notation == Registration.Notation.MORNING
    ]
    left_early = {row.day for row in registrations if row.status == Status.LEFT_EARLY}
    last_used: dict[str, date] = {}
    successes, entries, contacts = [], [], []
    for row in morning:
        success = None
        if row.status in (Status.PRESENT, Status.LATE) and rng.random() < 0.06:
            whole_day = row.status == Status.PRESENT and row.day not in left_early
            success = _fresh_success(rng, row.day, whole_day, last_used)
        if success is not None:
            pattern, template = success
            last_used[template] = row.day
            text = template.format(name=pupil.first_name)
            author = rng.choice(staff)
            goal = rng.choice(goals) if goals and rng.random() < 0.4 else None
            area = (
                areas[Area.Code.ATTENDANCE]
                if pattern
                in (
                    Success.Pattern.HARD_MORNING,
                    Success.Pattern.WHOLE_DAY,
                )
                else rng.choice(list(areas.values()))
            )
            entries.append(
                Entry(
                    pupil=pupil,
                    concerns_date=row.day,
                    author=author,
                    created_at=_aware(row.day, time(14, 10)),
                    kind=Entry.Kind.SUCCESS,
                    text=f"{Success.Pattern(pattern).label}. {text}",
                    goal=goal,
                )
            )
            successes.append(
                Success(
                    pupil=pupil,
                    day=row.day,
                    area=area,
                    pattern=pattern,
                    what_happened=text,
                    goal=goal,
                    seen_by=author,
                    created_at=_aware(row.day, time(14, 10)),
                )
            )

        wants_contact = row.status in (Status.LATE, Status.AWAITING, Status.UNLAWFUL)
        if wants_contact and rng.random() < 0.35:
            contacts.append(_contact(rng, pupil, row, outreach_staff))

    return successes, entries, contacts


def _contact(rng, pupil, row, outreach_staff) -> OutreachContact:
    if row.status == Status.LATE:
        outcome = OutreachContact.Outcome.CAME_LATER
    elif rng.random() < 0.7:
        outcome = OutreachContact.Outcome.STAYED_HOME
    else:
        outcome = OutreachContact.Outcome.NO_CONTACT
    kind = rng.choice(
        [
            OutreachContact.Kind.PHONE,
            OutreachContact.Kind.PHONE,
            OutreachContact.Kind.TEXT,
            OutreachContact.Kind.HOME_VISIT,
            OutreachContact.Kind.PICK_UP,
            OutreachContact.Kind.MEETING,
        ]
    )
    if kind == OutreachContact.Kind.PICK_UP and row.status == Status.LATE:
        outcome = OutreachContact.Outcome.CAME
    return OutreachContact(
        pupil=pupil,
        contacted_at=_aware(row.day, _clock(rng, time(7, 45), time(8, 50))),
        kind=kind,
        staff=rng.choice(outreach_staff),
        outcome=outcome,
        note=OUTREACH_NOTES[outcome].format(name=pupil.first_name),
        created_at=_aware(row.day, time(9, 15)),
    )


def _mark_some_steps_done(rng, school: School, today: date, leader) -> None:
    """Mark the previous quarter's steps done for some pupils, as a school would.

    The flags are computed in PostgreSQL, so on the SQLite quick start the
    demo school has no steps marked done.
    """
    from absence.flags import flags_for

    rules = AbsenceRules.objects.get(school=school)
    previous = previous_quarter_start(today)
    try:
        school_flags = flags_for(rules, today=today)
    except FiguresNeedPostgreSQL:
        logger.info("Skipped marking due steps done: the flags need PostgreSQL.")
        return
    steps = [
        DueStepDone(
            pupil_id=flag.pupil_id,
            kind=flag.kind,
            period_start=flag.period_start,
            done_by=leader,
            done_at=_aware(flag.period_start + timedelta(days=80), time(13, 0)),
            note="Brev sendt til forældrene." if flag.kind == "warning" else "",
        )
        for flag in school_flags
        if flag.period_start == previous and rng.random() < 0.6
    ]
    DueStepDone.objects.bulk_create(steps)


@transaction.atomic
def populate(*, school: School, seed: int = 2026, today: date | None = None) -> None:
    """Add a year of attendance, reasons, successes and outreach contacts."""
    if Registration.objects.filter(pupil__school=school).exists():
        return

    rng = random.Random(f"absence-{seed}")
    today = today or timezone.localdate()
    first = today - timedelta(days=DAYS_OF_ATTENDANCE)
    rules, _created = AbsenceRules.objects.get_or_create(school=school)
    _ensure_calendar(school, first, today)
    school_days = _school_days(school, first, today)

    users = get_user_model().objects.filter(staff__school=school)
    leader = next(user for user in users if roles.is_leadership(user))
    coordinators = [user for user in users if roles.role_of(user) == roles.COORDINATOR]
    areas = {area.code: area for area in Area.objects.all()}

    pupils = list(
        Pupil.objects.filter(school=school).select_related("group").order_by("pk")
    )
    goals_by_pupil: dict[int, list[Goal]] = {}
    for goal in Goal.objects.filter(pupil__school=school, parent__isnull=True):
        goals_by_pupil.setdefault(goal.pupil_id, []).append(goal)

    registrations, successes, entries, contacts = [], [], [], []
    for index, pupil in enumerate(pupils):
        staff = list(pupil.group.staff.all()) if pupil.group else coordinators
        profile = _profile(rng, index)
        days = [day for day in school_days if day >= pupil.start_date]
        rows = _pupil_attendance(rng, pupil, profile, days, today, rules, staff)
        registrations.extend(rows)
        pupil_successes, pupil_entries, pupil_contacts = _successes_and_contacts(
            rng,
            pupil,
            rows,
            staff,
            coordinators + staff,
            areas,
            goals_by_pupil.get(pupil.pk),
        )
        successes.extend(pupil_successes)
        entries.extend(pupil_entries)
        contacts.extend(pupil_contacts)

    for registration in registrations:
        registration._history_user = registration.registered_by
    bulk_create_with_history(registrations, Registration, batch_size=2000)
    Entry.objects.bulk_create(entries, batch_size=1000)
    Entry.areas.through.objects.bulk_create(
        Entry.areas.through(entry_id=entry.pk, area_id=success.area_id)
        for entry, success in zip(entries, successes, strict=True)
    )
    for entry, success in zip(entries, successes, strict=True):
        success.entry = entry
    Success.objects.bulk_create(successes, batch_size=1000)
    OutreachContact.objects.bulk_create(contacts, batch_size=1000)
    _mark_some_steps_done(rng, school, today, leader)
