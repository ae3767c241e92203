"""Counts that appear in two places agree, or say why they differ: the stores of the month (KPI
section and coverage chart), member baskets against purchase baskets (data quality and the KPI
board), comparisons before the data starts (left out, said once) and the first month's "new"
members (not shown as new)."""
import matplotlib
import numpy as np
import pandas as pd
import pytest

from conftest import set_table, stub_charts
from retention_lib.analytics import churn, kpis
from retention_lib.core.config import load_config
from retention_lib.core.run import Run
from retention_lib.data import aggregate, quality
from retention_lib.data.sources.demo import simulate_store
from retention_lib.report import charts, findings, text
from retention_lib.report.sections import kpis as kpi_sections
from retention_lib.report.sections.data_quality import data_quality, purchase_counts

matplotlib.use("Agg")
N = 35


def make_run(tmp_path, month: str, b: pd.DataFrame, settings: str = "") -> Run:
    cfg = tmp_path / "c.yml"
    cfg.write_text("tables: {transactions: {path: t.csv}}\ncurrency: CNY\n" + settings, encoding="utf-8")
    run = Run(load_config(cfg), pd.Period(month, "M"), tmp_path / "run")
    set_table(run.run_dir, "baskets", b)
    return run


@pytest.fixture(scope="module")
def chain():
    """Eight stores over 14 months; store S08 has no basket in the last month (closed)."""
    store = simulate_store(seed=3, n_customers=600, months=14, n_stores=8)
    b = aggregate.baskets_from_lines(store.tables["transactions"])
    last = pd.to_datetime(b["date"]).dt.to_period("M").max()
    closed = (b["store_id"] == "S08") & (pd.to_datetime(b["date"]).dt.to_period("M") == last)
    return b[~closed].reset_index(drop=True), str(last)


def test_the_kpi_section_and_the_coverage_chart_count_the_same_stores(chain, tmp_path):
    b, month = chain
    run = make_run(tmp_path, month, b)
    coverage = quality.month_coverage(run)
    shown = coverage["store_id"].nunique()
    assert shown == 7 and b["store_id"].nunique() == 8          # S08 is in the data, not in the month
    fig = charts.coverage_chart(coverage, month)
    assert f"all {shown} stores with baskets in {month}" in fig.axes[0].get_title()
    monthly = kpis.monthly_kpis(b, N, through=month)
    lapse = kpis.LapseRule(N, "parameter")
    assert kpis.headline(monthly, month, lapse)["stores_with_baskets"] == shown
    facts = kpis.store_facts(monthly, month, top=3)
    assert facts["stores_with_baskets"] == shown and facts["stores_in_data"] == 8
    # S08 is still home to members counted this month (lapsed there): listed, and said why
    assert facts["stores_home_only"] == 1
    kpis.save(run, monthly, lapse)
    items = kpi_sections.store_items(run)
    note = items[0].data
    assert f"{shown} stores had baskets in {month}" in note
    assert f"counts 1 store without a basket in {month}" in note


def lines(rows) -> pd.DataFrame:
    """rows: (basket, customer or None, 'YYYY-MM-DD', amount) → transaction lines."""
    out = pd.DataFrame(rows, columns=["basket_id", "customer_id", "day", "amount"])
    out["timestamp"] = pd.to_datetime(out.pop("day")) + pd.Timedelta(hours=9)
    out["store_id"] = "S1"
    return out


# Member baskets in March: B1, B2 purchases; B3 a return only; B4 bought and returned in full
# (nets to zero). Non-member: B5 a purchase, B6 a return only.
LINES = lines([
    ("B0", "A", "2024-02-10", 30.0),
    ("B1", "A", "2024-03-02", 20.0), ("B1", "A", "2024-03-02", -5.0), ("B2", "C", "2024-03-03", 12.5),
    ("B3", "A", "2024-03-04", -8.0), ("B4", "C", "2024-03-05", 9.0), ("B4", "C", "2024-03-05", -9.0),
    ("B5", None, "2024-03-06", 40.0), ("B6", None, "2024-03-07", -4.0),
])


