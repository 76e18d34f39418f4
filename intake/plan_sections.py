"""The intake's part of the plan document: baseline, follow-ups and progression."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake import selectors
from schoolplan.sections import OUTSIDE_PARENTS, Section, register


def _progression(pupil, period, audience):
    until = min(period.end, timezone.localdate())
    return {"progression": selectors.progression(pupil, until=until)}


def register_sections() -> None:
    # Parents are left out: the pupil's own scores are given in confidence to
    # the school, and the plan for parents carries goals and absence instead.
    register(
        Section(
            "progression",
            _("Intake baseline and progression"),
            "intake/sections/progression.html",
            60,
            _progression,
            audiences=OUTSIDE_PARENTS,
            # It shows the absence since the intake beside the intake's scores.
            versions=("front_version", "absence_version"),
        )
    )
