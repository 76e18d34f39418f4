"""The leadership dashboard, kept per pupil and brought up to date per change.

The dashboard adds up every pupil of the school: their flags, their attendance
per week and group, and the outreach contacts that concern them. Computing all
of it took about 170 ms of SQL for the 300 pupils of bench/absence_pages.py,
and one saved register changes it for ten of them. So each pupil's share (a
*piece*) is kept with the pupil's `absence_version`, which the PostgreSQL
triggers of `schoolplan.plan_cache` raise whenever the pupil's registrations,
outreach contacts, steps done, name, group, enrolment, the school calendar or the
absence rules change. A request computes the pieces of only those pupils whose
version moved, and corrects the school's sums by the difference. Computed
pieces go to the cache and to PostgreSQL (`DashboardPiece`, without names), so
a worker whose cache lacks them need not compute them again.

The rendered rows of the flag and week tables are cached by their content, so
a changed pupil re-renders only the rows whose figures changed.
"""

import dataclasses
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from django.core.cache import cache
from django.db import connection, transaction
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from absence import figures, flags, selectors
from absence.flags import Flag
from absence.models import AbsenceRules, DashboardPiece, OutreachContact, Success
from schoolplan.models import Pupil, PupilGroup
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
    # The totals' store of rows derived from them (`_Totals.derived`).
    derived: dict = dataclasses.field(default_factory=dict, repr=False)


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
    # Week rows and rendered table rows derived from these totals, kept for
    # the next request that finds the totals unchanged. Keyed by what they
    # depend on besides the totals (groups, language, rows shown).
    derived: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

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

    def week_rows(self, groups: list) -> list[tuple]:
        """Return (week, school sums, sums per group or None), latest week first."""
        key = ("week_rows", tuple(group.pk for group in groups))
        if key not in self.derived:
            self.derived[key] = self._week_rows(groups)
        return self.derived[key]

    def _week_rows(self, groups: list) -> list[tuple]:
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
    """Put pieces in the cache, and in PostgreSQL for workers whose cache lacks them."""
    cache.set_many(
        {
            _piece_key(school_id, context_key, pupil_id, piece.version): piece
            for pupil_id, piece in pieces.items()
        },
        PIECES_SECONDS,
    )
    DashboardPiece.objects.bulk_create(
        [
            DashboardPiece(
                pupil_id=pupil_id,
                version=piece.version,
                context_key=context_key,
                computed_at=piece.computed_at,
                data=_piece_data(piece),
            )
            for pupil_id, piece in pieces.items()
        ],
        update_conflicts=True,
        unique_fields=["pupil"],
        update_fields=["version", "context_key", "computed_at", "data"],
    )


# The pupils' names and versions, each with the piece stored for the context if
# there is one. The ORM cannot join DashboardPiece from Pupil, since the
# relation has no reverse name.
_PUPILS_AND_PIECES_SQL = """
SELECT pupil.id, pupil.absence_version, pupil.first_name, pupil.last_name,
       pupil_group.name, piece.version, piece.computed_at, piece.data
FROM {pupil_table} pupil
LEFT JOIN {group_table} pupil_group ON pupil_group.id = pupil.group_id
LEFT JOIN {piece_table} piece
       ON piece.pupil_id = pupil.id AND piece.context_key = %s
WHERE pupil.school_id = %s AND pupil.id = ANY(%s)
"""


def _pupils_and_saved_pieces(
    school_id: int, context_key: str, pupil_ids: list[int], now: float
) -> tuple[dict, dict]:
    """Return the pupils and the current pieces PostgreSQL stores for them.

    One query. The pupils are {pupil_id: (absence_version, DashboardPupil)}, as
    `_pupils` returns them, and the stored pieces get their names from them.
    """
    sql = _PUPILS_AND_PIECES_SQL.format(
        pupil_table=Pupil._meta.db_table,
        group_table=PupilGroup._meta.db_table,
        piece_table=DashboardPiece._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [context_key, school_id, list(pupil_ids)])
        rows = cursor.fetchall()

    pupils, pieces = {}, {}
    data_field = DashboardPiece._meta.get_field("data")
    for pupil_id, expected, first, last, group, version, computed_at, data in rows:
        pupil = DashboardPupil(pupil_id, f"{first} {last}", group or "")
        pupils[pupil_id] = (expected, pupil)
        # Only a current piece is read: an anonymised pupil's is blanked.
        if version == expected and now - computed_at <= PIECES_SECONDS:
            # Decoded as the model field decodes it.
            data = data_field.from_db_value(data, None, connection)
            pieces[pupil_id] = _piece_from_data(data, version, computed_at, pupil)
    return pupils, pieces


