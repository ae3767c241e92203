"""The email's charts (notebook 08): one message each, drawn large enough to read at 600 px and on
a phone. The report keeps the full KPI board (`kpi_trends_chart`); these show the two questions a
manager opens the email with: is the business growing, and are members leaving faster?"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from retention_lib.analytics.kpis import TOTAL, TREND_MONTHS
from retention_lib.core import stats
from retention_lib.report import text
from retention_lib.report.charts.style import (HIGHLIGHT, PALETTE, count_axis, month_ticks,
                                               percent_axis, use_style, wrap)
from retention_lib.report.text import say

# 6 in at the report's 110 dpi is 660 px: shown at 600 px, or ~370 px on a phone, 15 pt stays
# about 13 px high.
WIDTH_IN = 6.0
FONT = 15
NOTE_CHARS = 62  # a note under a chart wraps at this many columns (a CJK character takes two)


def email_trend(monthly: pd.DataFrame, month: str | pd.Period, months: int = TREND_MONTHS) -> pd.DataFrame:
    """All stores, the `months` months to `month` that have data, with each month's value a year
    earlier (NaN where the data does not reach back) and the churn rate's Wilson 95% interval
    (members of the active base at the month's start who lapsed in it ÷ that base)."""
    month = pd.Period(month, "M")
    rows = monthly[monthly["scope"] == TOTAL].set_index("month")
    want = pd.period_range(month - (months - 1), month, freq="M")
    now = rows.reindex(want.astype(str))
    ago = rows.reindex((want - 12).astype(str))
    out = pd.DataFrame({
        "month": want.astype(str),
        "revenue": now["revenue"].to_numpy(float),
        "active_customers": now["active_customers"].to_numpy(float),
        "revenue_year_ago": ago["revenue"].to_numpy(float),
        "active_customers_year_ago": ago["active_customers"].to_numpy(float),
        "lapsed_customers": now["lapsed_customers"].to_numpy(float),
        "active_base_start": now["active_base_start"].to_numpy(float),
        "churn_rate": now["churn_rate"].to_numpy(float),
    })
    lo, hi = stats.wilson(out["lapsed_customers"], out["active_base_start"])
    known = out["churn_rate"].notna() & (out["active_base_start"] > 0)
    out["churn_lo"] = np.where(known, lo, np.nan)
    out["churn_hi"] = np.where(known, hi, np.nan)
    has_data = now["baskets"].notna().to_numpy()
    first = int(np.argmax(has_data)) if has_data.any() else len(out)
    return out.iloc[first:].reset_index(drop=True)  # months before the data starts are not news


def _style() -> None:
    use_style()
    plt.rcParams.update({"font.size": FONT, "axes.titlesize": FONT + 1, "axes.labelsize": FONT,
                         "xtick.labelsize": FONT - 1, "ytick.labelsize": FONT - 1, "legend.fontsize": FONT - 1})


def _month_ticks(ax, labels: list[str]) -> None:
    """Every month a tick, labelled as month_ticks does, the axis no wider than the months."""
    month_ticks(ax, labels)
    ax.set_xlim(-0.5, len(labels) - 0.5)


def _thousands(ax) -> None:
    ax.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
    count_axis(ax.yaxis)


def _title_and_legend(ax, title: str) -> None:
    """The title on top, then the legend (only with two or more series), both above the data."""
    handles, names = ax.get_legend_handles_labels()
    ax.set_title(title, loc="left", pad=34 if len(handles) > 1 else 8)
    if len(handles) > 1:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(handles), frameon=False,
                  borderaxespad=0.2, handlelength=1.6, columnspacing=1.0)


def _note(fig, message: str) -> None:
    fig.text(0.01, 0.0, wrap(message, NOTE_CHARS), fontsize=FONT - 3, color="dimgrey", ha="left", va="top")


