from datetime import time
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(value, decimals=1):
    """Format a share in percent with the locale's decimal mark; '–' when undefined."""
    if value is None:
        return "–"
    # number_format cuts off extra decimals, so round (half up) first.
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-int(decimals)), ROUND_HALF_UP)
    return f"{number_format(rounded, decimal_pos=int(decimals))} %"


@register.filter
def days(value):
    """Format a number of days: whole days without decimals, fractions with one."""
    if value is None:
        return "–"
    if value == int(value):
        return str(int(value))
    return number_format(
        Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP), decimal_pos=1
    )


@register.filter
def quarter_label(day):
    """Name the calendar quarter that contains `day`, for example 'Q1 2026'."""
    return _("Q%(number)s %(year)s") % {
        "number": (day.month - 1) // 3 + 1,
        "year": day.year,
    }


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def staff_name(user):
    """Name a staff member by full name, else username; '–' when there is none."""
    if user is None:
        return "–"
    return user.get_full_name() or user.get_username()


@register.filter
def clock(value):
    """Format a time field's value as HH:MM, whether it is a time or the text typed."""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value or ""
