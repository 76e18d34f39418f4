"""The absence app's plan sections: the absence summary and the successes."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absence import selectors
from absence.figures import FiguresNeedPostgreSQL
from schoolplan.sections import ENTRY_SHARING_FIELD, Audience, Section, register

# Both sections go to every audience: the municipality, the caseworker and the
# parents all receive the absence figures, the chart and the successes (whose
# text follows the sharing of their log entries).
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

    # What happened is written like a log entry and may name other pupils. So an
    # outside audience gets it only where the success's entry is shared with
    # that audience. The date, pattern and area always go out.
    for success in summary.latest:
        success.text_shown = audience == Audience.INTERNAL or (
            success.entry is not None
            and not success.entry.is_struck
            and getattr(success.entry, ENTRY_SHARING_FIELD[audience])
        )
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
            # The figures change with every registration, the rest of the front
            # page far less often, so the plan page caches them apart.
            versions=("absence_version",),
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
