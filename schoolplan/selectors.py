"""Reads for the school plan's pages. Each makes a fixed number of queries."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from schoolplan import sql_rows
from schoolplan.access import visible_pupils
from schoolplan.models import (
    Amendment,
    Area,
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


# A page of the unfiltered log, newest first, as `log_entry_rows` orders it.
# Through the ORM, with the entries' author, goal and striker joined, reading a
# page of 25 took about four times as long (cProfile of bench/absence_pages.py),
# mostly compiling and building the related rows.
_LOG_PAGE_SQL = """
SELECT entry.* FROM {entry_table} entry
WHERE entry.pupil_id = %s
ORDER BY entry.concerns_date DESC, entry.created_at DESC, entry.id DESC
LIMIT %s OFFSET %s
"""


class UnfilteredLog:
    """The pupil's whole log for a Paginator, which reads each page in plain SQL.

    `entry_count` is the number of the pupil's entries, counted by the caller.
    The entries come without their related rows: `prefetch_log_details` loads
    them for the entries whose cards are rendered.
    """

    def __init__(self, pupil: Pupil, entry_count: int):
        self.pupil = pupil
        self.entry_count = entry_count

    def count(self) -> int:
        return self.entry_count

    def __len__(self) -> int:
        return self.entry_count

    def __getitem__(self, window: slice) -> list[Entry]:
        start = window.start or 0
        if window.stop <= start:
            return []

        sql = _LOG_PAGE_SQL.format(entry_table=Entry._meta.db_table)
        return list(Entry.objects.raw(sql, [self.pupil.pk, window.stop - start, start]))


def prefetch_log_details(entries: list[Entry]) -> None:
    """Load what the cards of `entries` show besides the entries' own fields.

    The author, goal and striker are read only for entries that lack them, so
    this makes two queries (areas and amendments) for entries read with
    `log_entry_rows`, and up to three more for others.
    """
    prefetch_related_objects(entries, "author", "goal", "struck_by")
    if connection.vendor != "postgresql":
        # The ORM's converters turn SQLite's text dates into dates.
        prefetch_related_objects(entries, *_log_details())
    elif entries:
        _prefetch_areas_and_amendments(entries)


# The areas and the amendments (with their authors) of the entries whose cards
# the plan page renders. Through the ORM's prefetching, these two queries took
# longer to compile than to run (cProfile of bench/absence_pages.py).
_ENTRY_AREAS_SQL = """
SELECT link.entry_id, {area_columns}
FROM {link_table} link
JOIN {area_table} area ON area.id = link.area_id
WHERE link.entry_id = ANY(%s)
ORDER BY area.position, area.id
"""
_ENTRY_AMENDMENTS_SQL = """
SELECT {amendment_columns}, {author_columns}
FROM {amendment_table} amendment
JOIN {user_table} author ON author.id = amendment.author_id
WHERE amendment.entry_id = ANY(%s)
ORDER BY amendment.created_at, amendment.id
"""


def _prefetch_areas_and_amendments(entries: list[Entry]) -> None:
    """Store each entry's areas and amendments as `prefetch_related` does."""
    user_model = get_user_model()
    entry_ids = [entry.pk for entry in entries]
    areas = {entry.pk: [] for entry in entries}
    amendments = {entry.pk: [] for entry in entries}
    with connection.cursor() as cursor:
        cursor.execute(
            _ENTRY_AREAS_SQL.format(
                area_columns=sql_rows.columns(Area, "area"),
                link_table=Entry.areas.through._meta.db_table,
                area_table=Area._meta.db_table,
            ),
            [entry_ids],
        )
        for entry_id, *area_row in cursor.fetchall():
            areas[entry_id].append(sql_rows.instances(area_row, (Area,))[0])
        cursor.execute(
            _ENTRY_AMENDMENTS_SQL.format(
                amendment_columns=sql_rows.columns(Amendment, "amendment"),
                author_columns=sql_rows.columns(user_model, "author"),
                amendment_table=Amendment._meta.db_table,
                user_table=user_model._meta.db_table,
            ),
            [entry_ids],
        )
        for row in cursor.fetchall():
            amendment, author = sql_rows.instances(row, (Amendment, user_model))
            amendment.author = author
            amendments[amendment.entry_id].append(amendment)

    for entry in entries:
        amendment_list = amendments[entry.pk]
        for amendment in amendment_list:
            amendment.entry = entry
        _store_prefetched(entry, "areas", areas[entry.pk])
        _store_prefetched(entry, "amendments", amendment_list)


def _store_prefetched(instance, name: str, objects: list) -> None:
    # As Django's prefetch_related_objects stores a relation's rows (Django 5.2),
    # so that `instance.<name>.all()` returns them without a query.
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


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


# The entries are counted before the join, so PostgreSQL groups author ids, not
# whole user rows (the ORM grouped by every column of the user).
_LOG_AUTHORS_SQL = """
SELECT author.*, written.entry_count
FROM (
    SELECT entry.author_id, count(*) AS entry_count
    FROM {entry_table} entry
    WHERE entry.pupil_id = %s
    GROUP BY entry.author_id
) written
JOIN {user_table} author ON author.id = written.author_id
ORDER BY author.first_name, author.last_name, author.id
"""


def log_authors(pupil: Pupil) -> list:
    """Return the staff who have written in the pupil's log, for the author filter.

    Each has `entry_count`, the number of the pupil's entries they wrote.
    """
    user_model = get_user_model()
    sql = _LOG_AUTHORS_SQL.format(
        user_table=user_model._meta.db_table, entry_table=Entry._meta.db_table
    )
    return list(user_model.objects.raw(sql, [pupil.pk]))


def area_rows() -> list[tuple]:
    """Return (id, code, position) of every area, in the areas' order. One query.

    Plain SQL, which the log's filter card reads on every miss of its part.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, code, position FROM {Area._meta.db_table} "
            "ORDER BY position, id"
        )
        return cursor.fetchall()


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
