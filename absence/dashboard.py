"""The leadership dashboard, kept per pupil and brought up to date per change.

The dashboard adds up every pupil of the school: their flags, their attendance
per week and group, and the outreach contacts that concern them. Computing all
of it took about 170 ms of SQL for the 300 pupils of bench/absence_pages.py,
and one saved register changes it for ten of them. So each pupil's share (a
*piece*) is kept with the pupil's `absence_version`, which the PostgreSQL
triggers of `schoolplan.plan_cache` raise whenever the pupil's registrations,
outreach contacts, steps done, name, group, enrolment, the school calendar or the
absence rules change. A request computes the pieces of only those pupils whose
version moved, and corrects the school's sums by the difference.

The rendered rows of the flag and week tables are cached by their content, so
a changed pupil re-renders only the rows whose figures changed.
"""

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from absence import figures, flags, selectors
from absence.models import AbsenceRules, OutreachContact, Success
from schoolplan.models import Pupil, PupilGroup, School
from schoolplan.sections import Period

DASHBOARD_WEEKS = 12
FLAGGED_SHOWN = 40

# Each request checks every piece against its pupil's version, and computes a
# piece again once it is this old. So this limit bounds how long a change that
# the triggers miss takes to show, such as a staff member's new name on a step
# done (see schoolplan/plan_cache.py).
PIECES_SECONDS = 10 * 60
ROWS_SECONDS = 60 * 60


@dataclass(frozen=True)
class PupilPiece:
    """One pupil's share of the dashboard, as of the pupil's `version`.

    `pupil` contains the names shown, which the version also covers. `weeks`
    contains (week, group_id, sums) with sums in the order of
    `figures.SUM_NAMES`, and `outreach` contains (kind, counts) with counts in
    the order of `figures.OUTREACH_COUNT_NAMES`. `computed_at` is the
    `time.time()` at which its queries started.
    """

    version: int
    pupil: "DashboardPupil"
    flags: tuple = ()
    weeks: tuple = ()
    outreach: tuple = ()
    computed_at: float = 0.0

    def is_current(self, version: int, now: float) -> bool:
        return self.version == version and now - self.computed_at <= PIECES_SECONDS


@dataclass(frozen=True)
class DashboardPupil:
    pk: int
    full_name: str
    group_name: str


@dataclass
class FlaggedPupil:
    pupil: DashboardPupil
    open_flags: list
    done_flags: list


@dataclass
class Dashboard:
    period: Period
    weeks: list
    groups: list
    flagged: list
    successes: list
    outreach_total: figures.OutreachFigures | None
    outreach_per_kind: list
    today: date


def _digest(value) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()


def _rules_stamp(rules: AbsenceRules) -> str:
    return _digest(
        [getattr(rules, field.attname) for field in rules._meta.concrete_fields]
    )


def first_week_of(period: Period, today: date) -> date:
    """Return the Monday that starts the dashboard's weeks."""
    first = max(period.start, today - timedelta(weeks=DASHBOARD_WEEKS))
    return first - timedelta(days=first.weekday())


