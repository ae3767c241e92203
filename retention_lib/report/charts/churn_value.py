"""Charts of the churn model, its backtest, CLV and the model's track record (notebooks 03, 04 and 07)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from retention_lib.report.charts.style import PALETTE, use_style
from retention_lib.report.text import count, month_label


def period_transactions_chart(table: pd.DataFrame, model_name: str, as_of: str):
    use_style()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    long = table.melt(id_vars="repeat purchases", var_name="source", value_name="customers")
    long["source"] = long["source"].map({"actual": "Actual", "model": f"{model_name} (simulated)"})
    sns.barplot(data=long, x="repeat purchases", y="customers", hue="source", ax=ax)
    ax.set(title=f"Members by number of repeat purchases, actual vs {model_name}, history to {as_of}",
           xlabel="Repeat purchases (purchase days after the first)", ylabel="Members")
    ax.tick_params(axis="x", rotation=45)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: count(y)))
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
    period = f"{month_label(track['week_end'].iloc[0])} to {month_label(track['week_end'].iloc[-1])}"
    ax.set(title=f"Weekly repeat purchases of the calibration cohort, actual vs model, {period}",
           xlabel="Week ending", ylabel="Repeat purchases per week")
    ax.set_ylim(bottom=0)
    ax.set_title(ax.get_title(), pad=24)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: count(y)))
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=3, frameon=False, fontsize=9)   # above the lines
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


# The groups whose value at stake the report's at-risk figure adds up (analytics.value headline),
# and the likely lost, whose "value if won back" is a long shot, drawn apart.
AT_RISK_GROUPS = ("newly_at_risk", "at_risk_earlier")
LIKELY_LOST = "likely_lost"


def clv_groups_chart(table: pd.DataFrame, currency: str, horizon: int, month: str):
    """Expected CLV by churn status (left) and, on its own scale, the further value at stake if the
    members at risk were retained (right; the likely lost if won back, in grey): beside the
    CLV of everyone it would be a sliver. `table`: analytics.value.groups with a `label` column."""
    use_style()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.2, 1]})
    colours = sns.color_palette(PALETTE)
    names = table["label"] if "label" in table else table["group"]
    stake = table["group"].isin([*AT_RISK_GROUPS, LIKELY_LOST])
    panels = ((a1, table["clv"], names, [colours[0]] * len(table), f"Expected {horizon}-month CLV"),
              (a2, table.loc[stake, "value_at_stake"], names[stake],
               ["lightgrey" if g == LIKELY_LOST else colours[3] for g in table.loc[stake, "group"]],
               f"Value at stake if retained ({horizon} months)"))
    for ax, values, x, colour, title in panels:
        v = values.astype(float)   # in full units, ticks with separators: in thousands a small group reads "0"
        bars = ax.bar([n.replace(" (", "\n(") for n in x], v, color=colour)
        ax.bar_label(bars, labels=[count(y) for y in v], padding=2, fontsize=9)
        ax.set(title=title, xlabel="", ylabel=f"{currency}, discounted")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: count(y)))
        ax.set_ylim(0, (v.max() if len(v) else 0) * 1.15 or 1)
        ax.title.set_fontsize(11)
        ax.tick_params(axis="x", labelsize=9)
    if stake.any() and (table.loc[stake, "group"] == LIKELY_LOST).any():
        a2.text(0.99, 0.97, "grey: if won back, at long odds", transform=a2.transAxes, ha="right", va="top",
                fontsize=8, color="dimgrey")
    fig.suptitle(f"CLV and value at stake by churn status of members, {month_label(month)}", fontweight="bold",
                 fontsize=12)
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
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: count(y)))
    ax.set_title(ax.get_title(), pad=24)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=2, frameon=False, fontsize=9)   # above the lines
    return fig



# --- KPI board, cohorts, segments, early warning and churn drivers (notebooks 02 and 05) ---
