"""The cohort retention heatmap (notebook 02)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from retention_lib.report.charts.style import use_style


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
