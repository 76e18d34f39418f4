"""The school plan's own sections of the plan document."""

from django.utils.translation import gettext_lazy as _

from schoolplan import selectors
from schoolplan.sections import ENTRY_SHARING_FIELD, Audience, Section, register


def _pupil_details(pupil, period, audience):
    return {"pupil": pupil, "guardians": list(pupil.guardians.all())}


def _overview(pupil, period, audience):
    return {"front_page": selectors.front_page(pupil)}


def _challenges(pupil, period, audience):
    return {"challenges": list(selectors.open_challenges(pupil))}


def _goals(pupil, period, audience):
    return {"goals": list(selectors.goals_with_reviews(pupil, current_only=True))}


def _status_note(pupil, period, audience):
    # An outside audience gets the newest note shared with it, even when a
    # newer one stays internal.
    shared_field = ENTRY_SHARING_FIELD.get(audience, "")
    return {"note": selectors.latest_status_note(pupil, shared_field=shared_field)}


def _log(pupil, period, audience):
    return {
        "entries": list(selectors.entries_for_audience(pupil, audience, period)),
        "period": period,
        # Only the internal version says who each entry is shared with.
        "show_sharing": audience == Audience.INTERNAL,
    }


def register_sections() -> None:
    register(
        Section(
            "pupil", _("Pupil"), "schoolplan/sections/pupil.html", 10, _pupil_details
        )
    )
    register(
        Section(
            "overview",
            _("Overview"),
            "schoolplan/sections/overview.html",
            20,
            _overview,
        )
    )
    register(
        Section(
            "challenges",
            _("Challenges"),
            "schoolplan/sections/challenges.html",
            30,
            _challenges,
        )
    )
    register(Section("goals", _("Goals"), "schoolplan/sections/goals.html", 40, _goals))
    register(
        Section(
            "status_note",
            _("Latest status note"),
            "schoolplan/sections/status_note.html",
            50,
            _status_note,
        )
    )
    register(
        Section(
            "log",
            _("Running log"),
            "schoolplan/sections/log.html",
            900,
            _log,
            on_front_page=False,
        )
    )
