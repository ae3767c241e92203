"""Charts of the churn model, its backtest, CLV and the model's track record (notebooks 03, 04 and 07)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from retention_lib.report.charts.style import (PALETTE, count_axis, date_axis, month_ticks, on_phone, report_chart,
                                               subplots, use_style)
from retention_lib.report.text import count, say


def period_transactions_chart(table: pd.DataFrame, model_name: str, as_of: str):
    use_style()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    long = table.melt(id_vars="repeat purchases", var_name="source", value_name="customers")
    long["source"] = long["source"].map({"actual": say("chart.actual"),
                                         "model": say("chart.period_transactions.model", model=model_name)})
    sns.barplot(data=long, x="repeat purchases", y="customers", hue="source", ax=ax)
    ax.set(title=say("chart.period_transactions.title", model=model_name, month=as_of),
           xlabel=say("chart.period_transactions.xlabel"), ylabel=say("chart.period_transactions.ylabel"))
    ax.tick_params(axis="x", rotation=45)
    count_axis(ax.yaxis)
    ax.legend(title=None)
    return fig


def p_alive_matrix_chart(matrix: pd.DataFrame, model_name: str, T: float):
    use_style()
    fig, ax = plt.subplots(figsize=(8, 5))
    sns.heatmap(matrix.iloc[::-1], cmap="viridis", vmin=0, vmax=1, ax=ax,
                cbar_kws={"label": say("chart.p_alive_matrix.colour")}, xticklabels=5, yticklabels=5)
    ax.set(title=say("chart.p_alive_matrix.title", model=model_name, weeks=T),
           xlabel=say("chart.p_alive_matrix.xlabel"), ylabel=say("chart.p_alive_matrix.ylabel"))
    return fig


@report_chart
def tracking_chart(track: pd.DataFrame, model_name: str, calibration_end: str):
    use_style()
    fig, ax = subplots(figsize=(9, 3.4), phone_height=4.2)
    ax.plot(track["week_end"], track["actual"], label=say("chart.actual"))
    ax.plot(track["week_end"], track["predicted"], linestyle="--",
            label=say("chart.tracking.expected", model=model_name))
    ax.axvline(pd.Timestamp(calibration_end), color="grey", linestyle=":", label=say("chart.tracking.calibration_end"))
    ax.set(title=say("chart.tracking.title", first=track["week_end"].iloc[0], last=track["week_end"].iloc[-1]),
           xlabel=say("chart.tracking.xlabel"), ylabel=say("chart.tracking.ylabel"))
    ax.set_ylim(bottom=0)
    ax.set_title(ax.get_title(), pad=60 if on_phone() else 24)
    count_axis(ax.yaxis)
    date_axis(ax.xaxis)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=1 if on_phone() else 3, frameon=False,
              fontsize=9)   # above the lines
    return fig


def calibration_chart(rel: pd.DataFrame, holdout_weeks: float):
    use_style()
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label=say("chart.calibration.perfect"))
    ax.plot(rel["predicted"], rel["observed"], marker="o", label=say("chart.calibration.deciles"))
    ax.set(title=say("chart.calibration.title", weeks=holdout_weeks), xlabel=say("chart.calibration.xlabel"),
           ylabel=say("chart.calibration.ylabel"), xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    return fig


@report_chart
def clv_groups_chart(table: pd.DataFrame, currency: str, horizon: int, month: str):
    """Expected CLV by lifecycle state, in all and per member (beside the active members' total a small
    group is a sliver; per member it reads), and on its own scale the value in play: what the members
    at risk would add if retained, and the lapsed and dormant if won back (lighter). Bars lie flat, so
    the states' names read on a phone. `table`: analytics.value.groups with a `label` column."""
    use_style()
    fig, axes = subplots(1, 3, figsize=(13, 3.8), phone_height=3.0)
    colours = sns.color_palette(PALETTE)
    names = (table["label"] if "label" in table else table["state"]).astype(str)
    stake = table["value_at_stake"].notna()
    per_member = table["clv"].astype(float) / table["members"].where(table["members"] > 0)
    everyone = [colours[0]] * len(table)
    panels = ((table["clv"], names, everyone, say("chart.clv_groups.clv", horizon=horizon)),
              (per_member, names, everyone, say("chart.clv_groups.per_member", horizon=horizon)),
              (table.loc[stake, "value_at_stake"], names[stake],
               [colours[3] if s == "at_risk" else colours[1] for s in table.loc[stake, "state"]],
               say("chart.clv_groups.in_play", horizon=horizon)))
    for ax, (values, y, colour, title) in zip(axes, panels):
        v = values.astype(float)   # in full units, ticks with separators: in thousands a small group reads "0"
        bars = ax.barh(list(y), v.fillna(0), color=colour)
        ax.bar_label(bars, labels=[count(x) if pd.notna(x) else "" for x in v], padding=3, fontsize=9)
        ax.invert_yaxis()
        ax.set(title=title, xlabel=say("chart.clv_groups.ylabel", currency=currency), ylabel="")
        count_axis(ax.xaxis)
        ax.set_xlim(0, (v.max() if v.notna().any() else 0) * 1.3 or 1)   # room for the amounts
        ax.xaxis.set_major_locator(MaxNLocator(3 if on_phone() else 4))
        ax.title.set_fontsize(11)
    fig.suptitle(say("chart.clv_groups.title.states", month=month), fontweight="bold", fontsize=12)
    return fig


@report_chart
def track_record_chart(record: pd.DataFrame):
    """Each forecast month: purchase days the model expected against those made; a forecast
    reconstructed from the data (none was published) is a hollow marker of its own, off the line."""
    use_style()
    fig, ax = subplots(figsize=(8, 3.2), phone_height=3.6)
    x = range(len(record))
    # a record without the flag holds published forecasts only
    rebuilt = record["reconstructed"].astype(bool) if "reconstructed" in record else pd.Series(False, record.index)
    ax.plot(x, record["actual_purchases"], marker="o", label=say("chart.actual"))
    line = ax.plot(x, record["predicted_purchases"].where(~rebuilt), marker="s", linestyle="--",
                   label=say("chart.track_record.forecast"))[0]
    if rebuilt.any():
        ax.plot(x, record["predicted_purchases"].where(rebuilt), marker="D", linestyle="none", markerfacecolor="white",
                color=line.get_color(), label=say("chart.track_record.reconstructed"))
    month_ticks(ax, list(record["for_month"]))
    ax.set(title=say("chart.track_record.title"), xlabel=say("chart.track_record.xlabel"),
           ylabel=say("chart.track_record.ylabel"))
    ax.set_ylim(0, 1.1 * max(record["actual_purchases"].max(), record["predicted_purchases"].max()))
    count_axis(ax.yaxis)
    ax.set_title(ax.get_title(), pad=60 if on_phone() else 24)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=1 if on_phone() else 3, frameon=False,
              fontsize=9)   # above the lines
    return fig
