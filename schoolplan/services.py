"""Writes to the school plan; each function validates first, inside a transaction."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schoolplan import roles
from schoolplan.audit import record_access
from schoolplan.models import (
    AccessLogEntry,
    Amendment,
    Area,
    Entry,
    FrontPage,
    Goal,
    GoalReview,
    Pupil,
    VersionedModel,
)

CORRECTION_DAY_PASSED = _(
    "The entry can only be corrected on the day it was written. "
    "Write an amendment instead."
)
STRUCK_ENTRY_LOCKED = _("The entry is struck through and can no longer be amended.")
CORRECTION_NOT_AUTHOR = _("Only the author can correct an entry.")
ENTRY_ALREADY_STRUCK = _("The entry is already struck through.")
STRIKE_REASON_MISSING = _("Write why the entry is struck through.")
AMEND_NOT_ALLOWED = _(
    "Only the author, coordinators and leadership may amend or strike entries."
)
GOAL_OF_OTHER_PUPIL = _("The goal belongs to another pupil.")

# An identical entry by the same author within this window is taken as the
# same form sent again, not as a new entry.
REPEATED_SUBMISSION_WINDOW = timedelta(minutes=2)


class StaleEditError(Exception):
    """Someone else saved the row after the editor loaded it.

    `current` is the row as it is now, so the view can show both versions.
    """

    def __init__(self, current):
        super().__init__("The row was changed by someone else.")
        self.current = current


def _check_goal(pupil: Pupil, goal: Goal | None) -> None:
    if goal is not None and goal.pupil_id != pupil.pk:
        raise ValidationError({"goal": GOAL_OF_OTHER_PUPIL})


def may_amend(entry: Entry, user) -> bool:
    """Amending and striking through is for the author, coordinators and leadership."""
    return entry.author_id == user.pk or roles.sees_whole_school(user)


def entry_is_correctable(entry: Entry, user, today: date | None = None) -> bool:
    """True on the Copenhagen day the entry was written, for its author only."""
    today = today or timezone.localdate()
    return (
        entry.author_id == user.pk
        and not entry.is_struck
        and timezone.localdate(entry.created_at) == today
    )


def lock_pupil(pupil: Pupil) -> None:
    """Lock the pupil's row until the transaction ends, serialising its saves."""
    Pupil.objects.select_for_update().filter(pk=pupil.pk).exists()


def _repeated_entry(fields: dict, area_ids: set[int]) -> Entry | None:
    """Return an entry saved recently with these `fields` and areas, if any."""
    candidates = Entry.objects.filter(
        struck_at__isnull=True,
        created_at__gte=timezone.now() - REPEATED_SUBMISSION_WINDOW,
        **fields,
    ).prefetch_related("areas")
    for candidate in candidates:
        if {area.pk for area in candidate.areas.all()} == area_ids:
            return candidate
    return None


@transaction.atomic
def entry_create(
    *,
    pupil: Pupil,
    author,
    kind: str,
    text: str,
    concerns_date: date,
    areas: Iterable[Area] = (),
    goal: Goal | None = None,
    shared_with_parents: bool = False,
    shared_with_caseworker: bool = False,
    shared_with_municipality: bool = False,
    reuse_repeated: bool = True,
) -> Entry:
    """Write an entry to the pupil's running log.

    With `reuse_repeated`, an entry identical in every field the form sets,
    saved by the same author within REPEATED_SUBMISSION_WINDOW, is taken as
    the same form sent twice and returned instead of a new one.
    """
    _check_goal(pupil, goal)
    areas = list(areas)

    fields = {
        "pupil": pupil,
        "author": author,
        "kind": kind,
        "text": text,
        "concerns_date": concerns_date,
        "goal": goal,
        "shared_with_parents": shared_with_parents,
        "shared_with_caseworker": shared_with_caseworker,
        "shared_with_municipality": shared_with_municipality,
    }
    # A form sent twice (a double click, or a retry on a slow network) must not
    # write the entry twice. The pupil's row lock serialises concurrent saves,
    # so the second one finds the first and returns it.
    lock_pupil(pupil)
    if reuse_repeated:
        repeated = _repeated_entry(fields, {area.pk for area in areas})
        if repeated:
            return repeated

    entry = Entry(**fields)
    entry.full_clean()
    entry.save()
    entry.areas.set(areas)

    record_access(
        author,
        AccessLogEntry.Action.CHANGE,
        pupil=pupil,
        what=_("entry %(id)s written") % {"id": entry.pk},
    )
    return entry


@transaction.atomic
def entry_correct(*, entry: Entry, user, areas: Iterable[Area] = (), **fields) -> Entry:
    """Change an entry in place; allowed only for its author on the day it was written.

    django-simple-history keeps the text as it was before the correction.
    """
    if entry.author_id != user.pk:
        raise PermissionDenied(CORRECTION_NOT_AUTHOR)
    if not entry_is_correctable(entry, user):
        raise ValidationError(CORRECTION_DAY_PASSED)

    _check_goal(entry.pupil, fields.get("goal"))

    for name, value in fields.items():
        setattr(entry, name, value)
    entry.edited_at = timezone.now()
    entry.full_clean()
    entry.save()
    entry.areas.set(areas)

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=entry.pupil,
        what=_("entry %(id)s corrected") % {"id": entry.pk},
    )
    return entry


