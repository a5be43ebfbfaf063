"""Charts drawn on the server: the geometry of an SVG, for a template to draw.

Pages carry no JavaScript and load nothing from elsewhere, so a chart is computed here in the
coordinates of a fixed view box (the stylesheet scales it to the page) and drawn by a template
in ``templates/includes/charts/``. A page shows the same numbers in a table beside the chart,
read from the same geometry, so the two cannot disagree.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate

WIDTH = 640
HEIGHT = 300
# Room for the tick labels (left), the x labels (bottom) and the legend (top).
PLOT_LEFT = 48
PLOT_RIGHT = WIDTH - 16
PLOT_TOP = 40
PLOT_BOTTOM = HEIGHT - 36
BAR_SHARE_OF_SLOT = 0.6
MOST_TICKS = 5
# Past this many bars, only every n-th x label is written, so labels never overlap.
MOST_X_LABELS = 12
# Where the legend's second entry starts, after the first one's label.
LEGEND_GAP = 230


@dataclass(frozen=True)
class Bar:
    """One label's bar and its point on the cumulative line."""

    label: str
    value: float
    cumulative: float
    x: float
    y: float
    width: float
    height: float
    centre: float
    line_y: float
    labelled: bool


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarsWithCumulative:
    """Bars of each value and a line of their running total, on one count axis."""

    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM
    show_line: bool = True

    @property
    def line_points(self) -> str:
        """The cumulative line as an SVG ``points`` attribute."""
        return " ".join(f"{bar.centre},{bar.line_y}" for bar in self.bars)

    @property
    def total(self) -> int:
        return self.bars[-1].cumulative if self.bars else 0

    @property
    def first_label(self) -> str:
        return self.bars[0].label if self.bars else ""

    @property
    def last_label(self) -> str:
        return self.bars[-1].label if self.bars else ""

    @property
    def x_label_y(self) -> int:
        return self.plot_bottom + 20

    @property
    def tick_label_x(self) -> int:
        return self.plot_left - 6

    @property
    def legend_gap(self) -> int:
        return LEGEND_GAP


def tick_step(largest: int, most_ticks: int = MOST_TICKS) -> int:
    """The smallest whole step of 1, 2 or 5 × 10ⁿ that covers ``largest`` in at most
    ``most_ticks`` steps: 7 → 2, 23 → 5, 140 → 50."""
    if largest <= most_ticks:
        return 1
    magnitude = 10 ** math.floor(math.log10(largest / most_ticks))
    for multiple in (1, 2, 5):
        if multiple * magnitude * most_ticks >= largest:
            return multiple * magnitude
    return 10 * magnitude


def _rounded(value: float) -> float:
    return round(value, 1)


def bars_with_cumulative(series: Sequence[tuple[str, int]]) -> BarsWithCumulative:
    """The geometry of ``series`` ((label, value) in order) as bars with a cumulative line.

    Bars and line share one axis, from 0 to a round number at or above the running total.
    """
    totals = list(accumulate(value for _label, value in series))
    total = totals[-1] if totals else 0
    step = tick_step(total)
    top = max(step, math.ceil(total / step) * step)
    return _geometry(series, totals, top, step)


PERCENT_STEP = 20


def percent_bars(series: Sequence[tuple[str, float]]) -> BarsWithCumulative:
    """The geometry of ``series`` ((label, percent) in order) as bars on a 0–100 axis, without
    a line: a running total of shares means nothing."""
    chart = _geometry(series, [0.0] * len(series), 100, PERCENT_STEP)
    return replace(chart, show_line=False)


def _geometry(series, totals, top: int, step: int) -> BarsWithCumulative:
    """Bars of ``series`` and line points of ``totals`` on one axis from 0 to ``top``, ticked
    every ``step``."""
    plot_height = PLOT_BOTTOM - PLOT_TOP
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(series), 1)
    width = slot * BAR_SHARE_OF_SLOT
    label_every = math.ceil(len(series) / MOST_X_LABELS) or 1

    def y_of(value: float) -> float:
        return _rounded(PLOT_BOTTOM - value / top * plot_height)

    bars = []
    for index, ((label, value), cumulative) in enumerate(zip(series, totals, strict=True)):
        left = PLOT_LEFT + index * slot + (slot - width) / 2
        bars.append(
            Bar(
                label=label,
                value=value,
                cumulative=cumulative,
                x=_rounded(left),
                y=y_of(value),
                width=_rounded(width),
                height=_rounded(PLOT_BOTTOM - y_of(value)),
                centre=_rounded(left + width / 2),
                line_y=y_of(cumulative),
                labelled=index % label_every == 0,
            )
        )
    ticks = tuple(Tick(value, y_of(value)) for value in range(0, top + 1, step))
    return BarsWithCumulative(bars=tuple(bars), ticks=ticks)


