"""The registry of plan sections.

The plan is drawn from sections: the browser's front page and the PDF render the
same sections from the same context, so what leadership sees is what the
caseworker receives. `schoolplan` registers its own sections; `absence` and
`intake` register theirs in `AppConfig.ready()`, so `schoolplan` never imports
them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    """Who a plan document is for; decides which sections and entries it holds."""

    INTERNAL = "internal", _("Internal")
    MUNICIPALITY = "municipality", _("Municipality or PPR")
    CASEWORKER = "caseworker", _("Caseworker")
    PARENTS = "parents", _("Parents")


EVERYONE = frozenset(Audience.values)
OUTSIDE_PARENTS = frozenset(
    {Audience.INTERNAL, Audience.MUNICIPALITY, Audience.CASEWORKER}
)

# The entry flag that lets an entry leave the school for each outside audience.
ENTRY_SHARING_FIELD = {
    Audience.PARENTS: "shared_with_parents",
    Audience.CASEWORKER: "shared_with_caseworker",
    Audience.MUNICIPALITY: "shared_with_municipality",
}


@dataclass(frozen=True)
class Period:
    """A closed date interval; both ends belong to the period."""

    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def school_year_of(day: date) -> Period:
    """Return the Danish school year (1 August to 31 July) that holds `day`."""
    first_year = day.year if day.month >= 8 else day.year - 1
    return Period(date(first_year, 8, 1), date(first_year + 1, 7, 31))


@dataclass(frozen=True)
class Section:
    """One part of the plan document.

    `get_context(pupil, period, audience)` returns the template context and must
    make a fixed number of queries, whatever the pupil's history holds.
    `template` renders the section in the page and in the PDF alike; it gets the
    context as `section` and a flag `for_pdf`. `versions` names the pupil's
    version fields that rise whenever the section's content changes; the plan
    page caches the section under them (see schoolplan/plan_cache.py).
    """

    key: str
    title: str | Promise
    template: str
    order: int
    get_context: Callable
    audiences: frozenset = EVERYONE
    on_front_page: bool = True
    versions: tuple[str, ...] = ("front_version",)

    def visible_to(self, audience: str) -> bool:
        return audience in self.audiences


_registry: dict[str, Section] = {}


def register(section: Section) -> None:
    """Add a section; registering the same key again replaces it (for reloads)."""
    _registry[section.key] = section


def unregister(key: str) -> None:
    """Remove a section if it is registered; tests use it to clean up."""
    _registry.pop(key, None)


def sections_for(audience: str, *, front_page_only: bool = False) -> list[Section]:
    chosen = [
        section
        for section in _registry.values()
        if section.visible_to(audience)
        and (section.on_front_page or not front_page_only)
    ]
    return sorted(chosen, key=lambda section: section.order)


def render_context(pupil, period: Period, audience: str, *, front_page_only=False):
    """Return (section, context) pairs ready for a template to loop over."""
    return [
        (section, section.get_context(pupil, period, audience))
        for section in sections_for(audience, front_page_only=front_page_only)
    ]
