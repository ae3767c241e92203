"""One visual style for every chart: a seaborn theme, readable fonts, colour-blind-safe colours."""
from __future__ import annotations

import matplotlib.pyplot as plt
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