@transaction.atomic
def entry_amend(*, entry: Entry, author, text: str) -> Amendment:
    if not may_amend(entry, author):
        raise PermissionDenied(AMEND_NOT_ALLOWED)
    if entry.is_struck:
        raise ValidationError(STRUCK_ENTRY_LOCKED)

    amendment = Amendment(entry=entry, author=author, text=text)
    amendment.full_clean()
    amendment.save()

    record_access(
        author,
        AccessLogEntry.Action.CHANGE,
        pupil=entry.pupil,
        what=_("entry %(id)s amended") % {"id": entry.pk},
    )
    return amendment


@transaction.atomic
def entry_strike(*, entry: Entry, user, reason: str) -> Entry:
    """Strike a mistaken entry through. The entry and its text are kept."""
    if not may_amend(entry, user):
        raise PermissionDenied(AMEND_NOT_ALLOWED)
    if not reason.strip():
        raise ValidationError({"strike_reason": STRIKE_REASON_MISSING})

    locked = Entry.objects.select_for_update().get(pk=entry.pk)
    if locked.is_struck:
        raise ValidationError(ENTRY_ALREADY_STRUCK)

    locked.struck_at = timezone.now()
    locked.struck_by = user
    locked.strike_reason = reason.strip()
    locked.save(update_fields=["struck_at", "struck_by", "strike_reason"])

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=entry.pupil,
        what=_("entry %(id)s struck through") % {"id": entry.pk},
    )
    return locked


def save_versioned(instance: VersionedModel, *, expected_version: int, user) -> None:
    """Save an existing versioned row only if nobody saved it since it was loaded.

    The check is an UPDATE ... WHERE version = expected, which also locks the row
    until the transaction ends, so of two simultaneous saves the second finds the
    new version and fails. Raises StaleEditError with the row as it is now.
    """
    model = type(instance)
    instance.full_clean(exclude=["version"])

    with transaction.atomic():
        updated = model.objects.filter(pk=instance.pk, version=expected_version).update(
            version=F("version") + 1
        )
        if updated == 0:
            raise StaleEditError(model.objects.get(pk=instance.pk))

        # save() rather than update() so django-simple-history records the change.
        instance.version = expected_version + 1
        instance.updated_by = user
        instance.save()


@transaction.atomic
def front_page_save(
    *, pupil: Pupil, user, overview: str, resources: str, expected_version: int
) -> FrontPage:
    """Save the overview and resources.

    `expected_version` 0 means the editor saw no front page yet.
    """
    front_page, created = FrontPage.objects.get_or_create(
        pupil=pupil, defaults={"version": 0, "updated_by": user}
    )
    front_page.overview = overview
    front_page.resources = resources
    save_versioned(front_page, expected_version=expected_version, user=user)

    record_access(
        user, AccessLogEntry.Action.CHANGE, pupil=pupil, what=str(_("front page"))
    )
    return front_page


@transaction.atomic
def versioned_create(instance: VersionedModel, *, user) -> VersionedModel:
    instance.updated_by = user
    instance.full_clean()
    instance.save()

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=instance.pupil,
        what=_("%(kind)s %(id)s created")
        % {"kind": instance._meta.verbose_name, "id": instance.pk},
    )
    return instance


def versioned_update(instance: VersionedModel, *, expected_version: int, user) -> None:
    save_versioned(instance, expected_version=expected_version, user=user)

    record_access(
        user,
        AccessLogEntry.Action.CHANGE,
        pupil=instance.pupil,
        what=_("%(kind)s %(id)s changed")
        % {"kind": instance._meta.verbose_name, "id": instance.pk},
    )


@transaction.atomic
def goal_review_create(
    *,
    goal: Goal,
    author,
    text: str,
    status: str,
    reviewed_on: date,
    entries: Iterable[Entry] = (),
) -> GoalReview:
    """Record a review and move the goal to the status the review concluded."""
    entries = list(entries)
    if any(entry.pupil_id != goal.pupil_id for entry in entries):
        raise ValidationError({"entries": GOAL_OF_OTHER_PUPIL})

    review = GoalReview(
        goal=goal, author=author, text=text, status=status, reviewed_on=reviewed_on
    )
    review.full_clean()
    review.save()
    review.entries.set(entries)

    Goal.objects.filter(pk=goal.pk).update(
        status=status,
        version=F("version") + 1,
        updated_by=author,
        updated_at=timezone.now(),
    )

    record_access(
        author,
        AccessLogEntry.Action.CHANGE,
        pupil=goal.pupil,
        what=_("goal %(id)s reviewed") % {"id": goal.pk},
    )
    return review
