"""The absence figure that the intake's progression section shows."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from absence.figures import FiguresNeedPostgreSQL, rules_for, school_figures


def absence_percent_between(pupil, start: date, end: date) -> Decimal | None:
    """Return the share of school days missed from `start` to `end`, in percent.

    Late arrivals and early departures count as the part of the day missed,
    as on the front page. One query for the rules and one for the figures,
    which sums the period alone rather than also by quarter and week.
    """
    try:
        figures = school_figures(
            rules_for(pupil.school_id),
            start=start,
            end=end,
            today=timezone.localdate(),
            pupil_ids=[pupil.pk],
        )
    except FiguresNeedPostgreSQL:
        return None
    period = figures.get(pupil.pk)
    return period.absent_percent if period is not None else None
