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