_FLAG_DATES = ("period_start",)
_FLAG_DECIMALS = ("percent",)
_PARTIAL = figures.SUM_NAMES.index("partial")


def _piece_data(piece: PupilPiece) -> dict:
    """Return a piece's figures as JSON data, without the pupil's names."""
    return {
        "flags": [dataclasses.asdict(flag) for flag in piece.flags],
        "weeks": [[week, group_id, list(sums)] for week, group_id, sums in piece.weeks],
        "outreach": [[kind, list(counts)] for kind, counts in piece.outreach],
    }


def _piece_from_data(data: dict, version: int, computed_at: float, pupil):
    """Return the PupilPiece that `_piece_data` stored, with the given names."""
    flags = []
    for fields in data["flags"]:
        for name in _FLAG_DATES:
            fields[name] = date.fromisoformat(fields[name])
        for name in _FLAG_DECIMALS:
            fields[name] = None if fields[name] is None else Decimal(fields[name])
        if fields["done_at"] is not None:
            fields["done_at"] = datetime.fromisoformat(fields["done_at"])
        flags.append(Flag(**fields))

    weeks = []
    for week, group_id, sums in data["weeks"]:
        sums[_PARTIAL] = Decimal(sums[_PARTIAL])
        weeks.append((date.fromisoformat(week), group_id, tuple(sums)))

    return PupilPiece(
        version=version,
        pupil=pupil,
        flags=tuple(flags),
        weeks=tuple(weeks),
        outreach=tuple((kind, tuple(counts)) for kind, counts in data["outreach"]),
        computed_at=computed_at,
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
    school_id: int, rules: AbsenceRules, period: Period, today: date, versions: dict
) -> _Totals:
    """Return the school's totals for `versions` ({pupil_id: absence_version}).

    Pieces whose version still matches and that are at most PIECES_SECONDS
    old are kept. The others come from the cache, where a write may have put
    them (`prepare_pieces`), or are computed in three queries, however many
    pupils they concern. The sums follow.
    """
    key = _context_key(rules, period, today)
    totals = _totals.get(school_id)
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
            _piece_key(school_id, key, pupil_id, versions[pupil_id])
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
        # A cached piece carries its pupil's names, so only these pupils' are
        # read, with their versions again and the pieces another worker may
        # have computed.
        missing, saved = _pupils_and_saved_pieces(school_id, key, missing_ids, now)
        fresh.update(saved)
        uncomputed = {
            pupil_id: missing[pupil_id] for pupil_id in missing if pupil_id not in fresh
        }
        if uncomputed:
            computed = _compute_pieces(
                rules,
                period,
                today,
                uncomputed,
                # The whole school in one go costs no more than naming every pupil.
                whole_school=len(uncomputed) == len(versions),
            )
            _store_pieces(school_id, key, computed)
            fresh.update(computed)

    totals = totals.updated(fresh, removed)
    _totals[school_id] = totals
    return totals