def test_member_baskets_are_split_into_the_purchases_the_kpi_board_counts(tmp_path):
    b = aggregate.baskets_from_lines(LINES)
    per_basket = LINES[LINES["timestamp"] >= "2024-03-01"].groupby("basket_id").agg(
        member=("customer_id", lambda c: c.notna().any()), net=("amount", "sum"))
    members = per_basket[per_basket["member"]]
    membership = aggregate.monthly_membership(b).set_index("month").loc["2024-03"]
    assert membership["member_baskets"] == len(members) == 4
    assert membership["member_purchases"] == (members["net"] > 0).sum() == 2
    assert membership["non_member_purchases"] == 1
    run = make_run(tmp_path, "2024-03", b)
    monthly = kpis.monthly_kpis(b, N, through="2024-03")
    kpis.save(run, monthly, kpis.LapseRule(N, "parameter"))
    board = run.read("kpi_board")
    assert purchase_counts(board) == (2, 1)
    run.write("data_quality_summary", {
        "source": "test", "data_from": "2024-02-10", "data_to": "2024-03-07", "lines_read": len(LINES),
        "rows_rejected": 0, "tables_absent": [], "month": "2024-03", "member_baskets": 4,
        "non_member_baskets": 2, "member_revenue_share": 0.5, "days_without_baskets": 0, "days_in_month": 31})
    stub_charts(run)
    shown = data_quality(run)[0].data
    assert "Of the 4 member baskets, 2 are purchases" in shown
    assert "2 net to zero or less" in shown and "Of the 2 non-member baskets, 1 is a purchase" in shown


def test_a_comparison_before_the_data_starts_is_left_out_and_said_once():
    store = simulate_store(seed=2, n_customers=200, months=6, campaigns=False)
    b = aggregate.baskets_from_lines(store.tables["transactions"])
    monthly = kpis.monthly_kpis(b, N)
    month = monthly["month"].max()
    board = kpis.board(monthly, month)
    shown = text.format_board(board, "CNY")
    year_ago = text.month_label(pd.Period(month, "M") - 12)
    assert year_ago not in shown.columns and text.say("board.year_on_year") not in shown.columns
    assert text.say("board.month_on_month") in shown.columns
    facts = kpis.headline(monthly, month, kpis.LapseRule(N, "parameter"))
    note = kpi_sections._history_note(facts, board)
    assert facts["data_from"] == "2024-01" and "starts in 2024-01" in note and "13 months" in note
    first = kpis.board(monthly, "2024-01")
    assert list(text.format_board(first, "CNY").columns) == [text.say("board.kpi"), "2024-01"]
    assert "no earlier month" in kpi_sections._history_note(facts, first)


def test_the_first_month_does_not_call_existing_customers_new(tmp_path):
    store = simulate_store(seed=2, n_customers=200, months=6, campaigns=False)
    b = aggregate.baskets_from_lines(store.tables["transactions"])
    monthly = kpis.monthly_kpis(b, N, through="2024-01")
    row = monthly[(monthly["scope"] == kpis.TOTAL) & (monthly["month"] == "2024-01")].iloc[0]
    january = pd.to_datetime(b["date"]).dt.strftime("%Y-%m") == "2024-01"
    buyers = b[b["is_member"] & b["is_purchase"] & january]["customer_id"].nunique()
    assert row["active_customers"] == buyers and bool(row["warm_up"])   # every one of them first seen here
    assert np.isnan(row["new_customers"]) and np.isnan(row["returning_customers"])
    run = make_run(tmp_path, "2024-01", b)
    kpis.save(run, monthly, kpis.LapseRule(N, "parameter"))
    board = {r["kpi"]: r for r in run.read("kpi_board")["board"]}
    assert board["new_customers"]["value"] is None
    labels = [label for label, *_ in findings.headline_rows(run.run_dir, "CNY")]
    assert text.kpi_label("active_customers") in labels and text.kpi_label("new_customers") not in labels
    stores = text.stores_display(kpis.store_table(monthly, "2024-01"), "CNY")
    assert text.say("store.active_customers") in stores.columns
    assert text.say("store.new_customers") not in stores.columns        # no column of "—"
    # the report's section, from the churn view and lifecycle the notebooks save (the lapse-rule view: one
    # month of data): no row for new members, no column for the month before the data
    view = churn.lapse_view(run, N, "one month of data")
    churn.save(run, view)
    assert run.read("churn_summary")["headline"]["members_scored"] == buyers
    stub_charts(run)
    html = "".join(item.data for item in kpi_sections.kpi_section(run) if isinstance(item.data, str))
    assert "no earlier month" in html and "shopped, " not in html
    assert f">{text.kpi_label('new_customers')}<" not in html and f">{text.kpi_label('active_customers')}<" in html
    # nor anywhere else in the section: the January shoppers are not called new, and nothing is said of
    # where members were at the end of 2023-12, before the data (the lifecycle's warm-up: every figure empty)
    assert f"{buyers} new" not in html
    assert "2023-12" not in html


