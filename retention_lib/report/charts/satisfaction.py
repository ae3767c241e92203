"""Charts of satisfaction, complaints and comment themes (notebook 06)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from retention_lib.core import figures
from retention_lib.report.charts.style import (HIGHLIGHT, PALETTE, error_bars, month_ticks, on_phone, report_chart,
                                               subplots, use_style, wrap)
from retention_lib.report.text import say

FEW_RESPONSES = 30   # a month with fewer responses is drawn hollow


@report_chart
def satisfaction_trend_chart(monthly: pd.DataFrame, month: str):
    """NPS and CSAT per month with 95% intervals; months under FEW_RESPONSES responses drawn hollow."""
    use_style()
    fig, (a1, a2) = subplots(1, 2, figsize=(11, 3.6), phone_height=3.4)
    labels = list(monthly["month"])
    x = list(range(len(labels)))
    small = monthly["responses"] < FEW_RESPONSES
    colours = sns.color_palette(PALETTE)
    for ax, col, scale, colour, ylabel in (
            (a1, "nps", 1, colours[0], say("chart.satisfaction_trend.nps_axis")),
            (a2, "csat", 100, colours[2], say("chart.satisfaction_trend.csat_axis"))):
        v = monthly[col].astype(float) * scale
        err = error_bars(v, monthly[f"{col}_lo"].astype(float) * scale, monthly[f"{col}_hi"].astype(float) * scale)
        ax.errorbar(x, v, yerr=err, fmt="-", color=colour, ecolor=colour, elinewidth=1, capsize=3, alpha=0.9)
        ax.scatter([i for i in x if not small.iloc[i]], v[~small], color=colour, zorder=3,
                   label=say("chart.satisfaction_trend.enough", n=FEW_RESPONSES))
        if small.any():
            ax.scatter([i for i in x if small.iloc[i]], v[small], facecolor="white", edgecolor=colour, zorder=3,
                       label=say("chart.satisfaction_trend.few", n=FEW_RESPONSES))
        if month in labels:
            i = labels.index(month)
            ax.axvspan(i - 0.4, i + 0.4, color=HIGHLIGHT, alpha=0.15)
        month_ticks(ax, labels, fontsize=8)
        ax.set(xlabel=say("chart.satisfaction_trend.xlabel"), ylabel=ylabel)
        if small.any():   # above the plot, where it cannot cover a point
            ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1, 1), ncol=2, frameon=False,
                      borderaxespad=0.2)
    pad = 22 if small.any() else 6
    a1.set_title(say("chart.satisfaction_trend.nps_title", first=labels[0], last=labels[-1]), pad=pad)
    a2.set_title(say("chart.satisfaction_trend.csat_title", first=labels[0], last=labels[-1]), pad=pad)
    a2.set_ylim(0, 100)
    return fig


@report_chart
def importance_performance_chart(table: pd.DataFrame, period: str, outcome: str | None = None):
    """Derived importance against performance per dimension; dividers at the means. `outcome`: the
    outcome's label (default NPS's)."""
    use_style()
    outcome = say("outcome.nps") if outcome is None else outcome
    fig, ax = subplots(figsize=(8.5, 5.6), phone_height=5.4)
    imp, perf = table["importance"] * 100, table["performance"].astype(float)
    imp_div, perf_div = imp.mean(), perf.mean()
    colours = [HIGHLIGHT if f else sns.color_palette(PALETTE)[0] for f in table["fix_first"]]
    ax.errorbar(perf, imp, yerr=error_bars(imp, table["importance_lo"] * 100, table["importance_hi"] * 100),
                xerr=error_bars(perf, table["performance_lo"], table["performance_hi"]),
                fmt="none", ecolor="grey", elinewidth=1, capsize=2, alpha=0.7)
    ax.scatter(perf, imp, s=70, color=colours, zorder=3)
    ax.axvline(perf_div, color="grey", linestyle="--", linewidth=1)
    ax.axhline(imp_div, color="grey", linestyle="--", linewidth=1)
    x_lo, x_hi = min(perf.min(), perf_div) - 0.25, max(perf.max(), perf_div) + 0.35
    y_lo, y_hi = 0, max(imp.max(), (table["importance_hi"] * 100).max()) * (1.3 if on_phone() else 1.15)
    notes = []
    for (_, row), x, y in zip(table.iterrows(), perf, imp):
        left = on_phone() and x > (x_lo + x_hi) / 2   # on a narrow chart a name on the right runs off it
        notes.append(ax.annotate(row["label"], (x, y), xytext=(-6 if left else 6, 5), textcoords="offset points",
                                 ha="right" if left else "left", fontsize=10 if on_phone() else 9,
                                 fontweight="bold" if row["fix_first"] else "normal"))
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    corner = dict(fontsize=9, alpha=0.8, fontstyle="italic")

    def quadrant(key: str) -> str:   # on a phone two corners' notes share a line only if each takes half
        return say(key) if not on_phone() else "\n".join(wrap(line, 22) for line in say(key).split("\n"))
    ax.text(x_lo + 0.02, y_hi * 0.97, quadrant("chart.importance.fix_first"), va="top",
            color=HIGHLIGHT, fontweight="bold", **{k: v for k, v in corner.items() if k != "fontstyle"})
    ax.text(x_hi - 0.02, y_hi * 0.97, quadrant("quadrant.keep_up"), va="top", ha="right", **corner)
    ax.text(x_lo + 0.02, y_hi * 0.02, quadrant("quadrant.lower_priority"), va="bottom", **corner)
    ax.text(x_hi - 0.02, y_hi * 0.02, quadrant("quadrant.possible_overkill"), va="bottom", ha="right", **corner)
    ax.set(title=say("chart.importance.title", period=period), xlabel=say("chart.importance.xlabel"),
           ylabel=say("chart.importance.ylabel", outcome=outcome))
    _apart(fig, notes, obstacles=ax.texts[len(notes):])
    return fig


def _apart(fig, notes: list, obstacles: list) -> None:
    """Move the names of nearby points up, from the lowest, until none covers another or a corner's note."""
    figures.lay_out(fig)
    placed = [t.get_window_extent() for t in obstacles]
    for note in sorted(notes, key=lambda n: n.xy[1]):
        for _ in range(len(placed) + 1):
            box = note.get_window_extent()
            hit = [b for b in placed if b.overlaps(box)]
            if not hit:
                break
            dx, dy = note.xyann
            note.xyann = (dx, dy + (max(b.y1 for b in hit) - box.y0 + 2) * 72 / fig.dpi)
        placed.append(note.get_window_extent())


