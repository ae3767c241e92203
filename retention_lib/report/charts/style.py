"""One visual style for every chart: a seaborn theme, readable fonts, colour-blind-safe colours;
tick labels through the report's number and month helpers, and notes wrapped by their width.

Every report chart is drawn twice (`report_chart`): for the report's desktop column and, in the
phone form, for a phone, where side-by-side panels stack (`subplots`). Either way no text reads
smaller than READABLE_PX at the width the report shows it (`readable`).
"""
from __future__ import annotations

import contextvars
import functools
import math
import re
import textwrap
import unicodedata
from contextlib import contextmanager

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.text import Text
from matplotlib.textpath import text_to_path
from matplotlib.ticker import Formatter, FuncFormatter

from retention_lib.core import figures
from retention_lib.report import fonts, text

PALETTE = "colorblind"
HIGHLIGHT = sns.color_palette(PALETTE)[3]
MAX_STORE_LINES = 6

# The one statement of how large chart text must read, in CSS px, at the width the report shows
# the chart: a 390 px phone's content is 366 px (the report's phone margins); the desktop column is
# what Chromium gives the report's images in a 1280 px window.
READABLE_PX = 11
PHONE_CONTENT_PX = 366
DESKTOP_CONTENT_PX = 1070
SAVE_DPI = 110
PHONE_WIDTH = 4.4   # in: the phone form's figures (its text needs about 9.5 pt to read 11 px at 366 px)


def use_style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": SAVE_DPI, "axes.titleweight": "bold",
                         "axes.titlesize": 12, "figure.autolayout": True,
                         # a family list, not "sans-serif": matplotlib falls back along it glyph by glyph
                         "font.family": fonts.register()})


def highlight_month(ax, labels: list, month: str) -> None:
    """Shade the reported month in a chart whose x positions are 0..n-1."""
    if month in labels:
        i = labels.index(month)
        ax.axvspan(i - 0.45, i + 0.45, color=HIGHLIGHT, alpha=0.15, zorder=0)


def error_bars(values, lo, hi):
    """Lower and upper error-bar lengths from an interval; NaN where unknown. An interval holds
    its estimate, so a bound past it by rounding noise (a Wilson bound at 0 of 0) is a zero bar."""
    v, lo, hi = (pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(float) for x in (values, lo, hi))
    return [np.maximum(v - lo, 0.0), np.maximum(hi - v, 0.0)]  # NaN stays NaN


# --------------------------------------------------------------------------- tick labels
# Every number and date on an axis goes through the report's number and date helpers (text), so
# ticks read as the tables do and follow the reader's locale.
def count_axis(axis) -> None:
    """Counts on `axis` (ax.xaxis or ax.yaxis) with thousands separators, as in the tables."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: text.count(v)))


def percent_axis(axis) -> None:
    """An axis drawn in percent (values 0–100) labelled as whole percentages."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: text.percent(v / 100)))


def month_ticks(ax, months: list, **options) -> None:
    """One tick per position 0..n-1 and a level label (text.month_label) every few months back from the
    last (the reported month), as many as fit across the axes as drawn (MonthLabels); "" leaves a
    tick unlabelled."""
    labels = [text.month_label(m) if m != "" else "" for m in months]
    ax.set_xticks(range(len(months)), labels, **{**options, "rotation": 0, "ha": "center"})
    ax.xaxis.set_major_formatter(MonthLabels(labels))


@functools.lru_cache(maxsize=4096)
def _label_width(label: str, prop) -> float:
    """A label's width in points: measuring a text path is slow, and every tick update asks again."""
    return text_to_path.get_text_width_height_descent(label, prop, ismath=False)[0]