@dataclass(frozen=True)
class _Totals:
    """The school's pieces as of one day, and their sums.

    `weeks` maps (week, group_id) to the sums of `figures.SUM_NAMES`, with
    group_id None for the whole school. `outreach` maps a kind to the counts
    of `figures.OUTREACH_COUNT_NAMES`. Requests running at the same time may
    share a _Totals, so it is never changed: `updated` returns a new one.
    """

    key: str
    pieces: dict
    weeks: dict
    outreach: dict

    def updated(self, fresh: dict[int, PupilPiece], removed) -> "_Totals":
        pieces = dict(self.pieces)
        weeks = {key: list(sums) for key, sums in self.weeks.items()}
        outreach = {kind: list(counts) for kind, counts in self.outreach.items()}
        for pupil_id in [*removed, *fresh]:
            old = pieces.pop(pupil_id, None)
            if old is not None:
                _count(old, weeks, outreach, sign=-1)
        for pupil_id, piece in fresh.items():
            pieces[pupil_id] = piece
            _count(piece, weeks, outreach, sign=1)
        return _Totals(
            key=self.key,
            pieces=pieces,
            # A week or kind with nothing left in it is no longer shown.
            weeks={key: sums for key, sums in weeks.items() if sums[0]},
            outreach={kind: counts for kind, counts in outreach.items() if counts[0]},
        )

    @cached_property
    def flagged(self) -> list[FlaggedPupil]:
        """Return the pupils with a flag, the most serious open step first."""
        flagged = [
            FlaggedPupil(
                piece.pupil,
                [flag for flag in piece.flags if not flag.is_done],
                [flag for flag in piece.flags if flag.is_done],
            )
            for piece in self.pieces.values()
            if piece.flags
        ]

        def severity(entry: FlaggedPupil):
            kinds = [flags.SEVERITY.index(flag.kind) for flag in entry.open_flags]
            return (
                min(kinds, default=len(flags.SEVERITY)),
                entry.pupil.full_name,
                entry.pupil.pk,
            )

        return sorted(flagged, key=severity)

    def week_rows(self, groups: list[PupilGroup]) -> list[tuple]:
        """Return (week, school sums, sums per group or None), latest week first."""
        return [
            (
                week,
                tuple(self.weeks[week, None]),
                tuple(
                    tuple(self.weeks[week, group.pk])
                    if (week, group.pk) in self.weeks
                    else None
                    for group in groups
                ),
            )
            for week in sorted(
                (week for week, group_id in self.weeks if group_id is None),
                reverse=True,
            )
        ]


def _count(piece: PupilPiece, weeks: dict, outreach: dict, *, sign: int) -> None:
    sums_size, counts_size = len(figures.SUM_NAMES), len(figures.OUTREACH_COUNT_NAMES)
    for week, group_id, sums in piece.weeks:
        targets = [(week, None)] + ([(week, group_id)] if group_id is not None else [])
        for target in targets:
            totals = weeks.setdefault(target, [0] * sums_size)
            for index, value in enumerate(sums):
                totals[index] += sign * value
    for kind, counts in piece.outreach:
        totals = outreach.setdefault(kind, [0] * counts_size)
        for index, value in enumerate(counts):
            totals[index] += sign * value


# The totals per school, in this process. Loading 300 pieces from the cache
# would cost more than the whole page may take. Each request checks every piece
# against its pupil's version, so another process's writes still show.
_totals: dict[int, _Totals] = {}


def forget_totals() -> None:
    """Drop this process's totals, so the next request computes every piece."""
    _totals.clear()


def _context_key(rules: AbsenceRules, period: Period, today: date) -> str:
    """Return what every piece depends on besides its pupil: the day and the rules."""
    first_week = first_week_of(period, today)
    return (
        f"{today.isoformat()}:{period.start.isoformat()}:{first_week.isoformat()}:"
        f"{_rules_stamp(rules)}"
    )


def _piece_key(school_id: int, context_key: str, pupil_id: int, version: int) -> str:
    return f"absence:dashboard-piece:{school_id}:{context_key}:{pupil_id}:{version}"


def _store_pieces(school_id: int, context_key: str, pieces: dict) -> None:
    cache.set_many(
        {
            _piece_key(school_id, context_key, pupil_id, piece.version): piece
            for pupil_id, piece in pieces.items()
        },
        PIECES_SECONDS,
    )


def _pupils(queryset) -> dict:
    """Return {pupil_id: (absence_version, DashboardPupil)} for a queryset of pupils."""
    return {
        pupil_id: (version, DashboardPupil(pupil_id, f"{first} {last}", group or ""))
        for pupil_id, version, first, last, group in queryset.values_list(
            "pk", "absence_version", "first_name", "last_name", "group__name"
        )
    }