def refresh_on_commit(school_id: int, pupil_ids) -> None:
    """Prepare the changed pupils' pieces once the current transaction commits.

    The register, reasons, outreach contacts and steps done call this, so the
    dashboard that follows finds the pieces in the cache and runs no figures
    query. A failure is logged and leaves the dashboard to compute the pieces.

    A dashboard in another worker reads them from PostgreSQL
    (`_pupils_and_saved_pieces`).
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


@dataclass(frozen=True)
class DashboardGroup:
    pk: int
    name: str


# The dashboard's other reads, in SQL: through the ORM the three took about
# 3 ms to compile and run on the school of bench/absence_pages.py (2 shared
# cores), mostly compiling. A week is named by its Monday, as Django's
# TruncWeek names it. The successes are those of the given pupils, with no join
# to the pupils, whose plan on a table without statistics was a loop over
# every success.
_VERSIONS_SQL = "SELECT id, absence_version FROM {pupil_table} WHERE school_id = %s"
_GROUPS_SQL = "SELECT id, name FROM {group_table} WHERE school_id = %s ORDER BY name"
_SUCCESSES_SQL = """
SELECT success.day - (EXTRACT(isodow FROM success.day)::integer - 1) AS week,
       COUNT(*) AS count
FROM {success_table} success
WHERE success.pupil_id = ANY(%s) AND success.day BETWEEN %s AND %s
GROUP BY 1
ORDER BY 1
"""


def _fetch_rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def dashboard(school_id: int, today: date, *, rules, period: Period) -> Dashboard:
    """Return the leadership dashboard's data. A fixed number of queries."""
    # Raise even when no pupil needs a figures query, so SQLite always gets the
    # page that explains why.
    figures.require_postgresql()
    versions = dict(
        _fetch_rows(_VERSIONS_SQL.format(pupil_table=Pupil._meta.db_table), [school_id])
    )
    totals = school_totals(school_id, rules, period, today, versions)
    groups = [
        DashboardGroup(pk, name)
        for pk, name in _fetch_rows(
            _GROUPS_SQL.format(group_table=PupilGroup._meta.db_table), [school_id]
        )
    ]
    first_week = first_week_of(period, today)

    successes = [
        {"week": week, "count": count}
        for week, count in _fetch_rows(
            _SUCCESSES_SQL.format(success_table=Success._meta.db_table),
            [list(versions), first_week, today],
        )
    ]
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
        derived=totals.derived,
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
    """Return the context of the dashboard's body, its table rows rendered.

    The rendered rows are kept with the totals, so a request that finds the
    totals unchanged neither renders nor looks up a row.
    """
    shown_flagged = data.flagged if show_all else data.flagged[:FLAGGED_SHOWN]
    language = get_language()
    flag_key = ("flag_rows", language, show_all)
    if flag_key not in data.derived:
        data.derived[flag_key] = _rendered_rows(
            "absence/_dashboard_flag_row.html",
            shown_flagged,
            lambda entry: {"entry": entry},
            lambda entry: (entry.pupil, entry.open_flags, entry.done_flags),
        )
    # `data.weeks` has a column per group, in the order of `data.groups`.
    week_key = (
        "rendered_week_rows",
        language,
        tuple(group.pk for group in data.groups),
    )
    if week_key not in data.derived:
        data.derived[week_key] = _rendered_rows(
            "absence/_dashboard_week_row.html",
            data.weeks,
            _week_context,
            lambda row: row,
        )
    flag_rows, week_rows = data.derived[flag_key], data.derived[week_key]
    return {
        "data": data,
        "flag_rows": flag_rows,
        "week_rows": week_rows,
        "shown_count": len(shown_flagged),
        "max_successes": max((week["count"] for week in data.successes), default=0),
        "kind_labels": dict(OutreachContact.Kind.choices),
    }


def rendered_body(data: Dashboard, *, show_all: bool) -> SafeString:
    """Render the dashboard's body, or return it as last rendered from the same data.

    The body is kept with the totals, beside what else it shows: the groups'
    names and the successes, which the totals do not cover. Only the latest
    body per language and `show_all` is kept.
    """
    key = ("body", get_language(), show_all)
    inputs = (
        tuple((group.pk, group.name) for group in data.groups),
        tuple((week["week"], week["count"]) for week in data.successes),
    )
    stored = data.derived.get(key)
    if stored is not None and stored[0] == inputs:
        return stored[1]

    body = get_template("absence/_dashboard_body.html").render(
        body_context(data, show_all=show_all)
    )
    # Rendered by our own template, which escapes what it fills in.
    body = mark_safe(body)
    data.derived[key] = (inputs, body)
    return body
