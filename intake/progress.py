"""The hook that gives the progression section the absence since the intake.

The intake app must not depend on the absence app, so the absence app (or any
other) registers a provider here in its `AppConfig.ready()`:

    from intake.progress import register_attendance_provider
    register_attendance_provider(absence_percent_between)

A provider is called as `provider(pupil, start, end)` with both dates included
and returns the pupil's absence in that period as a percentage of the school
days (0-100, a number), or None when it has no figure. It must make a fixed
number of queries. Without a provider the section shows a dash.
"""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from schoolplan.models import Pupil

AttendanceProvider = Callable[[Pupil, date, date], Decimal | float | None]

_provider: AttendanceProvider | None = None


def register_attendance_provider(provider: AttendanceProvider | None) -> None:
    """Set the provider; a second call replaces it, and None removes it."""
    global _provider
    _provider = provider


def absence_percent(pupil: Pupil, start: date, end: date) -> Decimal | None:
    """Return the pupil's absence in the period from the provider, or None."""
    if _provider is None or end < start:
        return None

    value = _provider(pupil, start, end)
    if value is None:
        return None
    return Decimal(str(value))
