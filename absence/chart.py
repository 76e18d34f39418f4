"""Geometry of the weekly absence chart, rendered as inline SVG by a template.

The same markup goes into the page and the PDF, so the chart uses SVG
presentation attributes only: no script and no style element.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from absence.figures import Figures

WIDTH = 640
HEIGHT = 200
LEFT = 34
RIGHT = 8
TOP = 12
BOTTOM = 28
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM

# (attribute of Figures, colour, label), drawn from the bottom up.
SERIES = [
    ("unlawful", "#b3261e", _("Unlawful")),
    ("awaiting", "#e08a00", _("Awaiting a reason")),
    ("illness", "#3b6ea8", _("Illness")),
    ("permitted", "#5f8f6a", _("Permitted")),
    ("partial", "#9b7fc2", _("Late or left early")),
    ("missing", "#c3c8cd", _("Not registered")),
]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass
class WeekChart:
    bars: list[Bar] = field(default_factory=list)
    titles: list[tuple[float, float, float, str]] = field(default_factory=list)
    month_ticks: list[tuple[float, str]] = field(default_factory=list)
    grid: list[tuple[float, int]] = field(default_factory=list)
    start_x: float | None = None
    start_label: str = ""
    started_before: bool = False
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM
    legend: list[tuple[str, str]] = field(default_factory=list)
    is_empty: bool = True

    # The markup is built here rather than in template loops, because a school
    # year has up to 40 weeks of six series, and per-attribute template filters
    # made this chart the slowest part of the pupil's front page.
    @property
    def bars_markup(self) -> str:
        # Built with f-strings, because format_html's escaping of every number
        # took most of the time. Numbers and the colours of SERIES need none.
        return mark_safe(
            "".join(
                f'<rect x="{_number(bar.x)}" y="{_number(bar.y)}" '
                f'width="{_number(bar.width)}" height="{_number(bar.height)}" '
                f'fill="{bar.colour}"/>'
                for bar in self.bars
            )
        )

    @property
    def titles_markup(self) -> str:
        """Transparent rectangles over each week that show its figures on hover."""
        height = self.plot_bottom - TOP
        return mark_safe(
            "".join(
                f'<rect x="{_number(x)}" y="{_number(top)}" width="{_number(width)}" '
                f'height="{height}" fill="#ffffff" fill-opacity="0">'
                f"<title>{escape(title)}</title></rect>"
                for x, width, top, title in self.titles
            )
        )

    @property
    def grid_markup(self) -> str:
        """The lines at 0, 25, 50, 75 and 100 % with their labels."""
        return format_html_join(
            "",
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#dfe3e7" stroke-width="1"/>'
            '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" '
            'fill="#5c6670">{}%</text>',
            (
                (self.plot_left, self.plot_right, y, y, self.plot_left - 4, y, value)
                for y, value in self.grid
            ),
        )

    @property
    def month_ticks_markup(self) -> str:
        """Return a tick and a month name at each month's first week."""
        return format_html_join(
            "",
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#8a949e" stroke-width="1"/>'
            '<text x="{}" y="{}" fill="#5c6670">{}</text>',
            (
                (
                    _number(x),
                    _number(x),
                    self.plot_bottom,
                    self.plot_bottom + 4,
                    _number(x),
                    self.plot_bottom + 16,
                    label,
                )
                for x, label in self.month_ticks
            ),
        )


def _number(value: float) -> str:
    """Format an SVG coordinate with two decimals and a decimal point."""
    return f"{value:.2f}"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_chart(
    weeks: list[Figures], *, first: date, last: date, pupil_start: date
) -> WeekChart:
    """Lay out a stacked bar per week, `first` to `last`, in percent of school days."""
    chart = WeekChart(legend=[(colour, str(label)) for _name, colour, label in SERIES])
    first_monday, last_monday = _monday(first), _monday(last)
    week_count = (last_monday - first_monday).days // 7 + 1
    slot = (WIDTH - LEFT - RIGHT) / max(week_count, 1)
    bar_width = max(slot * 0.78, 1.0)

    for percent in (0, 25, 50, 75, 100):
        chart.grid.append((TOP + PLOT_HEIGHT * (1 - percent / 100), percent))

    chart.month_ticks = _month_ticks(first_monday, last_monday, slot, left=LEFT)

    for figures in weeks:
        if not figures.school_days or figures.start < first_monday:
            continue
        index = (figures.start - first_monday).days // 7
        x = LEFT + index * slot + (slot - bar_width) / 2
        bottom = Decimal(TOP + PLOT_HEIGHT)
        for name, colour, _label in SERIES:
            share = Decimal(getattr(figures, name)) / figures.school_days
            height = share * PLOT_HEIGHT
            if height <= 0:
                continue
            bottom -= height
            chart.bars.append(Bar(x, float(bottom), bar_width, float(height), colour))
        chart.titles.append(
            (
                x,
                bar_width,
                float(TOP),
                _week_title(figures),
            )
        )
        chart.is_empty = False

    if first_monday <= pupil_start <= last + timedelta(days=6):
        offset_days = (pupil_start - first_monday).days
        chart.start_x = LEFT + offset_days / 7 * slot
        chart.start_label = str(
            _("Start %(date)s") % {"date": date_format(pupil_start, "j. b")}
        )
    else:
        chart.started_before = pupil_start < first_monday

    return chart