def _outside(legend, ax) -> bool:
    """Whether a legend lies wholly above or beside the plotting area (so it covers no point)."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box, area = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
    return box.y0 >= area.y1 - 1 or box.x0 >= area.x1 - 1


def test_trend_panels_show_only_months_and_series_with_data_and_legends_sit_outside_them():
    store = simulate_store(seed=2, n_customers=200, months=6, campaigns=False)
    b = aggregate.baskets_from_lines(store.tables["transactions"])
    month = "2024-06"
    for members_only in (False, True):
        data = b[b["is_member"]] if members_only else b
        monthly = kpis.monthly_kpis(data, N, through=month)
        trend = kpis.trend(monthly, month)
        assert len(trend) == 13 and trend["baskets"].isna().sum() == 7
        fig = charts.kpi_trends_chart(trend, month, "CNY", N)
        shown = [ax for ax in fig.axes if ax.get_visible()]
        # active, flows, rates, basket, revenue per member, and the members' share only with non-members
        assert len(shown) == (5 if members_only else 6)
        # a tick a month with data, labelled every few months back from the reported one as they fit
        ticks = [t.get_text() for t in shown[0].get_xticklabels()]
        assert len(ticks) == 6 and ticks[-1] == "2024-06"
        assert {t for t in ticks if t} <= {f"2024-0{m}" for m in range(1, 7)} and len({t for t in ticks if t}) >= 2
        for ax in shown:
            assert ax.get_legend() is None or _outside(ax.get_legend(), ax)
        matplotlib.pyplot.close(fig)
    # survey columns that exist but hold no answer in the span: no satisfaction panel
    empty = trend.assign(nps=np.nan, csat=np.nan, survey_responses=0)
    fig = charts.kpi_trends_chart(empty, month, "CNY", N)
    assert text.say("activity_chart.panel.satisfaction") not in [ax.get_title() for ax in fig.axes]


def test_daily_and_monthly_charts_leave_room_above_the_top_point(chain, tmp_path):
    b, month = chain
    run = make_run(tmp_path, month, b)
    coverage = quality.month_coverage(run)
    for daily in (coverage, coverage[coverage["store_id"].isin(["S01", "S02"])]):
        fig = charts.coverage_chart(daily, month)
        ax = fig.axes[0]
        chain_line = daily["store_id"].nunique() > charts.MAX_STORE_LINES
        top = daily.groupby("date")["baskets"].sum().max() if chain_line else daily["baskets"].max()
        assert ax.get_ylim()[1] >= 1.1 * top
        assert (ax.get_legend() is None) if chain_line else _outside(ax.get_legend(), ax)
    membership = quality.membership_by_month(run)
    fig = charts.membership_chart(membership, month)
    ax = fig.axes[0]
    assert ax.get_ylim()[1] >= 1.1 * (membership["member_baskets"] + membership["non_member_baskets"]).max()
    assert _outside(ax.get_legend(), ax)
