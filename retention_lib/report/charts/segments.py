"""Charts of RFM segments, value tiers, their migration and the early warning (notebook 05)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from retention_lib.report.charts.style import HIGHLIGHT, PALETTE, use_style


def segments_chart(summary: pd.DataFrame, month: str, currency: str):
    """Members and the month's revenue by RFM segment."""
    use_style()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    y = summary["segment"].astype(str)
    a1.barh(y, summary["members"])
    a1.set(title=f"Members by RFM segment, end of {month}", xlabel="Members", ylabel="RFM segment")
    a1.invert_yaxis()
    a2.barh(y, summary["revenue"] / 1000, color=sns.color_palette(PALETTE)[1])
    a2.set(title=f"Members' revenue in {month} by segment", xlabel=f"{currency} thousands", ylabel="")
    return fig


def tiers_chart(summary: pd.DataFrame, month: str, currency: str, horizon: int):
    """Members and expected CLV by value tier."""
    use_style()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.2), sharey=True)
    y = summary["tier"].astype(str)
    a1.barh(y, summary["members"])
    a1.set(title=f"Members by value tier, end of {month}", xlabel="Members", ylabel="Value tier")
    a1.invert_yaxis()
    a2.barh(y, summary["clv"] / 1000, color=sns.color_palette(PALETTE)[2])
    a2.set(title=f"{horizon}-month CLV by tier, {month}", xlabel=f"{currency} thousands (discounted)", ylabel="")
    return fig


def migration_chart(counts: pd.DataFrame, month: str, previous: str, what: str):
    """Members by group at the end of the previous month (rows) and of this month (columns)."""
    use_style()
    n_rows, n_cols = counts.shape
    fig, ax = plt.subplots(figsize=(max(6, 0.95 * n_cols + 3), max(3.2, 0.5 * n_rows + 1.5)))
    shares = counts.div(counts.sum(axis=1).where(lambda s: s > 0), axis=0) * 100
    sns.heatmap(shares, annot=counts, fmt=",d", cmap="Blues", vmin=0, vmax=100,
                cbar_kws={"label": "% of the row's members"}, annot_kws={"fontsize": 8}, ax=ax)
    ax.set(title=f"{what}: members moving from the end of {previous} to the end of {month}",
           xlabel=f"{what} at the end of {month}", ylabel=f"{what} at the end of {previous}")
    ax.tick_params(axis="x", rotation=30)
    return fig


def early_warning_chart(counts: pd.DataFrame, month: str, checked: int):
    """Members flagged by each early-warning reason (one member can have several)."""
    use_style()
    c = counts[counts["available"]]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(c) + 1.4))
    colours = [HIGHLIGHT if r == "Any reason" else sns.color_palette(PALETTE)[0] for r in c["reason"]]
    ax.barh(c["reason"], c["members"].astype(float), color=colours)
    ax.invert_yaxis()
    for i, v in enumerate(c["members"].astype(float)):
        ax.text(v, i, f" {v:,.0f}", va="center", fontsize=9)
    ax.set(title=f"Early warning at the end of {month}: members flagged by reason (of {checked:,} checked)",
           xlabel="Members flagged", ylabel="")
    return fig
