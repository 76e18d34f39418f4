"""The parts of the intake interview, and how their values read as text.

The form page, the services and the printed interview all take the list of
sections and their fields from here, so a field added to a section shows up
in all three.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from intake.models import ABSENCE_FUNCTIONS

EMPTY = "–"


@dataclass(frozen=True)
class InterviewSection:
    """A part of the interview that is saved on its own, from fields on `Intake`."""

    key: str
    title: str | Promise
    fields: tuple[str, ...]
    long_fields: tuple[str, ...] = ()


MEETING = InterviewSection(
    "meeting",
    _("The interview"),
    (
        "held_on",
        "led_by",
        "pupil_took_part",
        "guardians_took_part",
        "caseworker_took_part",
        "other_participants",
    ),
)
PUPIL_VIEW = InterviewSection(
    "pupil_view",
    _("The pupil's view"),
    ("what_is_hard", "what_helps", "interests_strengths", "pupil_hopes"),
    long_fields=("what_is_hard", "what_helps", "interests_strengths", "pupil_hopes"),
)
FAMILY_VIEW = InterviewSection(
    "family_view",
    _("The family's view"),
    ("family_hopes", "mornings_sleep"),
    long_fields=("family_hopes", "mornings_sleep"),
)
LAST_SCHOOL_ABSENCE = InterviewSection(
    "absence",
    _("Absence at the last school"),
    (
        "last_school_absence_percent",
        "last_school_absence_from",
        "last_school_absence_to",
        "last_school_absence_source",
        "last_school_absence_reference",
    ),
)
ABSENCE_FUNCTIONS_SECTION = InterviewSection(
    "functions",
    _("What keeps the absence going"),
    tuple(
        name
        for stem, _label in ABSENCE_FUNCTIONS
        for name in (f"{stem}_rating", f"{stem}_reason")
    ),
    long_fields=tuple(f"{stem}_reason" for stem, _label in ABSENCE_FUNCTIONS),
)

# Sections whose fields live on the Intake row, in the order of the interview.
FIELD_SECTIONS = {
    section.key: section
    for section in (
        MEETING,
        PUPIL_VIEW,
        FAMILY_VIEW,
        LAST_SCHOOL_ABSENCE,
        ABSENCE_FUNCTIONS_SECTION,
    )
}

# Keys of the sections that are lists of rows or scores rather than fields.
PLACEMENTS = "placements"
SCALES = "scales"
GOALS = "goals"

SECTION_TITLES = {key: section.title for key, section in FIELD_SECTIONS.items()} | {
    PLACEMENTS: _("School history"),
    SCALES: _("Scaled questions"),
    GOALS: _("First goals"),
}

PLACEMENT_FIELDS = (
    "name",
    "kind",
    "started_on",
    "ended_on",
    "grade_from",
    "grade_to",
    "why_ended",
    "absence_percent",
    "absence_description",
    "pupil_account",
    "records_account",
    "records_source",
    "records_reference",
)
GOAL_FIELDS = (
    "area",
    "title",
    "success_criteria",
    "actions",
    "responsible",
    "review_date",
)


def field_label(model: type[models.Model], name: str) -> str:
    """Return the label a reader of the interview needs for a field.

    The rating and reason of an absence function are labelled with the
    function, since "weight" alone is unclear in a list of changes.
    """
    label = str(model._meta.get_field(name).verbose_name)
    for stem, function_label in ABSENCE_FUNCTIONS:
        if name.startswith(f"{stem}_"):
            return f"{function_label}: {label}"
    return label[:1].upper() + label[1:]


def format_value(field: models.Field, value) -> str:
    """Return a stored value as the interview shows it, or a dash when empty."""
    if value is None or value == "":
        return EMPTY
    if field.many_to_many:
        names = [str(item) for item in value]
        return ", ".join(names) if names else EMPTY
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if hasattr(value, "get_full_name"):
        return value.get_full_name() or value.get_username()
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, date):
        return formats.date_format(value, "j. F Y")
    if isinstance(value, Decimal):
        return formats.number_format(value.normalize(), use_l10n=True)
    return str(value)


def display_value(instance: models.Model, name: str) -> str:
    field = instance._meta.get_field(name)
    value = getattr(instance, name)
    if field.many_to_many:
        value = value.all()
    return format_value(field, value)


@dataclass(frozen=True)
class DisplayRow:
    label: str
    value: str
    is_long: bool


def display_rows(instance: models.Model, names, long_fields=()) -> list[DisplayRow]:
    """Return label and text of each field, for read-only pages."""
    return [
        DisplayRow(
            field_label(type(instance), name),
            display_value(instance, name),
            name in long_fields,
        )
        for name in names
    ]