# Horizontal share bars: one row per label, one bar per series (an area and the country).
# Room for the row labels left of the bars: as wide as the longest label needs, within bounds.
SHARE_LABEL_ROOM = (96, 300)
SHARE_LABEL_MARGIN = 14
SHARE_VALUE_ROOM = 56  # room for "100.0%" right of the longest bar
SHARE_TOP = 22  # the axis' labels
SHARE_LEGEND_HEIGHT = 24
SHARE_BAR_HEIGHT = 12
SHARE_BAR_GAP = 3
SHARE_ROW_GAP = 10
SHARE_MOST_TICKS = 4
SHARE_LEGEND_STEP = 180  # from one legend entry to the next


@dataclass(frozen=True)
class ShareBar:
    series: int  # 0 for the first series (the area), 1 for the second (the country)
    value: float
    y: float
    width: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class ShareRow:
    label: str
    label_y: float
    bars: tuple[ShareBar, ...]


@dataclass(frozen=True)
class ShareBars:
    """Shares (percent) as horizontal bars from ``plot_left``, on one axis from 0 to a round
    number at or above the largest."""

    rows: tuple[ShareRow, ...]
    ticks: tuple[Tick, ...]  # ``y`` holds each tick's x position on this horizontal axis
    height: float
    legend: tuple[tuple[int, str, int], ...]  # (series, name, x) of each named series
    plot_top: int
    plot_left: int
    width: int = WIDTH
    bar_height: int = SHARE_BAR_HEIGHT

    @property
    def label_x(self) -> int:
        return self.plot_left - 8

    @property
    def tick_label_y(self) -> int:
        return self.plot_top - 6

    @property
    def plot_bottom(self) -> float:
        return self.height - 4


def share_bars(
    series: Sequence[tuple[str, Sequence[float]]], names: Sequence[str] = ()
) -> ShareBars:
    """The geometry of ``series`` ((label, [share of each series]) in order) as horizontal
    bars, each row's bars stacked one under the other; ``names`` name the series in a legend
    (one series needs none)."""
    count = max((len(values) for _label, values in series), default=1)
    largest = max((value for _label, values in series for value in values), default=0)
    step = tick_step(math.ceil(largest) or 1, SHARE_MOST_TICKS)
    top = max(step, math.ceil(largest / step) * step)
    widest = max((label_width(label) for label, _values in series), default=0)
    least, most = SHARE_LABEL_ROOM
    plot_left = min(most, max(least, math.ceil(widest) + SHARE_LABEL_MARGIN))
    plot_width = WIDTH - plot_left - SHARE_VALUE_ROOM
    row_height = count * SHARE_BAR_HEIGHT + (count - 1) * SHARE_BAR_GAP

    def x_of(value: float) -> float:
        return _rounded(plot_left + value / top * plot_width)

    plot_top = SHARE_TOP + (SHARE_LEGEND_HEIGHT if names else 0)
    rows = []
    for index, (label, values) in enumerate(series):
        row_top = plot_top + 4 + index * (row_height + SHARE_ROW_GAP)
        bars = []
        for position, value in enumerate(values):
            y = row_top + position * (SHARE_BAR_HEIGHT + SHARE_BAR_GAP)
            bars.append(
                ShareBar(
                    series=position,
                    value=value,
                    y=y,
                    width=_rounded(x_of(value) - plot_left),
                    value_x=x_of(value) + 4,
                    value_y=y + SHARE_BAR_HEIGHT / 2,
                )
            )
        rows.append(ShareRow(label, row_top + row_height / 2, tuple(bars)))
    height = plot_top + 4 + len(series) * (row_height + SHARE_ROW_GAP)
    ticks = tuple(Tick(value, x_of(value)) for value in range(0, top + 1, step))
    legend = tuple((index, name, index * SHARE_LEGEND_STEP) for index, name in enumerate(names))
    return ShareBars(
        rows=tuple(rows),
        ticks=ticks,
        height=height,
        legend=legend,
        plot_top=plot_top,
        plot_left=plot_left,
    )


def label_width(text: str) -> float:
    """About how wide ``text`` is at the charts' 12 px: Hangul and other wide characters take a
    full em, Latin capitals and digits about two thirds, other characters a little over half."""
    return sum(
        12.5 if ord(char) >= 0x1100 else 7.8 if char.isupper() or char.isdigit() else 6.6
        for char in text
    )