def school_totals(
    school: School, rules: AbsenceRules, period: Period, today: date, versions: dict
) -> _Totals:
    """Return the school's totals for `versions` ({pupil_id: absence_version}).

    Pieces whose version still matches and that are at most PIECES_SECONDS
    old are kept. The others come from the cache, where a write may have put
    them (`prepare_pieces`), or are computed in three queries, however many
    pupils they concern. The sums follow.
    """
    key = _context_key(rules, period, today)
    totals = _totals.get(school.pk)
    if totals is None or totals.key != key:
        totals = _Totals(key, {}, {}, {})

    now = time.time()
    stale_ids = [
        pupil_id
        for pupil_id, version in versions.items()
        if pupil_id not in totals.pieces
        or not totals.pieces[pupil_id].is_current(version, now)
    ]
    removed = [pupil_id for pupil_id in totals.pieces if pupil_id not in versions]
    if not stale_ids and not removed:
        return totals

    ready = cache.get_many(
        [
            _piece_key(school.pk, key, pupil_id, versions[pupil_id])
            for pupil_id in stale_ids
        ]
    )
    fresh = {
        piece.pupil.pk: piece
        for piece in ready.values()
        if piece.is_current(versions[piece.pupil.pk], now)
    }
    missing_ids = [pupil_id for pupil_id in stale_ids if pupil_id not in fresh]
    if missing_ids:
        # A piece carries its pupil's names, so only these pupils' are read,
        # with their versions again.
        missing = _pupils(Pupil.objects.filter(school=school, pk__in=missing_ids))
        computed = _compute_pieces(
            rules,
            period,
            today,
            missing,
            # The whole school in one go costs no more than naming every pupil.
            whole_school=len(missing) == len(versions),
        )
        _store_pieces(school.pk, key, computed)
        fresh.update(computed)

    totals = totals.updated(fresh, removed)
    _totals[school.pk] = totals
    return totals


def refresh_on_commit(school_id: int, pupil_ids) -> None:
    """Prepare the changed pupils' pieces once the current transaction commits.

    The register, reasons, outreach contacts and steps done call this, so the
    dashboard that follows finds the pieces in the cache and runs no figures
    query. A failure is logged and leaves the dashboard to compute the pieces.

    NOTE: the cache lives in each worker's memory, so only a dashboard served
    by the worker that saved finds the pieces ready. Other workers compute
    them, which bench/absence_pages.py measured at about 25 ms for a group of
    ten ("saved elsewhere").
    """
    pupil_ids = list(pupil_ids)
    transaction.on_commit(lambda: prepare_pieces(school_id, pupil_ids), robust=True)


def prepare_pieces(school_id: int, pupil_ids: list[int]) -> None:
    """Compute the pieces of the given pupils as of now, and cache them."""
    if connection.vendor != "postgresql" or not pupil_ids:
        return
    today = timezone.localdate()
    rules = figures.rules_for(school_id)
    period = selectors.school_year_period(school_id, today)
    pupils = _pupils(Pupil.objects.filter(school_id=school_id, pk__in=pupil_ids))
    pieces = _compute_pieces(rules, period, today, pupils, whole_school=False)
    _store_pieces(school_id, _context_key(rules, period, today), pieces)


def _compute_pieces(
    rules, period: Period, today: date, pupils: dict, *, whole_school: bool
) -> dict[int, PupilPiece]:
    """Compute the pieces of `pupils` ({pupil_id: (version, pupil)}). Three queries."""
    computed_at = time.time()
    pupil_ids = None if whole_school else list(pupils)
    school_flags, weeks, outreach = (
        defaultdict(list),
        defaultdict(list),
        defaultdict(list),
    )
    for flag in flags.flags_for(rules, today=today, pupil_ids=pupil_ids):
        school_flags[flag.pupil_id].append(flag)
    for row in figures.weekly_by_pupil(
        rules,
        start=first_week_of(period, today),
        end=today,
        today=today,
        pupil_ids=pupil_ids,
    ):
        weeks[row["pupil_id"]].append((row["week"], row["group_id"], row["sums"]))
    for row in figures.outreach_by_pupil(
        rules, contacts_from=period.start, today=today, pupil_ids=pupil_ids
    ):
        outreach[row["pupil_id"]].append((row["kind"], row["counts"]))

    return {
        pupil_id: PupilPiece(
            version=version,
            pupil=pupil,
            flags=tuple(school_flags[pupil_id]),
            weeks=tuple(weeks[pupil_id]),
            outreach=tuple(outreach[pupil_id]),
            computed_at=computed_at,
        )
        for pupil_id, (version, pupil) in pupils.items()
    }


