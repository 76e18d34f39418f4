"""The absence app's plan sections: the absence summary and the successes."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absence import selectors
from absence.figures import FiguresNeedPostgreSQL
from schoolplan.sections import Audience, Section, register

# Both sections go to every audience: the municipality, the caseworker and the
# parents all receive the absence figures, the chart and the successes.
AUDIENCES = frozenset(
    {Audience.INTERNAL, Audience.MUNICIPALITY, Audience.CASEWORKER, Audience.PARENTS}
)


def _absence(pupil, period, audience):
    try:
        summary = selectors.absence_summary(pupil, period, timezone.localdate())
    except FiguresNeedPostgreSQL:
        return {"pupil": pupil, "unavailable": True}
    return {
        "pupil": pupil,
        "summary": summary,
        "is_internal": audience == Audience.INTERNAL,
    }


def _successes(pupil, period, audience):
    try:
        summary = selectors.success_summary(pupil, period, timezone.localdate())
    except FiguresNeedPostgreSQL:
        return {"pupil": pupil, "unavailable": True}
    return {"pupil": pupil, "summary": summary}


def register_sections() -> None:
    register(
        Section(
            "absence",
            _("Absence"),
            "absence/sections/absence.html",
            60,
            _absence,
            audiences=AUDIENCES,
        )
    )
    register(
        Section(
            "successes",
            _("Successes"),
            "absence/sections/successes.html",
            70,
            _successes,
            audiences=AUDIENCES,
        )
    )
