"""The churn drivers chart (notebook 05)."""
from __future__ import annotations

import pandas as pd

from retention_lib.report.charts.style import HIGHLIGHT, on_phone, report_chart, subplots, use_style, wrap
from retention_lib.report.text import feature_label, say

GREY = "grey"


@report_chart
def drivers_chart(numeric: pd.DataFrame, month: str, window: str, min_group_n: int | None = None):
    """Lapsed minus retained in pooled standard deviations (Cohen's d) per feature, with the Welch
    95% interval on the same scale; a feature is coloured exactly when its `significant` flag
    (analytics.lapse_drivers: the one rule the text and findings use) is set. Each feature is named
    without its unit: the axis is in standard deviations."""
    use_style()
    d = numeric.dropna(subset=["cohens_d"]).iloc[::-1]
    fig, ax = subplots(figsize=(8.5, 0.38 * len(d) + 1.6), phone_height=0.55 * len(d) + 2.8)
    y = list(range(len(d)))
    colours = [HIGHLIGHT if bool(flag) else GREY for flag in d["significant"]]
    ax.hlines(y, d["scaled_low"], d["scaled_high"], colors=colours, linewidth=2)
    ax.scatter(d["cohens_d"], y, color=colours, zorder=3)
    ax.axvline(0, color="black", linewidth=0.8)
    names = [feature_label(f, "feature_name") for f in d["feature"]]
    ax.set_yticks(y, [wrap(n, 20) for n in names] if on_phone() else names)
    ax.set(title=say("drivers.chart.title", window=window),
           xlabel=say("drivers.chart.xlabel", min_group_n=min_group_n) if min_group_n is not None
           else say("drivers.chart.xlabel_any"), ylabel="")
    return fig