class MonthLabels(Formatter):
    """Labels chosen when the axis is drawn, at its final size and font: never turned on end nor
    overlapping, with an em between two."""

    def __init__(self, labels: list[str]):
        self.labels = labels

    def _step(self) -> int:
        ax, ticks = self.axis.axes, self.axis.get_major_ticks()
        if not ticks:
            return 1
        prop = ticks[0].label1.get_fontproperties().copy()   # a cache key must not change later
        widest = max((_label_width(m, prop) for m in self.labels if m), default=0.0)
        spacing = ax.get_window_extent().width * 72 / ax.figure.dpi / max(abs(np.diff(ax.get_xlim())[0]), 1)
        return max(1, math.ceil((widest + prop.get_size_in_points()) / max(spacing, 1e-9)))

    def __call__(self, x, pos=None) -> str:
        return self.format_ticks([x])[0]

    def format_ticks(self, values) -> list[str]:
        step = self._step()   # once per draw, not once per tick
        n = len(self.labels)
        return [self.labels[i] if 0 <= i < n and (n - 1 - i) % step == 0 else ""
                for i in (int(round(v)) for v in values)]


def _day_or_month(scale: float):
    def label(v, pos=None) -> str:
        day = mdates.num2date(v).replace(tzinfo=None)
        return text.month_label(day) if scale >= mdates.DAYS_PER_MONTH else text.date_label(day)
    return label


def date_axis(axis) -> None:
    """A date axis keeps matplotlib's choice of ticks (fewer on a phone); each is labelled as a day
    (text.date_label) when they are days apart, as a month (text.month_label) when they are a month or
    more apart."""
    if on_phone():   # a phone's width holds a few dates
        axis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=4))
    formatter = mdates.AutoDateFormatter(axis.get_major_locator())
    formatter.scaled = {scale: _day_or_month(scale) for scale in formatter.scaled}
    axis.set_major_formatter(formatter)


# --------------------------------------------------------------------------- notes
# A run of Latin letters, digits and their punctuation stays on one line, and so does a Chinese
# date (2024年12月); CJK text may break between any two characters, but not before closing punctuation
# nor after opening punctuation.
_UNBROKEN = re.compile(r"\d+年\d+月(?:\d+日)?|[A-Za-z0-9.,:;%+\-–−/'()]+|\s+|.")
_NO_LINE_START = frozenset("，。、：；！？）》」』%")
_NO_LINE_END = frozenset("（《「『")


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def wrap(message: str, width: int) -> str:
    """`message` in lines at most `width` columns wide, a CJK character counting two (as wide as
    two Latin ones). Text without CJK wraps at its spaces as textwrap does."""
    if _width(message) == len(message):
        return textwrap.fill(message, width, break_on_hyphens=False)
    lines, line = [], ""
    for token in _UNBROKEN.findall(message):
        if line and _width(line + token) > width and not token.isspace() and token[0] not in _NO_LINE_START:
            kept = line.rstrip("".join(_NO_LINE_END)) or line   # an opening bracket goes on with its text
            lines.append(kept.rstrip())
            line = line[len(kept):]
        if line or not token.isspace():
            line += token
    return "\n".join(lines + [line.rstrip()])


# --------------------------------------------------------------------------- forms: desktop and phone
_FORM = contextvars.ContextVar("chart_form", default="desktop")


@contextmanager
def phone_form():
    """Charts drawn inside are drawn for a phone: PHONE_WIDTH wide, side-by-side panels stacked."""
    token = _FORM.set("phone")
    try:
        yield
    finally:
        _FORM.reset(token)


def on_phone() -> bool:
    return _FORM.get() == "phone"


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], phone_height: float | None = None,
             **options):
    """plt.subplots in the current form. On a phone the figure is PHONE_WIDTH wide and a row of
    panels stacks into a column, each `phone_height` tall (default: the desktop row's height)."""
    if not on_phone():
        return plt.subplots(nrows, ncols, figsize=figsize, **options)
    height = phone_height or figsize[1] / nrows
    if nrows == 1 and ncols > 1:
        nrows, ncols = ncols, 1
        options["gridspec_kw"] = {k: v for k, v in (options.get("gridspec_kw") or {}).items() if k != "width_ratios"}
    return plt.subplots(nrows, ncols, figsize=(PHONE_WIDTH, height * nrows), **options)


