"""Charts of the data and the KPI board: daily coverage, membership and KPI trends (notebooks 01 and 02)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from retention_lib.report.charts.style import HIGHLIGHT, MAX_STORE_LINES, PALETTE, highlight_month, use_style


def coverage_chart(daily: pd.DataFrame, month: str):
    """Baskets per day and store over the month; days with no data stand out at zero."""
    use_style()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    if daily["store_id"].nunique() <= MAX_STORE_LINES:
        sns.lineplot(data=daily, x="date", y="baskets", hue="store_id", marker="o", ax=ax)
        ax.set(title=f"Baskets per day and store, {month}")
        ax.legend(title="Store", loc="lower left", ncols=4)
    else:  # a chain: one line for all stores
        total = daily.groupby("date", as_index=False)["baskets"].sum()
        sns.lineplot(data=total, x="date", y="baskets", marker="o", ax=ax)
        ax.set(title=f"Baskets per day, all {daily['store_id'].nunique()} stores, {month}")
    ax.set(xlabel="Day", ylabel="Baskets per day")
    ax.set_ylim(bottom=0)
    fig.autofmt_xdate()
    return fig


def membership_chart(monthly: pd.DataFrame, month: str):
    """Member and non-member baskets per month, the reported month highlighted."""
    use_style()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    x = range(len(monthly))
    ax.bar(x, monthly["member_baskets"], label="Member baskets")
    ax.bar(x, monthly["non_member_baskets"], bottom=monthly["member_baskets"], label="Non-member baskets")
    if month in set(monthly["month"]):
        i = list(monthly["month"]).index(month)
        ax.axvspan(i - 0.45, i + 0.45, fill=False, edgecolor=HIGHLIGHT, linewidth=2, label=f"{month}")
    ax.set_xticks(list(x), monthly["month"], rotation=45, ha="right")
    ax.set(title=f"Baskets per month, members and non-members (13 months to {month})",
           xlabel="Month", ylabel="Baskets per month")
    ax.legend(loc="lower left")
    return fig


def kpi_trends_chart(trend: pd.DataFrame, month: str, currency: str, lapse_days: int):
    """Small multiples of the headline KPIs over the 13 months to `month`, that month shaded.

    Months without data are gaps, not zeros.
    """
    use_style()
    labels = list(trend["month"])
    x = list(range(len(labels)))
    panels = [
        ("Active members", "Members", [("active_customers", "Active", "bar")]),
        ("New, reactivated and lapsed members", "Members",
         [("new_customers", "New", "line"), ("reactivated_customers", "Reactivated", "line"),
          ("lapsed_customers", f"Lapsed ({lapse_days}-day rule)", "line")]),
        ("Churn and repurchase rate", "% of members",
         [("churn_rate", "Churn rate", "pct"), ("repurchase_rate", "Repurchase rate", "pct")]),
        ("Average basket value", f"{currency} per basket", [("avg_basket_value", "Average basket", "line")]),
        ("Revenue per active member", f"{currency} per member", [("revenue_per_active", "Revenue per member", "line")]),
        ("Members' share of revenue", "% of revenue", [("member_revenue_share", "Members' share", "pct")]),
    ]
    if "complaint_rate" in trend:
        panels.append(("Complaints per 1,000 baskets", "Complaints per 1,000 baskets",
                       [("complaint_rate", "Complaint rate", "line")]))
    if "nps" in trend:
        panels.append(("NPS and CSAT", "NPS (−100 to 100) / CSAT (%)",
                       [("nps", "NPS", "line"), ("csat", "CSAT (% 4–5)", "pct")]))
    cols = 4 if len(panels) > 6 else 3
    fig, axes = plt.subplots(2, cols, figsize=(4.2 * cols, 7.2), squeeze=False)
    colours = sns.color_palette(PALETTE)
    for ax, (title, ylabel, series) in zip(axes.flat, panels):
        for j, (col, name, how) in enumerate(series):
            y = trend[col].astype(float) * (100 if how == "pct" else 1)
            if how == "bar":
                ax.bar(x, y, color=[HIGHLIGHT if m == month else colours[0] for m in labels], label=name)
            else:
                ax.plot(x, y, marker="o", markersize=3.5, color=colours[j], label=name)
                if month in labels:
                    i = labels.index(month)
                    ax.plot([i], [y.iloc[i]], marker="o", markersize=9, markerfacecolor="none",
                            markeredgecolor="black", markeredgewidth=1.5, zorder=5)
        highlight_month(ax, labels, month)
        ax.set_title(title)
        ax.set(xlabel="Month", ylabel=ylabel)
        ax.set_xticks(x, labels, rotation=90, fontsize=8)
        # Axes start at zero (NPS may go below) so small month-to-month moves are not magnified.
        known = [c for c, _, _ in series if trend[c].notna().any()]
        low = min([0.0] + [float(trend[c].min()) for c in known])
        high = max([1.0] + [float(trend[c].max()) * (100 if how == "pct" else 1) for c, _, how in series if c in known])
        pct_only = all(how == "pct" for _, _, how in series)
        ax.set_ylim(low, 105 if pct_only else high * 1.12)
        for i, w in enumerate(trend.get("warm_up", pd.Series(False, index=trend.index))):
            if w is True or w == 1:
                ax.axvspan(i - 0.5, i + 0.5, facecolor="none", edgecolor="grey", hatch="//", linewidth=0, zorder=0)
        missing = [i for i, b in enumerate(trend["baskets"]) if pd.isna(b)]
        for i in missing:
            ax.axvspan(i - 0.5, i + 0.5, color="lightgrey", alpha=0.35, linewidth=0, zorder=0)
        if missing:
            ax.text((missing[0] + missing[-1]) / 2, sum(ax.get_ylim()) / 2, "no data", ha="center",
                    va="center", color="grey", fontsize=9)
        ax.set_xlim(-0.5, len(labels) - 0.5)
        if len(series) > 1:
            ax.legend(fontsize=8, loc="best")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    warm = " Hatched: first months of data (churn not measurable; new members include existing ones)." \
        if trend.get("warm_up", pd.Series(dtype=bool)).eq(True).any() else ""
    fig.suptitle(f"Monthly KPIs, all stores, {labels[0]} to {labels[-1]} ({month} shaded).{warm}",
                 fontweight="bold", fontsize=12 if warm else 13)
    return fig
