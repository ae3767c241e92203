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


def period_transactions_chart(table: pd.DataFrame, model_name: str, as_of: str):
    use_style()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    long = table.melt(id_vars="repeat purchases", var_name="source", value_name="customers")
    long["source"] = long["source"].map({"actual": "Actual", "model": f"{model_name} (simulated)"})
    sns.barplot(data=long, x="repeat purchases", y="customers", hue="source", ax=ax)
    ax.set(title=f"Members by number of repeat purchases, actual vs {model_name}, history to {as_of}",
           xlabel="Repeat purchases (purchase days after the first)", ylabel="Members")
    ax.tick_params(axis="x", rotation=45)
    ax.legend(title=None)
    return fig


def p_alive_matrix_chart(matrix: pd.DataFrame, model_name: str, T: float):
    use_style()
    fig, ax = plt.subplots(figsize=(8, 5))
    sns.heatmap(matrix.iloc[::-1], cmap="viridis", vmin=0, vmax=1, ax=ax,
                cbar_kws={"label": "P(alive)"}, xticklabels=5, yticklabels=5)
    ax.set(title=f"{model_name} P(alive) for a member of {T:.0f} weeks' tenure",
           xlabel="Weeks from first to last purchase (recency)", ylabel="Repeat purchases")
    return fig


def tracking_chart(track: pd.DataFrame, model_name: str, calibration_end: str):
    use_style()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    ax.plot(track["week_end"], track["actual"], label="Actual")
    ax.plot(track["week_end"], track["predicted"], linestyle="--", label=f"{model_name} expected")
    ax.axvline(pd.Timestamp(calibration_end), color="grey", linestyle=":", label="End of calibration")
    period = f"{track['week_end'].iloc[0]:%b %Y}–{track['week_end'].iloc[-1]:%b %Y}"
    ax.set(title=f"Weekly repeat purchases of the calibration cohort, actual vs model, {period}",
           xlabel="Week ending", ylabel="Repeat purchases per week")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left")
    return fig


