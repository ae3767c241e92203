"""Charts H5 owns: the value at stake on its own scale, beside CLV, and legends that sit outside
the data area, so they cannot cover a point or a bar."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from retention_lib.analytics import lifecycle, value  # noqa: E402
from retention_lib.report import charts, text  # noqa: E402


IN_PLAY = ["at_risk", "lapsed", "dormant"]   # retain (at risk) and win back (lapsed, dormant): value.IN_PLAY


def _groups() -> pd.DataFrame:
    """analytics.value.groups' shape on the CJ 2017-06 numbers: every lifecycle state a row; the value at
    stake (CLV if retained − CLV) only for the states an action can change, 0.6% of all CLV."""
    t = pd.DataFrame({"state": list(lifecycle.STATES), "members": [60, 2310, 15, 1, 7, 400],
                      "clv": [30_000.0, 1_057_366.0, 821.0, 15.0, 13.0, 0.0],
                      "clv_if_alive": [30_500.0, 1_060_498.0, 5_332.0, 69.0, 998.0, 0.0]})
    t["value_at_stake"] = (t["clv_if_alive"] - t["clv"]).where(t["state"].isin(IN_PLAY))
    return text.labelled(t, "state", "state", into="label")


def test_value_at_stake_has_its_own_axis_labelled_with_unit_and_horizon(tmp_path):
    t = _groups()
    assert list(value.IN_PLAY) == IN_PLAY
    fig = charts.clv_groups_chart(t, "USD", 12, "2017-06")
    fig.savefig(tmp_path / "clv.png")
    clv_ax, member_ax, stake_ax = fig.axes   # bars lie flat: their lengths are widths, their names on y
    stake_bars = [p.get_width() for p in stake_ax.patches]
    # in play: at risk 5,332 − 821 = 4,511; lapsed 69 − 15 = 54; dormant 998 − 13 = 985; not the new,
    # the active (no action asked) nor the lost (beyond the win-back window)
    assert stake_bars == pytest.approx([4_511.0, 54.0, 985.0])
    assert [y.get_text() for y in stake_ax.get_yticklabels()] == [text.label("state", s) for s in IN_PLAY]
    # retain and win back told apart: the at-risk bar one colour, the lapsed and dormant another
    colours = [p.get_facecolor() for p in stake_ax.patches]
    assert colours[1] == colours[2] != colours[0]
    # CLV: every state a bar, in the lifecycle's order
    assert [p.get_width() for p in clv_ax.patches] == pytest.approx(list(t["clv"]))
    assert [y.get_text() for y in clv_ax.get_yticklabels()] == [text.label("state", s) for s in lifecycle.STATES]
    # per member, a small group reads beside the active members (15 at risk: 821 / 15 each)
    assert [p.get_width() for p in member_ax.patches][2] == pytest.approx(821.0 / 15)
    # the largest stake fills its axis (not a sliver beside 1.09 million of CLV), on a scale of its own
    assert max(stake_bars) / stake_ax.get_xlim()[1] > 0.7
    assert max(stake_bars) / clv_ax.get_xlim()[1] < 0.01
    assert "USD" in stake_ax.get_xlabel() and "USD" in clv_ax.get_xlabel()
    assert [t.get_text() for t in clv_ax.texts] == [text.count(v) for v in t["clv"]]     # each bar's amount
    assert [t.get_text() for t in stake_ax.texts] == [text.count(v) for v in (4_511.0, 54.0, 985.0)]
    assert "12 months" in stake_ax.get_title() and "12-month" in clv_ax.get_title()
    plt.close(fig)


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _legends_clear_of_data(fig) -> list:
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    return [(ax.get_title(), other.get_title()) for ax in fig.axes if ax.get_legend()
            for other in fig.axes if _overlaps(ax.get_legend().get_window_extent(r), other.get_window_extent(r))]


def test_the_satisfaction_trend_legend_does_not_cover_the_plot():
    months = [str(p) for p in pd.period_range("2024-11", "2025-11", freq="M")]
    n = len(months)
    monthly = pd.DataFrame({"month": months, "responses": [20, 40] * (n // 2) + [40],
                            "nps": [-0.9] * n, "nps_lo": [-1.0] * n, "nps_hi": [-0.8] * n,   # points at the bottom left
                            "csat": [0.02] * n, "csat_lo": [0.0] * n, "csat_hi": [0.05] * n})
    monthly[["nps", "nps_lo", "nps_hi"]] *= 100
    fig = charts.satisfaction_trend_chart(monthly, "2025-11")
    assert any(ax.get_legend() for ax in fig.axes)
    assert _legends_clear_of_data(fig) == []
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][0] == "2024-11"     # one month form
    plt.close(fig)


def test_the_comment_themes_legend_does_not_cover_the_bars():
    themes = pd.DataFrame({"theme": ["a", "b", "c"], "label": ["Price", "Staff attitude", "Checkout speed"],
                           "from_detractors": [30, 20, 10], "from_passives": [5, 5, 5], "from_promoters": [1, 2, 30]})
    fig = charts.comment_themes_chart(themes, "2025-11")
    assert fig.axes[0].get_legend() is not None and _legends_clear_of_data(fig) == []
    plt.close(fig)


def test_the_model_tracking_and_track_record_legends_do_not_cover_the_lines(tmp_path):
    weeks = pd.date_range("2017-01-07", periods=25, freq="W-SAT")   # to 2017-06-24
    track = pd.DataFrame({"week_end": weeks, "actual": [900.0] + [2400.0] * 24, "predicted": [800.0] + [2350.0] * 24})
    fig = charts.tracking_chart(track, "BG/NBD", "2017-03-31")
    fig.savefig(tmp_path / "tracking.png")
    assert _legends_clear_of_data(fig) == []
    assert "2017-01 to 2017-06" in " ".join(fig.axes[0].get_title().split())   # wrapped to the figure
    plt.close(fig)
    record = pd.DataFrame({"for_month": ["2017-04", "2017-05", "2017-06"], "actual_purchases": [10, 2, 11],
                           "predicted_purchases": [9, 3, 12]})
    fig = charts.track_record_chart(record)
    assert _legends_clear_of_data(fig) == []
    plt.close(fig)
    # the first month's forecast reconstructed from the data: a third legend entry, still clear of the lines
    fig = charts.track_record_chart(record.assign(reconstructed=[True, False, False]))
    assert len(fig.axes[0].get_legend().get_texts()) == 3
    assert _legends_clear_of_data(fig) == []
    plt.close(fig)
