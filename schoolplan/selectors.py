"""Reads for the school plan's pages. Each makes a fixed number of queries."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects

from schoolplan.access import visible_pupils
from schoolplan.models import (
    Amendment,
    Challenge,
    Entry,
    FrontPage,
    Goal,
    GoalReview,
    Pupil,
)
from schoolplan.sections import ENTRY_SHARING_FIELD, Audience, Period


def pupil_list(
    user, *, search: str = "", group_id: int | None = None
) -> QuerySet[Pupil]:
    pupils = visible_pupils(user).select_related("group", "contact_teacher")

    for word in search.split()[:5]:
        pupils = pupils.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    if group_id is not None:
        pupils = pupils.filter(group_id=group_id)

    return pupils.order_by("first_name", "last_name", "pk")


@dataclass
class LogFilter:
    kind: str = ""
    area_id: int | None = None
    author_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def is_active(self) -> bool:
        return bool(
            self.kind
            or self.area_id
            or self.author_id
            or self.date_from
            or self.date_to
        )


def log_entries(pupil: Pupil, log_filter: LogFilter | None = None) -> QuerySet[Entry]:
    """Return the pupil's entries, newest first, with what the log shows prefetched."""
    return log_entry_rows(pupil, log_filter).prefetch_related(*_log_details())


def log_entry_rows(pupil: Pupil, log_filter: LogFilter | None) -> QuerySet[Entry]:
    """Return the pupil's entries, newest first, without their areas and amendments.

    The plan page renders only the entry cards its cache lacks, and loads the
    rest of those entries with `prefetch_log_details`.
    """
    entries = (
        Entry.objects.filter(pupil=pupil)
        .select_related("author", "goal", "struck_by")
        .order_by("-concerns_date", "-created_at", "-pk")
    )
    return _filtered(entries, log_filter)


def prefetch_log_details(entries: list[Entry]) -> None:
    """Load the areas and amendments of `entries`. Two queries."""
    prefetch_related_objects(entries, *_log_details())


def _log_details():
    return (
        "areas",
        Prefetch("amendments", queryset=Amendment.objects.select_related("author")),
    )


def _filtered(entries: QuerySet[Entry], log_filter: LogFilter | None):
    if log_filter is None:
        return entries

    if log_filter.kind:
        entries = entries.filter(kind=log_filter.kind)
    if log_filter.area_id:
        entries = entries.filter(areas__id=log_filter.area_id)
    if log_filter.author_id:
        entries = entries.filter(author_id=log_filter.author_id)
    if log_filter.date_from:
        entries = entries.filter(concerns_date__gte=log_filter.date_from)
    if log_filter.date_to:
        entries = entries.filter(concerns_date__lte=log_filter.date_to)

    return entries


def entries_for_audience(
    pupil: Pupil, audience: str, period: Period
) -> QuerySet[Entry]:
    """Return the entries of a period that may go to `audience`.

    Internal documents get every entry; an outside audience only the entries
    flagged for it, and never a struck-through one.
    """
    entries = log_entries(pupil).filter(
        concerns_date__gte=period.start, concerns_date__lte=period.end
    )
    if audience == Audience.INTERNAL:
        return entries

    return entries.filter(
        **{ENTRY_SHARING_FIELD[audience]: True}, struck_at__isnull=True
    )


def log_authors(pupil: Pupil):
    """Return the staff who have written in the pupil's log, for the author filter."""
    return (
        get_user_model()
        .objects.filter(entries__pupil=pupil)
        .annotate(entry_count=Count("entries"))
        .order_by("first_name", "last_name")
    )


def front_page(pupil: Pupil) -> FrontPage:
    """Return the pupil's front page, or an unsaved empty one if none was written."""
    return FrontPage.objects.filter(pupil=pupil).select_related(
        "updated_by"
    ).first() or (FrontPage(pupil=pupil, version=0))


def open_challenges(pupil: Pupil) -> QuerySet[Challenge]:
    return (
        Challenge.objects.filter(pupil=pupil)
        .exclude(status=Challenge.Status.RESOLVED)
        .select_related("area")
    )


def goals_with_reviews(pupil: Pupil, *, current_only: bool) -> list[Goal]:
    """Return the pupil's top-level goals with sub-goals and reviews attached.

    Three queries whatever the number of goals: goals, reviews and the
    entries that bear the reviews out. Each goal gets `sub_goal_list` and
    `review_list` (newest review first).
    """
    goals = list(Goal.objects.filter(pupil=pupil).select_related("area"))
    reviews = (
        GoalReview.objects.filter(goal__pupil=pupil)
        .select_related("author")
        .prefetch_related("entries")
        .order_by("-reviewed_on", "-pk")
    )

    reviews_by_goal = {}
    for review in reviews:
        reviews_by_goal.setdefault(review.goal_id, []).append(review)
    sub_goals = {}
    for goal in goals:
        goal.review_list = reviews_by_goal.get(goal.pk, [])
        if goal.parent_id is not None:
            sub_goals.setdefault(goal.parent_id, []).append(goal)

    top_level = [goal for goal in goals if goal.parent_id is None]
    for goal in top_level:
        goal.sub_goal_list = sub_goals.get(goal.pk, [])
    if current_only:
        top_level = [goal for goal in top_level if goal.status == Goal.Status.ACTIVE]

    return top_level


def latest_status_note(pupil: Pupil, *, shared_field: str = "") -> Entry | None:
    """Return the newest status note not struck through.

    With `shared_field` (an entry's sharing flag), the newest one shared so.
    """
    notes = Entry.objects.filter(
        pupil=pupil, kind=Entry.Kind.STATUS_NOTE, struck_at__isnull=True
    )
    if shared_field:
        notes = notes.filter(**{shared_field: True})

    return (
        notes.select_related("author").order_by("-concerns_date", "-created_at").first()
    )