@report_chart
def complaints_chart(trend: pd.DataFrame, categories: pd.DataFrame, month: str):
    """Complaints per 1,000 purchase baskets by month (95% CI), and by category this month."""
    use_style()
    fig, (a1, a2) = subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.3, 1]}, phone_height=3.4)
    labels = list(trend["month"])
    x = list(range(len(labels)))
    v = trend["per_1000_baskets"].astype(float)
    a1.bar(x, v, color=[HIGHLIGHT if m == month else sns.color_palette(PALETTE)[0] for m in labels])
    a1.errorbar(x, v, yerr=error_bars(v, trend["per_1000_lo"], trend["per_1000_hi"]), fmt="none",
                ecolor="black", elinewidth=1, capsize=3)
    month_ticks(a1, labels, fontsize=8)
    a1.set(title=say("chart.complaints.title", first=labels[0], last=labels[-1]),
           xlabel=say("chart.complaints.xlabel"), ylabel=say("chart.complaints.rate_axis"))
    c = categories.sort_values("per_1000_baskets") if len(categories) else categories
    if len(c):
        cv = c["per_1000_baskets"].astype(float)
        a2.barh(c["category"], cv, color=sns.color_palette(PALETTE)[1])
        a2.errorbar(cv, range(len(c)), xerr=error_bars(cv, c["per_1000_lo"], c["per_1000_hi"]), fmt="none",
                    ecolor="black", elinewidth=1, capsize=2)
    else:
        a2.text(0.5, 0.5, say("chart.complaints.none"), ha="center", va="center", transform=a2.transAxes)
    a2.set(title=say("chart.complaints.by_category", month=month), xlabel=say("chart.complaints.rate_axis"),
           ylabel="")
    return fig


@report_chart
def satisfaction_churn_chart(table: pd.DataFrame, period: str, currency: str, window_days: int):
    """Later churn, P(alive) and spend of surveyed members by NPS group, 95% intervals."""
    use_style()
    fig, axes = subplots(1, 3, figsize=(11.5, 3.6), phone_height=3.0)
    t = table.reindex(["detractor", "passive", "promoter"])
    names = [say(f"chart.satisfaction_churn.group.{g}", n=n) for g, n in zip(t.index, t["members"].fillna(0))]
    colours = sns.color_palette(PALETTE)

    def words(what: str) -> tuple[str, str]:   # a panel's title and value axis
        return (say(f"chart.satisfaction_churn.{what}", days=window_days),
                say(f"chart.satisfaction_churn.{what}_axis", currency=currency))
    panels = [("churn_share", "churn", 100, *words("churn"), colours[3]),
              ("p_alive", "p_alive", 100, *words("p_alive"), colours[0]),
              ("spend", "spend", 1, *words("spend"), colours[2])]
    for ax, (col, ci, scale, title, ylabel, colour) in zip(axes, panels):
        v = t[col].astype(float) * scale
        ax.bar(names, v, color=colour)
        ax.errorbar(range(len(t)), v, yerr=error_bars(v, t[f"{ci}_lo"].astype(float) * scale,
                                                       t[f"{ci}_hi"].astype(float) * scale),
                    fmt="none", ecolor="black", elinewidth=1, capsize=4)
        ax.set(title=title, xlabel=say("chart.satisfaction_churn.xlabel"), ylabel=ylabel)
        ax.tick_params(axis="x", labelsize=8)
        ax.title.set_fontsize(10)
    fig.suptitle(say("chart.satisfaction_churn.title", period=period), fontweight="bold", fontsize=12)
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
        ax.barh(t["label"], t[f"from_{group}"], left=left, color=colour,
                label=say(f"chart.comment_themes.from.{group}"))
        left += t[f"from_{group}"]
    ax.set(title=say("chart.comment_themes.title", month=month), xlabel=say("chart.comment_themes.xlabel"),
           ylabel="")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)   # beside the bars
    return fig