def dashboard(school: School, today: date, *, rules, period: Period) -> Dashboard:
    """Return the leadership dashboard's data. A fixed number of queries."""
    # Raise even when no pupil needs a figures query, so SQLite always gets the
    # page that explains why.
    figures.require_postgresql()
    versions = dict(
        Pupil.objects.filter(school=school).values_list("pk", "absence_version")
    )
    totals = school_totals(school, rules, period, today, versions)
    groups = list(PupilGroup.objects.filter(school=school).order_by("name"))
    first_week = first_week_of(period, today)

    successes = list(
        Success.objects.filter(
            pupil__school=school, day__gte=first_week, day__lte=today
        )
        .annotate(week=TruncWeek("day"))
        .values("week")
        .annotate(count=Count("id"))
        .order_by("week")
    )
    outreach_total, outreach_per_kind = _outreach(totals.outreach)
    return Dashboard(
        period=period,
        weeks=totals.week_rows(groups),
        groups=groups,
        flagged=totals.flagged,
        successes=successes,
        outreach_total=outreach_total,
        outreach_per_kind=outreach_per_kind,
        today=today,
    )


def _outreach(outreach: dict):
    """Return the outreach figures for all kinds together, and per kind."""
    if not outreach:
        return None, []
    total = [sum(column) for column in zip(*outreach.values(), strict=True)]
    return figures.OutreachFigures(None, *total), [
        figures.OutreachFigures(kind, *counts)
        for kind, counts in sorted(outreach.items())
    ]


def _rendered_rows(template_name: str, rows: list, context_of, content_of) -> list:
    """Render `rows` with a row template, reusing rows whose content is cached.

    `context_of(row)` gives the template context and `content_of(row)` what
    the rendered row depends on (apart from the language).
    """
    template = get_template(template_name)
    language = get_language()
    keys = [
        f"absence:dashboard-row:{template_name}:{language}:{_digest(content_of(row))}"
        for row in rows
    ]
    found = cache.get_many(keys)
    rendered = {}
    for key, row in zip(keys, rows, strict=True):
        if key not in found:
            found[key] = rendered[key] = template.render(context_of(row))
    if rendered:
        cache.set_many(rendered, ROWS_SECONDS)
    # Rendered (and escaped) by our own row templates.
    return [mark_safe(found[key]) for key in keys]


def _week_context(row) -> dict:
    week, school, by_group = row

    def figures_of(sums) -> figures.Figures:
        named = dict(zip(figures.SUM_NAMES, sums, strict=True))
        named["partial"] = Decimal(named["partial"])
        return figures.Figures(**named, start=week, end=week + timedelta(days=6))

    return {
        "week": {
            "week": week,
            "number": week.isocalendar().week,
            "school": figures_of(school),
            "groups": [sums and figures_of(sums) for sums in by_group],
        }
    }


def body_context(data: Dashboard, *, show_all: bool) -> dict:
    """Return the context of the dashboard's body, its table rows rendered."""
    shown = data.flagged if show_all else data.flagged[:FLAGGED_SHOWN]
    flag_rows = _rendered_rows(
        "absence/_dashboard_flag_row.html",
        shown,
        lambda entry: {"entry": entry},
        lambda entry: (entry.pupil, entry.open_flags, entry.done_flags),
    )
    week_rows = _rendered_rows(
        "absence/_dashboard_week_row.html",
        data.weeks,
        _week_context,
        lambda row: row,
    )
    return {
        "data": data,
        "flag_rows": flag_rows,
        "week_rows": week_rows,
        "shown_count": len(shown),
        "max_successes": max((week["count"] for week in data.successes), default=0),
        "kind_labels": dict(OutreachContact.Kind.choices),
    }