def report_chart(draw):
    """A chart of the report, drawn for the desktop column and again in the phone form: returns the
    desktop figure carrying its phone form (core.figures), which Run.write writes beside it. The
    phone form is closed to pyplot at once: a notebook shows the desktop figure only."""
    @functools.wraps(draw)
    def both(*args, **kwargs):
        with phone_form():
            phone = readable(draw(*args, **kwargs), PHONE_CONTENT_PX)
        plt.close(phone)
        return figures.with_phone_form(readable(draw(*args, **kwargs), DESKTOP_CONTENT_PX), phone)
    return both


def smallest_pt(width_in: float, content_px: float) -> float:
    """The smallest text size, in points, that reads READABLE_PX in a PNG `width_in` wide (at
    SAVE_DPI) shown at most `content_px` wide."""
    return READABLE_PX * 72 * max(1 / SAVE_DPI, width_in / content_px)


def readable(fig, content_px: float):
    """`fig` with no text smaller than reads READABLE_PX when the report shows it `content_px` wide
    (smaller text is raised to that size), and titles, axis labels and legends wrapped to the
    figure, so the PNG is no wider than the figure (a wider one would show smaller)."""
    floor = smallest_pt(fig.get_figwidth() + 2 * plt.rcParams["savefig.pad_inches"], content_px) + 0.05
    for ax in fig.axes:   # ticks matplotlib makes later take the axis' size
        for axis in "xy":
            ticks = getattr(ax, f"get_{axis}ticklabels")()
            if ticks and min(t.get_fontsize() for t in ticks) < floor:
                ax.tick_params(axis=axis, which="both", labelsize=floor)
    for t in fig.findobj(Text):
        if t.get_fontsize() < floor:
            t.set_fontsize(floor)
    _wrap_to_figure(fig)
    return fig


def _room(fig, ax) -> float:
    """The width in pixels a title or x label of `ax` may take: the figure's, as far as centred on
    its axes, and no wider than the axes when another panel stands beside it (a title over the
    neighbour's axis label collides with it)."""
    box, whole = ax.get_window_extent(), fig.bbox
    room = 2 * min(box.x0 + box.width / 2 - whole.x0, whole.x1 - box.x0 - box.width / 2) - 12
    beside = [o for o in fig.axes if o is not ax and o.get_visible() and not hasattr(o, "_colorbar")
              and o.get_window_extent().y0 < box.y1 and o.get_window_extent().y1 > box.y0]
    return min(room, box.width * 1.05) if beside else room


def _fit(t: Text, room: float, tall: bool = False) -> None:
    """Each line of `t` wrapped (style.wrap) until it is at most `room` pixels wide (tall: high, for
    a text turned upright), into lines of even length (not a long line and a word)."""
    lines = t.get_text().split("\n")
    columns = max(map(_width, lines))

    def wrapped(width: int) -> str:
        return "\n".join(wrap(line, width) for line in lines)

    def extent() -> float:
        box = t.get_window_extent()
        return box.height if tall else box.width
    if not t.get_text() or extent() <= room:
        return
    while extent() > room and columns > 8:
        columns = max(8, min(columns - 1, int(columns * room / extent())))
        t.set_text(wrapped(columns))
    while columns > 8 and wrapped(columns - 1).count("\n") == t.get_text().count("\n"):
        columns -= 1
    t.set_text(wrapped(columns))


def _wrap_to_figure(fig) -> None:
    figures.lay_out(fig)   # where each axes is
    width, height = fig.bbox.width - 12, fig.bbox.height - 12
    for ax in (a for a in fig.axes if a.get_visible()):
        _fit(ax.title, _room(fig, ax))
        _fit(ax.xaxis.label, _room(fig, ax))
        _fit(ax.yaxis.label, min(height, ax.get_window_extent().height * 1.1), tall=True)
    if fig._suptitle is not None:
        _fit(fig._suptitle, width)
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]:
        box = legend.get_window_extent()
        if box.x1 > fig.bbox.x1 - 6:   # each entry its share of the room, less its handle
            room = (fig.bbox.x1 - 6 - max(box.x0, 6)) / legend._ncols - 3 * legend.prop.get_size_in_points() * fig.dpi / 72
            for t in legend.get_texts():
                _fit(t, room)
