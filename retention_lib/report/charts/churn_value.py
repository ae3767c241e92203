"""Charts of the churn model, its backtest, CLV and the model's track record (notebooks 03, 04 and 07)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from retention_lib.report.charts.style import PALETTE, count_axis, date_axis, month_ticks, use_style
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


def tracking_chart(track: pd.DataFrame, model_name: str, calibration_end: str):
    use_style()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    ax.plot(track["week_end"], track["actual"], label=say("chart.actual"))
    ax.plot(track["week_end"], track["predicted"], linestyle="--",
            label=say("chart.tracking.expected", model=model_name))
    ax.axvline(pd.Timestamp(calibration_end), color="grey", linestyle=":", label=say("chart.tracking.calibration_end"))
    ax.set(title=say("chart.tracking.title", first=track["week_end"].iloc[0], last=track["week_end"].iloc[-1]),
           xlabel=say("chart.tracking.xlabel"), ylabel=say("chart.tracking.ylabel"))
    ax.set_ylim(bottom=0)
    ax.set_title(ax.get_title(), pad=24)
    count_axis(ax.yaxis)
    date_axis(ax.xaxis)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=3, frameon=False, fontsize=9)   # above the lines
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


def clv_groups_chart(table: pd.DataFrame, currency: str, horizon: int, month: str):
    """Expected CLV by lifecycle state (left) and, on its own scale, the value in play (right): what the
    members at risk would add if retained, and the lapsed and dormant if won back (lighter): beside the
    CLV of everyone it would be a sliver. `table`: analytics.value.groups with a `label` column."""
    use_style()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.2, 1]})
    colours = sns.color_palette(PALETTE)
    names = table["label"] if "label" in table else table["state"]
    stake = table["value_at_stake"].notna()
    panels = ((a1, table["clv"], names, [colours[0]] * len(table), say("chart.clv_groups.clv", horizon=horizon)),
              (a2, table.loc[stake, "value_at_stake"], names[stake],
               [colours[3] if s == "at_risk" else colours[1] for s in table.loc[stake, "state"]],
               say("chart.clv_groups.in_play", horizon=horizon)))
    for ax, values, x, colour, title in panels:
        v = values.astype(float)   # in full units, ticks with separators: in thousands a small group reads "0"
        bars = ax.bar([n.replace(" (", "\n(") for n in x], v, color=colour)
        ax.bar_label(bars, labels=[count(y) for y in v], padding=2, fontsize=9)
        ax.set(title=title, xlabel="", ylabel=say("chart.clv_groups.ylabel", currency=currency))
        count_axis(ax.yaxis)
        ax.set_ylim(0, (v.max() if len(v) else 0) * 1.15 or 1)
        ax.title.set_fontsize(11)
        ax.tick_params(axis="x", labelsize=9)
    fig.suptitle(say("chart.clv_groups.title.states", month=month), fontweight="bold", fontsize=12)
    return fig


def track_record_chart(record: pd.DataFrame):
    """Each forecast month: purchase days the model expected against those made; a forecast
    reconstructed from the data (none was published) is a hollow marker of its own, off the line."""
    use_style()
    fig, ax = plt.subplots(figsize=(8, 3.2))
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
    ax.set_title(ax.get_title(), pad=24)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=3, frameon=False, fontsize=9)   # above the lines
    return fig
