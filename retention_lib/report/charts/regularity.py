"""The regularity chart (notebook 03): members' gaps between purchase days, each over the member's own
mean gap, against the shape they would have with exponential timing and with the fitted Erlang-k."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from retention_lib.models.regularity import GapHistogram
from retention_lib.report.charts.style import HIGHLIGHT, percent_axis, use_style, wrap
from retention_lib.report.text import number, say

TITLE_CHARS = 72   # the title wraps to the figure's width


def regularity_chart(histogram: GapHistogram, k: int | None, wheat_morrison_k: float | None, month):
    """Bars: the share of gaps in each bin of "gap ÷ member's mean gap" (`regularity.gap_histogram`);
    lines: the shares expected with no rhythm (Erlang-1) and with the fitted Erlang-k (`erlang_k`'s k;
    that line is left out when k is 1 or None). Both lines are for the members drawn, each with their own number
    of gaps, so they show the shape the data could have, not a large-sample limit."""
    use_style()
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = float(np.diff(histogram.edges)[0])
    ax.bar(histogram.edges[:-1], 100 * histogram.shares(), width=width, align="edge", color="lightsteelblue",
           edgecolor="white", linewidth=0.5)
    x = np.linspace(0, histogram.edges[-1], 301)
    ax.plot(x, 100 * width * histogram.density(1, x), color="dimgrey", linestyle="--",
            label=say("chart.regularity.exponential"))
    if k is not None and k > 1:
        ax.plot(x, 100 * width * histogram.density(k, x), color=HIGHLIGHT, label=say("chart.regularity.fitted", k=k))
    ax.axvline(1.0, color="grey", linestyle=":", linewidth=1)   # the member's own mean
    ax.set(title=wrap(say("chart.regularity.title", month=month), TITLE_CHARS), xlabel=say("chart.regularity.xlabel"),
           ylabel=say("chart.regularity.ylabel"), xlim=(0, histogram.edges[-1]))
    ax.set_ylim(bottom=0)
    percent_axis(ax.yaxis)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, 1)))
    notes = []
    if histogram.beyond:
        notes.append(say("chart.regularity.beyond", share=histogram.beyond / histogram.total,
                         top=histogram.edges[-1]))
    if wheat_morrison_k is not None and np.isfinite(wheat_morrison_k):
        notes.append(say("chart.regularity.wheat_morrison", k=wheat_morrison_k))
    for i, note in enumerate(notes):   # one text each: every shown word is a catalogue sentence
        ax.text(0.99, 0.70 - 0.07 * i, note, transform=ax.transAxes, ha="right", va="top", fontsize=8,
                color="dimgrey")
    ax.legend(loc="upper right", fontsize=9)
    return fig
