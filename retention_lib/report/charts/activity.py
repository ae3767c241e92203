"""Charts of the data and the KPI board: daily coverage, membership and KPI trends (notebooks 01 and 02).

Legends sit outside the plotting area, so they never cover a point, and value axes leave room
above the highest point.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from retention_lib.report import text
from retention_lib.report.charts.style import (HIGHLIGHT, MAX_STORE_LINES, PALETTE, PHONE_WIDTH, count_axis,
                                               date_axis, highlight_month, month_ticks, on_phone, report_chart,
                                               subplots, use_style)
from retention_lib.report.text import say

HEADROOM = 1.12   # the value axis ends this far above the highest point


def _legend_above(ax, ncols: int = 4, **options) -> None:
    """The legend in one band between the title and the plotting area."""
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=ncols, frameon=False, borderaxespad=0.3,
              **options)


def _legend_beside(ax, **options) -> None:
    """The legend to the right of the plotting area, one entry a line."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0, **options)


@report_chart
def coverage_chart(daily: pd.DataFrame, month: str):
    """Baskets per day and store over the month; days with no data stand out at zero.

    `daily` holds every store with a basket in the month (data/quality.month_coverage), so the
    store count in the title is the KPI section's "stores with baskets in the month".
    """
    use_style()
    fig, ax = subplots(figsize=(9, 3.6), phone_height=3.4)
    stores = daily["store_id"].nunique()
    if stores <= MAX_STORE_LINES:
        shown = daily.assign(store_id=daily["store_id"].astype(str))
        sns.lineplot(data=shown, x="date", y="baskets", hue="store_id", marker="o", ax=ax)
        legend_lines = 1 + -(-stores // 3)   # on a phone, above the lines: its title and a line per 3 stores
        ax.set_title(say("activity_chart.coverage.stores", month=month), pad=6 + 15 * legend_lines if on_phone() else 6)
        if on_phone():   # beside the lines it would take half the width
            _legend_above(ax, ncols=min(stores, 3), title=say("activity_chart.coverage.store"), alignment="left")
        else:
            _legend_beside(ax, title=say("activity_chart.coverage.store"), alignment="left")
        top = float(shown["baskets"].max())
    else:  # a chain: one line for all stores
        total = daily.groupby("date", as_index=False)["baskets"].sum()
        sns.lineplot(data=total, x="date", y="baskets", marker="o", ax=ax)
        ax.set_title(say("activity_chart.coverage.chain", n=stores, month=month))
        top = float(total["baskets"].max())
    ax.set(xlabel=say("activity_chart.coverage.xlabel"), ylabel=say("activity_chart.coverage.ylabel"))
    ax.set_ylim(0, max(top, 1.0) * HEADROOM)
    count_axis(ax.yaxis)
    date_axis(ax.xaxis)
    fig.autofmt_xdate()
    return fig


def membership_chart(monthly: pd.DataFrame, month: str):
    """Member and non-member baskets per month, the reported month outlined."""
    use_style()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = range(len(monthly))
    ax.bar(x, monthly["member_baskets"], label=say("activity_chart.membership.members"))
    ax.bar(x, monthly["non_member_baskets"], bottom=monthly["member_baskets"],
           label=say("activity_chart.membership.non_members"))
    if month in set(monthly["month"]):
        i = list(monthly["month"]).index(month)
        ax.axvspan(i - 0.45, i + 0.45, fill=False, edgecolor=HIGHLIGHT, linewidth=2,
                   label=text.month_label(month))
    month_ticks(ax, list(monthly["month"]))
    ax.set_title(say("activity_chart.membership.title", first=monthly["month"].iloc[0], month=month), pad=22)
    ax.set(xlabel=say("activity_chart.month"), ylabel=say("activity_chart.membership.ylabel"))
    top = float((monthly["member_baskets"] + monthly["non_member_baskets"]).max())
    ax.set_ylim(0, max(top, 1.0) * HEADROOM)
    count_axis(ax.yaxis)
    _legend_above(ax, ncols=3)
    return fig


def _panels(trend: pd.DataFrame, currency: str, lapse_days: int) -> list:
    """(title, y label, [(column, series label, how)]) of every panel with data in `trend`.

    A series without any value is left out, and so is a panel left with none; the members'
    share of revenue is left out when no month has a non-member basket (it is 100% by construction).
    """
    panels = [
        ("active", "members", [("active_customers", "active", "bar")]),
        ("flows", "members", [("new_customers", "new", "line"), ("reactivated_customers", "reactivated", "line"),
                              ("lapsed_customers", "lapsed", "line")]),
        ("rates", "pct_members", [("churn_rate", "churn", "pct"), ("repurchase_rate", "repurchase", "pct")]),
        ("avg_basket", "per_basket", [("avg_basket_value", "avg_basket", "line")]),
        ("revenue_per_active", "per_member", [("revenue_per_active", "revenue_per_active", "line")]),
        ("member_share", "pct_revenue", [("member_revenue_share", "member_share", "pct")]),
        ("complaints", "complaints", [("complaint_rate", "complaint_rate", "line")]),
        ("satisfaction", "satisfaction", [("nps", "nps", "line"), ("csat", "csat", "pct")]),
    ]
    shown = []
    for name, ylabel, series in panels:
        if on_phone() and name not in PHONE_PANELS:
            continue
        if name == "member_share" and not (trend["non_member_baskets"].fillna(0) > 0).any():
            continue
        kept = [(col, say(f"activity_chart.series.{key}", lapse_days=lapse_days), how)
                for col, key, how in series if col in trend and trend[col].notna().any()]
        if kept:
            shown.append((say(f"activity_chart.panel.{name}"),
                          say(f"activity_chart.ylabel.{ylabel}", currency=currency), kept))
    return shown


# On a phone the trends show the panels of the KPI summary above the chart (members who shopped,
# how many came, returned and lapsed, the churn rate) and revenue per member: the rest are in the table.
PHONE_PANELS = ("active", "flows", "rates", "revenue_per_active")


@report_chart
def kpi_trends_chart(trend: pd.DataFrame, month: str, currency: str, lapse_days: int):
    """Small multiples of the headline KPIs over the months to `month` that have data (at most
    13), that month shaded; panels without any data are left out.

    Months without data inside the span are gaps, not zeros. Warm-up months (the first N days of
    data) are hatched: churn, new and returning members are not measured there.
    """
    use_style()
    with_data = trend.index[trend["baskets"].notna()]
    trend = trend.loc[with_data.min():].reset_index(drop=True) if len(with_data) else trend
    labels = [str(m) for m in trend["month"]]
    x = list(range(len(labels)))
    panels = _panels(trend, currency, lapse_days)
    cols = 1 if on_phone() else min(3, len(panels))   # four columns shrink to thumbnails in the report
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(PHONE_WIDTH if on_phone() else 4.2 * cols, 3.3 * rows + 0.8 if on_phone()
                                                  else 3.9 * rows + 0.6), squeeze=False)
    colours = sns.color_palette(PALETTE)
    warm = trend["warm_up"].eq(True) if "warm_up" in trend else pd.Series(False, index=trend.index)
    for ax, (title, ylabel, series) in zip(axes.flat, panels):
        for j, (col, name, how) in enumerate(series):
            y = trend[col].astype(float) * (100 if how == "pct" else 1)
            if how == "bar":
                ax.bar(x, y, color=[HIGHLIGHT if m == month else colours[0] for m in labels], label=name)
            else:
                ax.plot(x, y, marker="o", markersize=3.5, color=colours[j], label=name)
                if month in labels and pd.notna(y.iloc[labels.index(month)]):
                    i = labels.index(month)
                    ax.plot([i], [y.iloc[i]], marker="o", markersize=9, markerfacecolor="none",
                            markeredgecolor="black", markeredgewidth=1.5, zorder=5)
        highlight_month(ax, labels, month)
        # on a phone the legend above the panel takes a line an entry
        # on a phone a line an entry, else two: a wider legend would narrow every panel to fit it
        legend_cols = 1 if on_phone() else 2
        legend_lines = -(-len(series) // legend_cols) if len(series) > 1 else 0
        ax.set_title(title, pad=6 + 15 * legend_lines)
        ax.set(xlabel="" if on_phone() else say("activity_chart.month"), ylabel=ylabel)   # months need no word
        month_ticks(ax, labels, fontsize=8)
        # Axes start at zero (NPS may go below) so small month-to-month moves are not magnified.
        scaled = [trend[c].astype(float) * (100 if how == "pct" else 1) for c, _, how in series]
        low = min([0.0] + [float(s.min()) for s in scaled])
        high = max([1.0] + [float(s.max()) for s in scaled])
        pct_only = all(how == "pct" for _, _, how in series)
        ax.set_ylim(low, 100 * HEADROOM if pct_only else high * HEADROOM)
        for i in (i for i, w in enumerate(warm) if w):
            ax.axvspan(i - 0.5, i + 0.5, facecolor="none", edgecolor="grey", hatch="//", linewidth=0, zorder=0)
        for i in (i for i, b in enumerate(trend["baskets"]) if pd.isna(b)):
            ax.axvspan(i - 0.5, i + 0.5, color="lightgrey", alpha=0.35, linewidth=0, zorder=0)
        ax.set_xlim(-0.5, len(labels) - 0.5)
        if all(col.endswith("_customers") for col, _, _ in series):   # member counts
            count_axis(ax.yaxis)
        if len(series) > 1:
            _legend_above(ax, ncols=legend_cols, fontsize=8)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    title = say("activity_chart.trends.title", first=labels[0], last=labels[-1], month=month)
    if warm.any():
        title = say("activity_chart.trends.title_warm_up", title=title)
    fig.suptitle(title, fontweight="bold", fontsize=12)
    return fig

