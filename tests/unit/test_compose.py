"""The monthly email: its two single-message charts (from the KPI artifacts), their figures against
the data they come from, and the attachment's name."""
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

from retention_lib.analytics.kpis import TOTAL  # noqa: E402
from retention_lib.core import stages  # noqa: E402
from retention_lib.core.config import Config  # noqa: E402
from retention_lib.delivery import compose  # noqa: E402
from retention_lib.report.charts import email as email_charts  # noqa: E402


def monthly(first: str, last: str, warm_up: int = 2) -> pd.DataFrame:
    """A KPI table shaped like kpis_monthly (all stores and one store), figures made up per month;
    the first `warm_up` months have no churn, as in a real run. `lapsed_customers` are the month's lapses,
    every one of them from the base at the month's start (the lifecycle), so churn = lapsed ÷ that base."""
    months = pd.period_range(first, last, freq="M").astype(str)
    i = np.arange(len(months))
    base = (400 + 7 * i).astype(float)
    lapsed = (base * (0.05 + 0.01 * (i % 4))).round()
    total = pd.DataFrame({"scope": TOTAL, "month": months, "baskets": 900 + i, "revenue": 10_000 + 137.5 * i,
                          "active_customers": 300 + 3 * i, "lapsed_customers": lapsed, "active_base_start": base})
    total.loc[: warm_up - 1, ["lapsed_customers", "active_base_start"]] = np.nan
    total["churn_rate"] = total["lapsed_customers"] / total["active_base_start"]
    store = total.assign(scope="S01", revenue=total["revenue"] / 2)
    return pd.concat([store, total], ignore_index=True)


def test_the_trend_holds_each_month_its_year_ago_and_its_churn_interval():
    table = monthly("2015-11", "2017-06")
    trend = email_charts.email_trend(table, "2017-06")
    assert list(trend["month"]) == list(pd.period_range("2016-06", "2017-06", freq="M").astype(str))
    total = table[table["scope"] == TOTAL].set_index("month")
    for row in trend.itertuples():
        ago = str(pd.Period(row.month, "M") - 12)
        assert row.revenue == total.at[row.month, "revenue"]
        if ago in total.index:
            assert row.revenue_year_ago == total.at[ago, "revenue"]
            assert row.active_customers_year_ago == total.at[ago, "active_customers"]
        else:
            assert np.isnan(row.revenue_year_ago)
        k, n = int(total.at[row.month, "lapsed_customers"]), int(total.at[row.month, "active_base_start"])
        ci = binomtest(k, n).proportion_ci(method="wilson")
        assert (row.churn_lo, row.churn_hi) == pytest.approx((ci.low, ci.high), rel=1e-9)
        assert row.churn_lo <= row.churn_rate == k / n <= row.churn_hi
    assert np.isnan(trend.loc[trend["month"] == "2016-06", "revenue_year_ago"]).all()  # before the data
    assert trend.loc[trend["month"] == "2017-06", "revenue_year_ago"].item() == total.at["2016-06", "revenue"]


def test_short_history_shows_only_months_with_data_and_no_year_ago_line():
    trend = email_charts.email_trend(monthly("2017-01", "2017-06"), "2017-06")
    assert list(trend["month"]) == [f"2017-0{m}" for m in range(1, 7)]
    fig = email_charts.revenue_members_chart(trend, "USD")
    labels = [line.get_label() for ax in fig.axes for line in ax.get_lines()]
    assert compose.say("email_chart.year_ago") not in labels
    plt.close(fig)
    churn = email_charts.churn_chart(trend)
    assert len(churn.axes[0].get_xticks()) == 4  # the two warm-up months have no churn to show
    # the note quotes the last month's lapses and base, as the table has them (i = 5: base 435, 435 × 0.06 → 26)
    note = " ".join(t.get_text().replace("\n", " ") for t in churn.texts)
    assert re.search(r"\b26\b.*\b435\b", note), note
    plt.close(churn)


def test_no_churn_chart_before_any_month_has_a_churn_rate():
    trend = email_charts.email_trend(monthly("2017-01", "2017-02", warm_up=2), "2017-02")
    assert email_charts.churn_chart(trend) is None
    figures = email_charts.email_charts(monthly("2017-01", "2017-02", warm_up=2), "2017-02", "USD")
    assert list(figures) == ["email_trend_chart"]
    for fig in figures.values():
        plt.close(fig)


def _points(ax):
    pts = [line.get_xydata() for line in ax.get_lines() if len(line.get_xdata())]
    return ax.transData.transform(np.concatenate(pts))


@pytest.mark.parametrize("first", ["2015-11", "2017-01"])
def test_the_charts_are_email_width_and_legends_cover_no_data(first):
    figures = email_charts.email_charts(monthly(first, "2017-06"), "2017-06", "USD")
    assert set(figures) == {"email_trend_chart", "email_churn_chart"}
    for fig in figures.values():
        fig.canvas.draw()
        width_px = fig.get_size_inches()[0] * plt.rcParams["savefig.dpi"]
        assert 600 <= width_px <= 760  # shown at 600 px without being scaled down by more than ~1/5
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is None:  # one series: its title says what it is
                assert len([h for h in ax.get_legend_handles_labels()[0]]) <= 1
                continue
            box = legend.get_window_extent()
            inside = [(x, y) for x, y in _points(ax) if np.isfinite(x) and box.contains(x, y)]
            assert inside == [], f"the legend of {ax.get_title()!r} covers data"
            top = ax.get_ylim()[1]
            assert all(np.nanmax(line.get_ydata()) < top for line in ax.get_lines() if len(line.get_ydata()))
        plt.close(fig)


