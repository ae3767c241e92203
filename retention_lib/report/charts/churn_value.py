"""Charts of the churn model, its backtest, CLV and the model's track record (notebooks 03, 04 and 07)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from retention_lib.report.charts.style import use_style


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
