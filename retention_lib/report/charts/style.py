"""One visual style for every chart: a seaborn theme, readable fonts, colour-blind-safe colours."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

PALETTE = "colorblind"
HIGHLIGHT = sns.color_palette(PALETTE)[3]
MAX_STORE_LINES = 6


def use_style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 110, "axes.titleweight": "bold",
                         "axes.titlesize": 12, "figure.autolayout": True,
                         "font.sans-serif": ["DejaVu Sans", "Noto Sans CJK SC", "Arial"]})


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
