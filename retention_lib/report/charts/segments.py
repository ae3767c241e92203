"""Charts of RFM segments, value tiers, their migration and the early warning (notebook 05)."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.patches import Patch

from retention_lib.report.charts.style import (HIGHLIGHT, PALETTE, PHONE_WIDTH, count_axis, on_phone, report_chart,
                                               subplots, use_style, wrap)
from retention_lib.report.text import count, say


@report_chart
def segments_chart(summary: pd.DataFrame, month: str, currency: str, recency: dict):
    """Members and the month's revenue by RFM segment, each bar coloured by its members' recency
    (recent, gone quiet, dormant: `recency` is RecencyRule.params()); the legend sits under the bars."""
    use_style()
    fig, (a1, a2) = subplots(1, 2, figsize=(11, 4.4), sharey=True, phone_height=3.8)
    colours = sns.color_palette(PALETTE)
    colour_of = {"recent": colours[0], "lapsed": colours[1], "long_lapsed": colours[7]}
    y = summary["segment"].astype(str).map(lambda name: wrap(name, 14) if on_phone() else name)
    bar_colours = [colour_of[st] for st in summary["recency_status"]]
    bars = a1.barh(y, summary["members"], color=bar_colours)
    a1.bar_label(bars, labels=[count(v) for v in summary["members"]], padding=2, fontsize=9)
    a1.set_xlim(0, max(float(summary["members"].max()), 1) * 1.15)   # room for the labels
    count_axis(a1.xaxis)
    a1.set(title=say("segments.chart.members", month=month), xlabel=say("segments.chart.members_axis"),
           ylabel=say("segments.chart.segment_axis"))
    a1.invert_yaxis()
    a2.barh(y, summary["revenue"] / 1000, color=bar_colours)
    a2.set(title=say("segments.chart.revenue", month=month),
           xlabel=say("segments.chart.revenue_axis", currency=currency), ylabel="")
    handles = [Patch(color=colour_of[st], label=say(f"segments.chart.status.{st}", **recency)) for st in colour_of]
    fig.legend(handles=handles, loc="lower center", ncol=1 if on_phone() else 3, frameon=False,
               bbox_to_anchor=(0.5, 0.0), fontsize=9)
    fig.set_layout_engine("tight", rect=(0, 0.1 if on_phone() else 0.08, 1, 1))
    return fig


def tiers_chart(summary: pd.DataFrame, month: str, currency: str, horizon: int):
    """Members and expected CLV by value tier."""
    use_style()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.2), sharey=True)
    y = summary["tier"].astype(str)
    a1.barh(y, summary["members"])
    a1.set(title=say("tiers.chart.members", month=month), xlabel=say("segments.chart.members_axis"),
           ylabel=say("tiers.chart.tier_axis"))
    a1.invert_yaxis()
    a2.barh(y, summary["clv"] / 1000, color=sns.color_palette(PALETTE)[2])
    a2.set(title=say("tiers.chart.clv", month=month, horizon=horizon),
           xlabel=say("tiers.chart.clv_axis", currency=currency), ylabel="")
    return fig


@report_chart
def migration_chart(counts: pd.DataFrame, month: str, previous: str, what: str):
    """Members by group at the end of the previous month (rows) and of this month (columns);
    `what` names the groups (a label: "RFM segment", "value tier"). On a phone the colour bar lies
    under the table and the names wrap, so the cells keep the width."""
    use_style()
    n_rows, n_cols = counts.shape
    phone = on_phone()
    fig, ax = plt.subplots(figsize=(PHONE_WIDTH, 0.55 * n_rows + 3.4) if phone
                           else (max(6, 1.2 * n_cols + 3), max(3.2, 0.5 * n_rows + 1.5)))
    shares = counts.div(counts.sum(axis=1).where(lambda s: s > 0), axis=0) * 100
    bar = {"orientation": "horizontal", "location": "bottom", "pad": 0.2, "shrink": 0.8, "aspect": 30} if phone else {}
    sns.heatmap(shares, annot=counts.map(count), fmt="", cmap="Blues", vmin=0, vmax=100,
                cbar_kws={"label": say("migration.chart.colour"), **bar}, annot_kws={"fontsize": 8}, ax=ax)
    for number in ax.texts:   # inside its cell: the layout need not measure them
        number.set_in_layout(False)
    ax.set(title=say("migration.chart.title", what=what, previous=previous, month=month),
           xlabel=say("migration.chart.columns", what=what, month=month),
           ylabel=say("migration.chart.rows", what=what, previous=previous))
    # wrapped, level column names: long names ("best customers gone quiet") do not run into each other
    ax.set_xticklabels([textwrap.fill(str(c), 11) for c in counts.columns], rotation=45 if phone else 0,
                       ha="right" if phone else "center", rotation_mode="anchor", fontsize=9)
    if phone:
        ax.set_yticklabels([wrap(str(r), 14) for r in counts.index], rotation=0)
    return fig


def early_warning_chart(counts: pd.DataFrame, month: str, checked: int):
    """Members flagged by each early-warning reason (one member can have several)."""
    use_style()
    c = counts[counts["available"]]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(c) + 1.4))
    colours = [HIGHLIGHT if r == say("warning.any") else sns.color_palette(PALETTE)[0] for r in c["reason"]]
    ax.barh(c["reason"], c["members"].astype(float), color=colours)
    ax.invert_yaxis()
    for i, v in enumerate(c["members"].astype(float)):
        ax.text(v, i, f" {count(v)}", va="center", fontsize=9)
    ax.set_xlim(0, max(float(c["members"].astype(float).max() or 0), 1) * 1.15)   # room for the labels
    ax.set(title=say("warning.chart.title", month=month, checked=checked), xlabel=say("warning.chart.axis"), ylabel="")
    return fig
