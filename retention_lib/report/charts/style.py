"""One visual style for every chart: a seaborn theme, readable fonts, colour-blind-safe colours;
tick labels through the report's number and month helpers, and notes wrapped by their width."""
from __future__ import annotations

import re
import textwrap
import unicodedata

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from retention_lib.report import fonts, text

PALETTE = "colorblind"
HIGHLIGHT = sns.color_palette(PALETTE)[3]
MAX_STORE_LINES = 6


def use_style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 110, "axes.titleweight": "bold",
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
    """One tick per position 0..n-1, labelled with its month (text.month_label); "" leaves a tick unlabelled."""
    ax.set_xticks(range(len(months)), [text.month_label(m) if m != "" else "" for m in months], **options)


def _day_or_month(scale: float):
    def label(v, pos=None) -> str:
        day = mdates.num2date(v).replace(tzinfo=None)
        return text.month_label(day) if scale >= mdates.DAYS_PER_MONTH else text.date_label(day)
    return label


def date_axis(axis) -> None:
    """A date axis keeps matplotlib's choice of ticks; each is labelled as a day (text.date_label)
    when they are days apart, as a month (text.month_label) when they are a month or more apart."""
    formatter = mdates.AutoDateFormatter(axis.get_major_locator())
    formatter.scaled = {scale: _day_or_month(scale) for scale in formatter.scaled}
    axis.set_major_formatter(formatter)


# --------------------------------------------------------------------------- notes
# A run of Latin letters, digits and their punctuation stays on one line; CJK text may break
# between any two characters, but not before closing punctuation.
_UNBROKEN = re.compile(r"[A-Za-z0-9.,:;%+\-–−/'()]+|\s+|.")
_NO_LINE_START = frozenset("，。、：；！？）》」』%")


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
            lines.append(line.rstrip())
            line = ""
        if line or not token.isspace():
            line += token
    return "\n".join(lines + [line.rstrip()])