def calibration_chart(rel: pd.DataFrame, holdout_weeks: float):
    use_style()
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="Perfect calibration")
    ax.plot(rel["predicted"], rel["observed"], marker="o", label="Deciles of members")
    ax.set(title=f"Predicted vs actual: bought in the {holdout_weeks:.0f}-week holdout",
           xlabel="Predicted probability of buying", ylabel="Share who bought", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    return fig


def clv_groups_chart(table: pd.DataFrame, currency: str, horizon: int, month: str):
    """Expected CLV and the further value at stake, by churn status, in thousands."""
    use_style()
    fig, ax = plt.subplots(figsize=(8, 3.4))
    long = table.melt(id_vars="group", value_vars=["clv", "value_at_stake"], var_name="measure", value_name="value")
    long["measure"] = long["measure"].map({"clv": "Expected CLV", "value_at_stake": "Further value at stake if retained"})
    long["value"] = long["value"] / 1000
    sns.barplot(data=long, x="group", y="value", hue="measure", ax=ax)
    ax.set(title=f"{horizon}-month CLV by churn status of members, {month} ({currency} thousands, discounted)",
           xlabel="", ylabel=f"{currency} thousands")
    ax.legend(title=None)
    return fig


def track_record_chart(record: pd.DataFrame):
    """Each forecast month: purchase days the model expected against those made."""
    use_style()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = range(len(record))
    ax.plot(x, record["actual_purchases"], marker="o", label="Actual")
    ax.plot(x, record["predicted_purchases"], marker="s", linestyle="--", label="Forecast a month ahead")
    ax.set_xticks(list(x), record["for_month"])
    ax.set(title="Model track record: member purchase days per month, forecast vs actual",
           xlabel="Month forecast", ylabel="Purchase days per month")
    ax.set_ylim(0, 1.1 * max(record["actual_purchases"].max(), record["predicted_purchases"].max()))
    ax.legend(loc="lower left")
    return fig



# --- KPI board, cohorts, segments, early warning and churn drivers (notebooks 02 and 05) ---

def _highlight_month(ax, labels: list, month: str) -> None:
    """Shade the reported month in a chart whose x positions are 0..n-1."""
    if month in labels:
        i = labels.index(month)
        ax.axvspan(i - 0.45, i + 0.45, color=HIGHLIGHT, alpha=0.15, zorder=0)


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
        _highlight_month(ax, labels, month)
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


def cohort_heatmap(matrix: pd.DataFrame, month: str, basis: str):
    """Share of each cohort active in each month since it joined, in %."""
    use_style()
    n_rows, n_cols = matrix.shape
    fig, ax = plt.subplots(figsize=(max(10, 0.45 * n_cols + 3), max(3.8, 0.32 * n_rows + 1.8)))
    sns.heatmap(matrix * 100, cmap="viridis", vmin=0, vmax=100, annot=n_cols <= 25, fmt=".0f",
                annot_kws={"fontsize": 7}, cbar_kws={"label": "% of cohort who bought"}, ax=ax)
    what = "join month" if basis == "join" else "month of first purchase"
    ax.set(title=f"Cohort retention by {what}: % of members who bought in each later month, to {month}",
           xlabel="Months since joining (0 = the joining month)" if basis == "join"
           else "Months since the first purchase (0 = that month)",
           ylabel=f"Cohort ({what}, members)")
    return fig


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


def _error_bars(values, lo, hi):
    """Lower and upper error-bar lengths from an interval; NaN where unknown. An interval holds
    its estimate, so a bound past it by rounding noise (a Wilson bound at 0 of 0) is a zero bar."""
    v, lo, hi = (pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(float) for x in (values, lo, hi))
    return [np.maximum(v - lo, 0.0), np.maximum(hi - v, 0.0)]  # NaN stays NaN


def satisfaction_trend_chart(monthly: pd.DataFrame, month: str):
    """NPS and CSAT per month with 95% intervals; months under 30 responses drawn hollow."""
    use_style()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6))
    labels = list(monthly["month"])
    x = list(range(len(labels)))
    small = monthly["responses"] < 30
    colours = sns.color_palette(PALETTE)
    for ax, col, scale, colour, ylabel in (
            (a1, "nps", 1, colours[0], "NPS (points, −100 to 100)"),
            (a2, "csat", 100, colours[2], "CSAT (% rating 4–5 of 5)")):
        v = monthly[col].astype(float) * scale
        err = _error_bars(v, monthly[f"{col}_lo"].astype(float) * scale, monthly[f"{col}_hi"].astype(float) * scale)
        ax.errorbar(x, v, yerr=err, fmt="-", color=colour, ecolor=colour, elinewidth=1, capsize=3, alpha=0.9)
        ax.scatter([i for i in x if not small.iloc[i]], v[~small], color=colour, zorder=3, label="30+ responses")
        if small.any():
            ax.scatter([i for i in x if small.iloc[i]], v[small], facecolor="white", edgecolor=colour, zorder=3,
                       label="Under 30 responses")
        if month in labels:
            i = labels.index(month)
            ax.axvspan(i - 0.4, i + 0.4, color=HIGHLIGHT, alpha=0.15)
        ax.set_xticks(x, [m[2:] for m in labels], rotation=90, fontsize=8)
        ax.set(xlabel="Month", ylabel=ylabel)
        if small.any():
            ax.legend(fontsize=8, loc="lower left")
    a1.set_title(f"NPS by month with 95% intervals, {labels[0]} to {labels[-1]}")
    a2.set_title(f"CSAT by month with 95% intervals, {labels[0]} to {labels[-1]}")
    a2.set_ylim(0, 100)
    return fig


def importance_performance_chart(table: pd.DataFrame, period: str, outcome: str = "NPS"):
    """Derived importance against performance per dimension; dividers at the means."""
    use_style()
    fig, ax = plt.subplots(figsize=(8.5, 5.6))
    imp, perf = table["importance"] * 100, table["performance"].astype(float)
    imp_div, perf_div = imp.mean(), perf.mean()
    colours = [HIGHLIGHT if f else sns.color_palette(PALETTE)[0] for f in table["fix_first"]]
    ax.errorbar(perf, imp, yerr=_error_bars(imp, table["importance_lo"] * 100, table["importance_hi"] * 100),
                xerr=_error_bars(perf, table["performance_lo"], table["performance_hi"]),
                fmt="none", ecolor="grey", elinewidth=1, capsize=2, alpha=0.7)
    ax.scatter(perf, imp, s=70, color=colours, zorder=3)
    ax.axvline(perf_div, color="grey", linestyle="--", linewidth=1)
    ax.axhline(imp_div, color="grey", linestyle="--", linewidth=1)
    for (_, row), x, y in zip(table.iterrows(), perf, imp):
        ax.annotate(row["label"], (x, y), xytext=(6, 5), textcoords="offset points", fontsize=9,
                    fontweight="bold" if row["fix_first"] else "normal")
    x_lo, x_hi = min(perf.min(), perf_div) - 0.25, max(perf.max(), perf_div) + 0.35
    y_lo, y_hi = 0, max(imp.max(), (table["importance_hi"] * 100).max()) * 1.15
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    corner = dict(fontsize=9, alpha=0.8, fontstyle="italic")
    ax.text(x_lo + 0.02, y_hi * 0.97, "FIX FIRST\nimportant, performing below average", va="top",
            color=HIGHLIGHT, fontweight="bold", **{k: v for k, v in corner.items() if k != "fontstyle"})
    ax.text(x_hi - 0.02, y_hi * 0.97, "Keep up the good work", va="top", ha="right", **corner)
    ax.text(x_lo + 0.02, y_hi * 0.02, "Lower priority", va="bottom", **corner)
    ax.text(x_hi - 0.02, y_hi * 0.02, "Possible overkill", va="bottom", ha="right", **corner)
    ax.set(title=f"What to fix first: importance vs performance of the seven dimensions, {period}",
           xlabel="Performance: mean rating (1–5 stars), 95% CI",
           ylabel=f"Importance: % of explained {outcome} variance, 95% CI")
    return fig