@pytest.mark.parametrize("tag", ["en", "zh-CN"])
def test_month_labels_do_not_overlap_in_either_language(tag):
    from retention_lib.report import language

    language.use(tag)
    try:
        figures = email_charts.email_charts(monthly("2015-11", "2017-06"), "2017-06", "USD")
        for fig in figures.values():
            fig.canvas.draw()
            for ax in fig.axes:
                boxes = sorted((t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()),
                               key=lambda b: b.x0)
                assert len(boxes) >= 3 or not boxes
                assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:])), f"{tag}: month labels overlap"
            plt.close(fig)
    finally:
        language.use(language.DEFAULT)


# ---------------------------------------------------------------- the attachment and the message

def cfg(path: str, name: str = "Some store") -> Config:
    return Config(path=Path(path), name=name, source="demo", simulated=False, tables={})


@pytest.mark.parametrize("path, name, expected", [
    ("data/completejourney.yml", "The Complete Journey (84.51°, 2017)", "completejourney-2017-06-report.html"),
    ("/srv/cfg/Store_North 2.yaml", "x", "store-north-2-2017-06-report.html"),
    ("/srv/cfg/Bäckerei.yml", "x", "backerei-2017-06-report.html"),
    ("/srv/cfg/北京.yml", "Beijing Store #1", "beijing-store-1-2017-06-report.html"),
    ("/srv/cfg/北京.yml", "北京一号店", "retention-2017-06-report.html"),
])
def test_the_attachment_is_named_after_the_source_and_month(path, name, expected):
    got = compose.attachment_name(cfg(path, name), "2017-06")
    assert got == expected
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-\d{4}-\d{2}-report\.html", got)


def month_folder(tmp_path: Path, charts=("email_trend_chart", "email_churn_chart")) -> Path:
    folder = tmp_path / "2017-06"
    (folder / "artifacts").mkdir(parents=True)
    (folder / "report.html").write_text("<html><body>the report</body></html>", encoding="utf-8")
    for key in charts:
        fig = plt.figure(figsize=(1, 1))
        fig.savefig(folder / stages.artifact(key).path)
        plt.close(fig)
    return folder


def test_the_message_attaches_the_named_report_and_inlines_each_chart(tmp_path):
    folder = month_folder(tmp_path)
    config = cfg(str(tmp_path / "completejourney.yml"), "The Complete Journey")
    msg = compose.compose(folder, config, "2017-06", ["m@example.com"], "r@example.com")
    msg = BytesParser(policy=policy.SMTP).parsebytes(msg.as_bytes())
    [attached] = list(msg.iter_attachments())
    assert attached.get_filename() == "completejourney-2017-06-report.html"
    assert attached.get_content() == (folder / "report.html").read_text(encoding="utf-8")
    body = msg.get_body(("html",)).get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    for part in images:  # each image is referred to by its content id, and nothing else is
        assert f"cid:{part['Content-ID'].strip('<>')}" in body
    assert len(re.findall(r"<img ", body)) == 2
    assert "completejourney-2017-06-report.html" in msg.get_body(("plain",)).get_content()
    assert "kpi_trends" not in body


def test_the_churn_chart_may_be_missing_but_the_trend_chart_may_not(tmp_path):
    config = cfg(str(tmp_path / "demo.yml"))
    only_trend = month_folder(tmp_path / "a", charts=("email_trend_chart",))
    msg = compose.compose(only_trend, config, "2017-06", [], "r@example.com")
    assert sum(p.get_content_type() == "image/png" for p in msg.walk()) == 1
    with pytest.raises(FileNotFoundError, match="email_trend"):
        compose.compose(month_folder(tmp_path / "b", charts=()), config, "2017-06", [], "r@example.com")
    unavailable = {"email_charts": "no KPI board this month"}
    msg = compose.compose(month_folder(tmp_path / "c", charts=()), config, "2017-06", [], "r@example.com", unavailable)
    assert not any(p.get_content_type() == "image/png" for p in msg.walk())


@pytest.mark.parametrize("yoy", [None, 12.0])
def test_the_year_ago_column_shows_only_when_the_data_reaches_back_a_year(tmp_path, yoy):
    import json

    folder = month_folder(tmp_path)
    board = {"month": "2017-06", "previous_month": "2017-05", "year_ago_month": "2016-06", "lapse": {"days": 35},
             "board": [{"kpi": "active_customers", "kind": "count", "value": 2027.0, "previous": 2075.0,
                        "mom_abs": -48.0, "mom_rel": -48 / 2075, "year_ago": None if yoy is None else 2015.0,
                        "yoy_abs": yoy, "yoy_rel": None if yoy is None else yoy / 2015}]}
    (folder / stages.artifact("kpi_board").path).write_text(json.dumps(board), encoding="utf-8")
    msg = compose.compose(folder, cfg(str(tmp_path / "demo.yml")), "2017-06", [], "r@example.com")
    body = msg.get_body(("html",)).get_content()
    plain = msg.get_body(("plain",)).get_content()
    head, note = compose.say("email.head.yoy"), compose.say("email.no_year_ago")
    assert "2,027" in body and "-48" in body
    if yoy is None:
        assert head not in body and note in body and note in plain and "a year ago" not in plain
        assert body.count("<th ") == 3 and body.count("<td ") == 3
    else:
        assert head in body and note not in body and "+12" in body and "+12" in plain
        assert body.count("<th ") == 4 and body.count("<td ") == 4
