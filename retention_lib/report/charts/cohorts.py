"""The cohort retention heatmap (notebook 02)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from retention_lib.report.charts.style import use_style
from retention_lib.report.text import say


def row_labels(matrix: pd.DataFrame) -> list[str]:
    """Each cohort with its size; the first month of data by first purchase as existing customers."""
    return [say("cohort.row.existing" if existing else "cohort.row", cohort=cohort, members=members)
            for cohort, members, existing in matrix.index]


def cohort_heatmap(matrix: pd.DataFrame, month: str, basis: str):
    """Share of each cohort active in each month since it joined, in %."""
    use_style()
    n_rows, n_cols = matrix.shape
    fig, ax = plt.subplots(figsize=(max(10, 0.45 * n_cols + 3), max(3.8, 0.32 * n_rows + 1.8)))
    shown = pd.DataFrame(matrix.to_numpy() * 100, index=row_labels(matrix), columns=matrix.columns)
    sns.heatmap(shown, cmap="viridis", vmin=0, vmax=100, annot=n_cols <= 25, fmt=".0f",
                annot_kws={"fontsize": 7}, cbar_kws={"label": say("cohort.chart.colour")}, ax=ax)
    basis = "join" if basis == "join" else "first_purchase"
    ax.set(title=say(f"cohort.chart.title.{basis}", month=month), xlabel=say(f"cohort.chart.xlabel.{basis}"),
           ylabel=say(f"cohort.chart.ylabel.{basis}"))
    return fig
