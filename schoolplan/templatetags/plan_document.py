"""Template filters for the plan document."""

from django import template
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from schoolplan.models import Entry

register = template.Library()

_SHARING_FIELDS = (
    "shared_with_parents",
    "shared_with_caseworker",
    "shared_with_municipality",
)


@register.filter
def sharing_summary(entry: Entry) -> str:
    """Return who outside the school may see `entry`, such as "Delt med forældre"."""
    recipients = [
        str(Entry._meta.get_field(name).verbose_name)
        for name in _SHARING_FIELDS
        if getattr(entry, name)
    ]
    if not recipients:
        return _("Internal only")
    summary = _("shared with %(recipients)s") % {"recipients": ", ".join(recipients)}
    return capfirst(summary)