def complaints_chart(trend: pd.DataFrame, categories: pd.DataFrame, month: str):
    """Complaints per 1,000 purchase baskets by month (95% CI), and by category this month."""
    use_style()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.3, 1]})
    labels = list(trend["month"])
    x = list(range(len(labels)))
    v = trend["per_1000_baskets"].astype(float)
    a1.bar(x, v, color=[HIGHLIGHT if m == month else sns.color_palette(PALETTE)[0] for m in labels])
    a1.errorbar(x, v, yerr=_error_bars(v, trend["per_1000_lo"], trend["per_1000_hi"]), fmt="none",
                ecolor="black", elinewidth=1, capsize=3)
    a1.set_xticks(x, [m[2:] for m in labels], rotation=90, fontsize=8)
    a1.set(title=f"Complaints per 1,000 baskets, {labels[0]} to {labels[-1]} (95% CI)",
           xlabel="Month opened", ylabel="Complaints per 1,000 baskets")
    c = categories.sort_values("per_1000_baskets") if len(categories) else categories
    if len(c):
        cv = c["per_1000_baskets"].astype(float)
        a2.barh(c["category"], cv, color=sns.color_palette(PALETTE)[1])
        a2.errorbar(cv, range(len(c)), xerr=_error_bars(cv, c["per_1000_lo"], c["per_1000_hi"]), fmt="none",
                    ecolor="black", elinewidth=1, capsize=2)
    else:
        a2.text(0.5, 0.5, "No complaints this month", ha="center", va="center", transform=a2.transAxes)
    a2.set(title=f"By category, {month} (95% CI)", xlabel="Complaints per 1,000 baskets", ylabel="")
    return fig


def satisfaction_churn_chart(table: pd.DataFrame, period: str, currency: str, window_days: int):
    """Later churn, P(alive) and spend of surveyed members by NPS group, 95% intervals."""
    use_style()
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.6))
    t = table.reindex(["detractor", "passive", "promoter"])
    names = [f"{g.capitalize()}s\n(n={int(n):,})" for g, n in zip(t.index, t["members"].fillna(0))]
    colours = sns.color_palette(PALETTE)
    panels = [("churn_share", "churn", 100, f"No purchase in the last {window_days} days", "% of members",
               colours[3]),
              ("p_alive", "p_alive", 100, "P(alive) at the month's end", "Mean P(alive) (%)", colours[0]),
              ("spend", "spend", 1, f"Spend in the last {window_days} days", f"Mean {currency} per member",
               colours[2])]
    for ax, (col, ci, scale, title, ylabel, colour) in zip(axes, panels):
        v = t[col].astype(float) * scale
        ax.bar(names, v, color=colour)
        ax.errorbar(range(len(t)), v, yerr=_error_bars(v, t[f"{ci}_lo"].astype(float) * scale,
                                                       t[f"{ci}_hi"].astype(float) * scale),
                    fmt="none", ecolor="black", elinewidth=1, capsize=4)
        ax.set(title=title, xlabel="NPS group of the member's last survey", ylabel=ylabel)
        ax.tick_params(axis="x", labelsize=8)
        ax.title.set_fontsize(10)
    fig.suptitle(f"Do detractors leave? Members surveyed {period}, by NPS group (95% CI)",
                 fontweight="bold", fontsize=12)
    return fig


def comment_themes_chart(themes: pd.DataFrame, month: str):
    """Comments per theme this month, stacked by the respondent's NPS group."""
    use_style()
    t = themes[themes["theme"] != "none"].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * max(len(t), 1) + 1.6))
    left = pd.Series(0.0, index=t.index)
    colours = {"detractors": sns.color_palette(PALETTE)[3], "passives": "lightgrey",
               "promoters": sns.color_palette(PALETTE)[2]}
    for group, colour in colours.items():
        ax.barh(t["label"], t[f"from_{group}"], left=left, color=colour, label=f"From {group}")
        left += t[f"from_{group}"]
    ax.set(title=f"Comment themes in {month}, by the respondent's NPS group",
           xlabel="Comments mentioning the theme (Chinese and English)", ylabel="")
    ax.legend(fontsize=8, loc="lower right")
    return fig