def _series(ax, x, now, ago, colour, label_now, label_ago, show) -> None:
    ax.plot(x, now, color=colour, linewidth=2.5, marker="o", markersize=5, label=label_now, zorder=3)
    if np.isfinite(ago).any():  # behind this year's line, after it in the legend
        ax.plot(x, ago, linestyle="--", color="grey", linewidth=2, marker="o", markersize=4, label=label_ago, zorder=2)
    last = len(x) - 1
    if np.isfinite(now[last]):
        ax.plot([last], [now[last]], marker="o", markersize=11, markerfacecolor="none", markeredgecolor=HIGHLIGHT,
                markeredgewidth=2.5, zorder=5)
        _value_label(ax, show(now[last]), colour)
    top = np.nanmax(np.concatenate([now, ago])) if np.isfinite(np.concatenate([now, ago])).any() else 1.0
    ax.set_ylim(0, top * 1.25)  # from zero, with headroom for the label and the top points


def _value_label(ax, label: str, colour) -> None:
    """The reported month's value, top right above the last point: in the headroom the y limits
    leave over the data (a quarter of the highest value), so it never covers a point."""
    ax.text(0.99, 0.97, label, transform=ax.transAxes, ha="right", va="top", fontsize=FONT, fontweight="bold",
            color=colour)


def revenue_members_chart(trend: pd.DataFrame, currency: str):
    """Revenue and active members per month, each with the same months a year earlier (dashed)
    when the data reaches back that far; the reported month circled and labelled."""
    _style()
    labels = list(trend["month"])
    x = np.arange(len(labels))
    colours = sns.color_palette(PALETTE)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(WIDTH_IN, 7.6), sharex=True)
    _series(top, x, trend["revenue"].to_numpy(float), trend["revenue_year_ago"].to_numpy(float), colours[0],
            say("email_chart.this_year"), say("email_chart.year_ago"), lambda v: text.money(v, 0, currency))
    _thousands(top)
    _title_and_legend(top, say("email_chart.revenue.title", currency=currency))
    _series(bottom, x, trend["active_customers"].to_numpy(float),
            trend["active_customers_year_ago"].to_numpy(float), colours[2], say("email_chart.this_year"),
            say("email_chart.year_ago"), text.count)
    _thousands(bottom)
    _title_and_legend(bottom, say("email_chart.members.title"))
    _month_ticks(bottom, labels)
    for ax in (top, bottom):
        ax.set(xlabel="", ylabel="")
    return fig  # without a year of history the email says so once, under its table


def churn_chart(trend: pd.DataFrame):
    """The churn rate per month with its Wilson 95% interval; None when no month has one yet
    (the first months of data, before the lapse rule can be measured)."""
    shown = trend[trend["churn_rate"].notna()].reset_index(drop=True)
    if shown.empty:
        return None
    _style()
    labels = list(shown["month"])
    x = np.arange(len(labels))
    rate, lo, hi = (100 * shown[c].to_numpy(float) for c in ("churn_rate", "churn_lo", "churn_hi"))
    colour = sns.color_palette(PALETTE)[3]
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 4.4))
    ax.fill_between(x, lo, hi, color=colour, alpha=0.18, linewidth=0, label=say("email_chart.churn.interval"))
    ax.errorbar(x, rate, yerr=[np.maximum(rate - lo, 0), np.maximum(hi - rate, 0)], color=colour, linewidth=2.5,
                marker="o", markersize=5, capsize=4, label=say("email_chart.churn.rate"))
    last = len(x) - 1
    _value_label(ax, say("email_chart.churn.value", rate=rate[last] / 100, lo=lo[last] / 100, hi=hi[last] / 100),
                 colour)
    ax.set_ylim(0, max(float(np.nanmax(hi)) * 1.3, 1.0))
    ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10], integer=True))
    percent_axis(ax.yaxis)
    ax.set(xlabel="", ylabel="")
    _month_ticks(ax, labels)
    _title_and_legend(ax, say("email_chart.churn.title"))
    _note(fig, say("email_chart.churn.note", base=shown["active_base_start"].iloc[last],
                   lapsed=shown["lapsed_customers"].iloc[last], month=labels[last]))
    return fig


def email_charts(monthly: pd.DataFrame, month: str, currency: str) -> dict:
    """The email's figures by artifact key; the churn chart only once a month has a churn rate."""
    trend = email_trend(monthly, month)
    figures = {"email_trend_chart": revenue_members_chart(trend, currency)}
    churn = churn_chart(trend)
    if churn is not None:
        figures["email_churn_chart"] = churn
    return figures
