"""Helpers for the absence tests: a school calendar and registrations made directly."""

from datetime import date, timedelta

from absence.models import NonSchoolDay, Registration, SchoolYear, Status


def weekdays(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def make_school_year(school, first: date, last: date, days_off=()) -> SchoolYear:
    school_year = SchoolYear.objects.create(
        school=school, first_day=first, last_day=last
    )
    NonSchoolDay.objects.bulk_create(
        NonSchoolDay(
            school_year=school_year,
            day=day,
            kind=NonSchoolDay.Kind.HOLIDAY,
            name="Ferie",
        )
        for day in days_off
    )
    return school_year


def register(
    pupil, day: date, status: str = Status.PRESENT, *, by, **fields
) -> Registration:
    notation = fields.pop("notation", Registration.Notation.MORNING)
    return Registration.objects.create(
        pupil=pupil,
        group=pupil.group,
        day=day,
        notation=notation,
        status=status,
        registered_by=by,
        updated_by=by,
        **fields,
    )


def register_many(pupil, days, status: str = Status.PRESENT, *, by) -> None:
    Registration.objects.bulk_create(
        Registration(
            pupil=pupil,
            group=pupil.group,
            day=day,
            status=status,
            registered_by=by,
            updated_by=by,
        )
        for day in days
    )
