"""The school calendar: the usual Danish school year and holidays, and day checks."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from absence.models import NonSchoolDay, SchoolYear


@dataclass(frozen=True)
class ProposedDayOff:
    day: date
    name: str
    kind: str = NonSchoolDay.Kind.HOLIDAY


def easter_sunday(year: int) -> date:
    """Return Easter Sunday (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _iso_week_day(year: int, week: int, weekday: int) -> date:
    return date.fromisocalendar(year, week, weekday)


def proposed_school_year(first_year: int) -> tuple[date, date]:
    """Return the usual first and last school day of the year starting in `first_year`.

    Danish schools usually start on the Monday of ISO week 33 and break up on the
    Friday of ISO week 26.
    """
    return _iso_week_day(first_year, 33, 1), _iso_week_day(first_year + 1, 26, 5)


def proposed_days_off(first_year: int) -> list[ProposedDayOff]:
    """Return the weekdays off that most Danish schools have in the school year.

    Local calendars differ (the winter break is week 7 in some municipalities and
    week 8 in others), so this is a proposal for the coordinator to adjust.
    Store bededag is left out: it stopped being a public holiday in 2024.
    """
    second_year = first_year + 1
    easter = easter_sunday(second_year)
    days: list[ProposedDayOff] = []

    def week_off(year: int, week: int, name: str) -> None:
        for weekday in range(1, 6):
            days.append(ProposedDayOff(_iso_week_day(year, week, weekday), name))

    week_off(first_year, 42, str(_("Autumn break")))

    day = date(first_year, 12, 21)
    while day <= date(second_year, 1, 1):
        days.append(ProposedDayOff(day, str(_("Christmas holidays"))))
        day += timedelta(days=1)

    week_off(second_year, 7, str(_("Winter break")))

    for offset in range(-6, 2):
        days.append(
            ProposedDayOff(easter + timedelta(days=offset), str(_("Easter holidays")))
        )

    days.append(ProposedDayOff(easter + timedelta(days=39), str(_("Ascension Day"))))
    days.append(
        ProposedDayOff(
            easter + timedelta(days=40),
            str(_("Day after Ascension Day")),
            NonSchoolDay.Kind.CLOSING_DAY,
        )
    )
    days.append(ProposedDayOff(easter + timedelta(days=50), str(_("Whit Monday"))))
    days.append(ProposedDayOff(date(second_year, 6, 5), str(_("Constitution Day"))))

    return [proposal for proposal in days if proposal.day.weekday() < 5]


def school_year_containing(school_id: int, day: date) -> SchoolYear | None:
    return SchoolYear.objects.filter(
        school_id=school_id, first_day__lte=day, last_day__gte=day
    ).first()


@dataclass(frozen=True)
class DayInfo:
    """Whether a date is a school day for a school, and why not if it is not."""

    day: date
    school_year: SchoolYear | None
    day_off: NonSchoolDay | None

    @property
    def is_school_day(self) -> bool:
        return (
            self.school_year is not None
            and self.day_off is None
            and self.day.weekday() < 5
        )

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5


# The school year holding the day, picked as `school_year_containing` picks it,
# with the id of the day's entry in the calendar, if any. Through the ORM, with a
# FilteredRelation, the register's call took about three times as long, mostly
# compiling (cProfile of bench/absence_pages.py on a 2-core machine).
_DAY_INFO_SQL = """
SELECT school_year.*, day_off.id AS day_off_id
FROM {year_table} school_year
LEFT JOIN {day_off_table} day_off
  ON day_off.school_year_id = school_year.id AND day_off.day = %(day)s
WHERE school_year.school_id = %(school_id)s
  AND school_year.first_day <= %(day)s AND school_year.last_day >= %(day)s
ORDER BY school_year.first_day DESC
LIMIT 1
"""


def day_info(school_id: int, day: date) -> DayInfo:
    """Look the date up in the school's calendar.

    One query on a school day; a day off takes a second one to fetch it.
    """
    sql = _DAY_INFO_SQL.format(
        year_table=SchoolYear._meta.db_table,
        day_off_table=NonSchoolDay._meta.db_table,
    )
    found = list(SchoolYear.objects.raw(sql, {"day": day, "school_id": school_id}))
    school_year = found[0] if found else None
    day_off = None
    if school_year is not None and school_year.day_off_id and day.weekday() < 5:
        day_off = NonSchoolDay.objects.get(pk=school_year.day_off_id)

    return DayInfo(day, school_year, day_off)
