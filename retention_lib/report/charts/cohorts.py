"""The cohort retention heatmap (notebook 02)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from retention_lib.report.charts.style import PHONE_WIDTH, on_phone, report_chart, use_style
from retention_lib.report.text import say


def row_labels(matrix: pd.DataFrame) -> list[str]:
    """Each cohort with its size; the first month of data by first purchase as existing customers."""
    return [say("cohort.row.existing" if existing else "cohort.row", cohort=cohort, members=members)
            for cohort, members, existing in matrix.index]


PHONE_COHORTS = 6   # a phone shows the latest cohorts, over the months they have had


@report_chart
def cohort_heatmap(matrix: pd.DataFrame, month: str, basis: str):
    """Share of each cohort active in each month since it joined, in %; on a phone the latest
    PHONE_COHORTS cohorts, each cell's number without the colour bar."""
    use_style()
    cohorts = len(matrix)
    latest = on_phone() and cohorts > PHONE_COHORTS
    if latest:
        matrix = matrix.iloc[-PHONE_COHORTS:, :PHONE_COHORTS]
    n_rows, n_cols = matrix.shape
    fig, ax = plt.subplots(figsize=(PHONE_WIDTH, 0.42 * n_rows + 2.4) if on_phone()
                           else (max(10, 0.45 * n_cols + 3), max(3.8, 0.32 * n_rows + 1.8)))
    shown = pd.DataFrame(matrix.to_numpy() * 100, index=row_labels(matrix), columns=matrix.columns)
    sns.heatmap(shown, cmap="viridis", vmin=0, vmax=100, annot=n_cols <= 25, fmt=".0f",
                annot_kws={"fontsize": 7}, cbar=not on_phone(), cbar_kws={"label": say("cohort.chart.colour")}, ax=ax)
    for number in ax.texts:   # inside its cell: the layout need not measure hundreds of them
        number.set_in_layout(False)
    basis = "join" if basis == "join" else "first_purchase"
    ax.set(xlabel=say(f"cohort.chart.xlabel.{basis}"), ylabel=say(f"cohort.chart.ylabel.{basis}"))
    if latest:   # the title over the figure, what the phone leaves out under it
        fig.suptitle(say(f"cohort.chart.title.{basis}", month=month), fontweight="bold", fontsize=12)
        ax.set_title(say("cohort.chart.latest", n=PHONE_COHORTS, all=cohorts), fontweight="normal", fontsize=10)
    else:
        ax.set_title(say(f"cohort.chart.title.{basis}", month=month))
    return fig
