"""Geometry of the server-rendered SVG charts of the progression section.

The template draws what these functions compute, so the same chart appears on
the page and in the PDF, which WeasyPrint renders with its own SVG support.
Nothing here needs a browser or JavaScript. Coordinates are SVG user units.
"""

from dataclasses import dataclass
from datetime import date

from intake.models import SCORE_MAX, SCORE_MIN

WIDTH = 240
HEIGHT = 46
# Room at the sides for the first and last score labels, and above and below.
PAD_X = 20
PAD_Y = 7


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    score: int
    day: date
    is_baseline: bool


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    points: list[ChartPoint]
    polyline: str
    midline_y: float
    top_y: float
    bottom_y: float

    @property
    def first(self) -> ChartPoint:
        return self.points[0]

    @property
    def last(self) -> ChartPoint:
        return self.points[-1]


def _x(day: date, start: date, end: date) -> float:
    span = max((end - start).days, 1)
    share = min(max((day - start).days / span, 0.0), 1.0)
    return round(PAD_X + share * (WIDTH - 2 * PAD_X), 1)


def _y(score: float) -> float:
    share = (score - SCORE_MIN) / (SCORE_MAX - SCORE_MIN)
    return round(HEIGHT - PAD_Y - share * (HEIGHT - 2 * PAD_Y), 1)


def sparkline(
    points: list[tuple[date, int, bool]], *, start: date, end: date
) -> Sparkline | None:
    """Return one question's line of scores over time, or None without points.

    `points` are (date, score, is_baseline) in time order. Every question of a
    pupil is drawn on the same `start`-`end` axis, so the lines line up.
    """
    if not points:
        return None

    chart_points = [
        ChartPoint(_x(day, start, end), _y(score), score, day, is_baseline)
        for day, score, is_baseline in points
    ]
    return Sparkline(
        width=WIDTH,
        height=HEIGHT,
        points=chart_points,
        polyline=" ".join(f"{point.x},{point.y}" for point in chart_points),
        midline_y=_y((SCORE_MIN + SCORE_MAX) / 2),
        top_y=_y(SCORE_MAX),
        bottom_y=_y(SCORE_MIN),
    )


@dataclass(frozen=True)
class AxisTick:
    x: float
    day: date


def time_axis(days: list[date], *, start: date, end: date) -> list[AxisTick]:
    """Return a tick for each measurement day, on the sparklines' axis."""
    return [AxisTick(_x(day, start, end), day) for day in sorted(set(days))]