def _month_ticks(
    first_monday: date, last_monday: date, slot: float, *, left: float
) -> list[tuple[float, str]]:
    """Return (x, month name) for each month's first school week in a chart of weeks.

    A month's first school week is the week whose Monday to Friday contains the
    month's first weekday, so its Friday falls on the 1st to the 7th. A week
    from 30 November to 4 December is December's.
    """
    ticks = []
    monday = first_monday
    index = 0
    while monday <= last_monday:
        friday = monday + timedelta(days=4)
        # Label the first week too, unless a month label follows too closely
        # to leave room for it.
        if friday.day <= 7 or (index == 0 and friday.day <= 21):
            ticks.append((left + index * slot, date_format(friday, "b")))
        monday += timedelta(days=7)
        index += 1
    return ticks


def _week_title(figures: Figures) -> str:
    week = figures.start.isocalendar().week
    absent = figures.absent_percent or 0
    return str(
        _(
            "Week %(week)s: %(absent)s %% absent, "
            "%(missing)s of %(days)s days not registered"
        )
        % {
            "week": week,
            "absent": f"{absent:.0f}",
            "missing": figures.missing,
            "days": figures.school_days,
        }
    )


@dataclass(frozen=True)
class CountBar:
    x: float
    y: float
    width: float
    height: float
    count: int
    title: str


COUNT_WIDTH = 640
COUNT_HEIGHT = 70
# Room under the count chart's baseline for the month names.
COUNT_AXIS = 16


def count_chart(weeks: list[dict], *, first: date, last: date) -> list[CountBar]:
    """Lay out a bar per week with a count; `weeks` contains {'week', 'count'} rows."""
    first_monday, last_monday = _monday(first), _monday(last)
    week_count = (last_monday - first_monday).days // 7 + 1
    slot = COUNT_WIDTH / max(week_count, 1)
    highest = max((week["count"] for week in weeks), default=0)
    bars = []
    for week in weeks:
        monday = week["week"]
        if hasattr(monday, "date"):
            monday = monday.date()
        if monday < first_monday or monday > last_monday or not highest:
            continue
        index = (monday - first_monday).days // 7
        height = (COUNT_HEIGHT - 14) * week["count"] / highest
        bars.append(
            CountBar(
                x=index * slot + slot * 0.1,
                y=COUNT_HEIGHT - height,
                width=max(slot * 0.8, 1.0),
                height=height,
                count=week["count"],
                title=str(
                    _("Week %(week)s: %(count)s")
                    % {"week": monday.isocalendar().week, "count": week["count"]}
                ),
            )
        )
    return bars


def count_month_ticks(*, first: date, last: date) -> list[tuple[float, str]]:
    """Return (x, month name) for the month labels under `count_chart`'s bars."""
    first_monday, last_monday = _monday(first), _monday(last)
    week_count = (last_monday - first_monday).days // 7 + 1
    return _month_ticks(
        first_monday, last_monday, COUNT_WIDTH / max(week_count, 1), left=0
    )


def count_bars_markup(bars: list[CountBar]) -> str:
    """Return the SVG rectangles of `count_chart`'s bars with their titles and counts.

    The count is also written above each bar, because a printed chart has no
    hover titles.
    """
    return format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#2fa36b">'
        '<title>{}</title></rect><text x="{}" y="{}" text-anchor="middle" '
        'font-size="9" fill="#5c6670">{}</text>',
        (
            (
                _number(bar.x),
                _number(bar.y),
                _number(bar.width),
                _number(bar.height),
                bar.title,
                _number(bar.x + bar.width / 2),
                _number(bar.y - 2),
                bar.count,
            )
            for bar in bars
        ),
    )


def count_ticks_markup(ticks: list[tuple[float, str]]) -> str:
    """Return the month names under the count chart's baseline."""
    return format_html_join(
        "",
        '<text x="{}" y="{}" fill="#5c6670">{}</text>',
        ((_number(x), COUNT_HEIGHT + 13, label) for x, label in ticks),
    )
