"""The churn drivers chart (notebook 05)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from retention_lib.report.charts.style import HIGHLIGHT, use_style


def drivers_chart(numeric: pd.DataFrame, month: str, window: str):
    """Cohen's d of lapsed against retained members, with 95% CIs, per feature."""
    use_style()
    d = numeric.dropna(subset=["cohens_d"]).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8.5, 0.38 * len(d) + 1.6))
    y = list(range(len(d)))
    excl = (d["d_low"] > 0) | (d["d_high"] < 0)
    colours = [HIGHLIGHT if e else "grey" for e in excl]
    ax.hlines(y, d["d_low"], d["d_high"], colors=colours, linewidth=2)
    ax.scatter(d["cohens_d"], y, color=colours, zorder=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, [s.replace(" (%)", "") for s in d["label"]])
    ax.set(title=f"How lapsed members differ from retained ones, {window}",
           xlabel="Cohen's d, lapsed − retained (standard deviations), 95% CI; coloured: CI excludes 0",
           ylabel="")
    return fig
