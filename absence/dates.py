"""The range of dates the absence pages accept.

The calendar and figure code adds and subtracts whole years and quarters, so a
date near `date.min` or `date.max` would overflow. Every date a user types or
puts in a URL is checked against this range first.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from schoolplan.forms import EARLIEST_DATE

LATEST_DATE = date(2100, 12, 31)

DATE_OUT_OF_RANGE = _("The date must lie between 1 January 2000 and 31 December 2100.")


def in_supported_range(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


def check_supported_range(day: date | None) -> None:
    """Raise ValidationError if `day` lies outside the supported range."""
    if day is not None and not in_supported_range(day):
        raise ValidationError(DATE_OUT_OF_RANGE)
