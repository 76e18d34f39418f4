"""The absence figure that the intake's progression section shows."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from absence.figures import FiguresNeedPostgreSQL, pupil_figures, rules_for


def absence_percent_between(pupil, start: date, end: date) -> Decimal | None:
    """Return the share of school days missed from `start` to `end`, in percent.

    Late arrivals and early departures count as the part of the day missed,
    as on the front page. One query for the rules and one for the figures.
    """
    try:
        figures = pupil_figures(
            rules_for(pupil.school_id),
            pupil.pk,
            start=start,
            end=end,
            today=timezone.localdate(),
        )
    except FiguresNeedPostgreSQL:
        return None
    return figures.period.absent_percent
