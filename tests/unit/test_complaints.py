"""Complaint rate, time to resolve and service level against hand-built complaints."""
import numpy as np
import pandas as pd
import pytest
from retention_lib.report import satisfaction_display

from retention_lib.analytics.satisfaction import complaints as cm
from retention_lib.report import charts

MONTH = pd.Period("2025-03", "M")
T = pd.Timestamp


def _basket_rows():
    """March: 1,500 purchase baskets at S1 and 500 at S2, plus 40 return-only visits that do
    not count; February: 1,000 at S1."""
    rows = []
    for store, n, start in (("S1", 1500, "2025-03-01"), ("S2", 500, "2025-03-01"), ("S1", 1000, "2025-02-01")):
        ts = T(start) + pd.to_timedelta(np.arange(n) % 27, unit="D") + pd.Timedelta(hours=10)
        rows.append(pd.DataFrame({"store_id": store, "timestamp": ts, "is_purchase": True}))
    rows.append(pd.DataFrame({"store_id": "S1", "timestamp": [T("2025-03-05 12:00")] * 40, "is_purchase": False}))
    return pd.concat(rows, ignore_index=True)


def _baskets():
    """The rates' denominators: purchase baskets per month and store of `_basket_rows`."""
    return cm.purchase_counts(_basket_rows())


def _complaint(cid, opened, closed=None, resolved=None, category="freshness", store="S1"):
    return {"complaint_id": cid, "opened_at": T(opened), "closed_at": T(closed) if closed else pd.NaT,
            "category": category, "resolved": bool(closed) if resolved is None else resolved, "store_id": store}


def _complaints():
    return pd.DataFrame([
        # opened in March (6): resolution hours 2, 10, 30, 50, 100; one still open
        _complaint("K1", "2025-03-02 08:00", "2025-03-02 10:00"),
        _complaint("K2", "2025-03-03 08:00", "2025-03-03 18:00", category="price"),
        _complaint("K3", "2025-03-04 08:00", "2025-03-05 14:00", category="price", store="S2"),
        _complaint("K4", "2025-03-10 08:00", "2025-03-12 10:00", category="staff"),
        _complaint("K5", "2025-03-20 08:00", "2025-03-24 12:00", store=None),
        _complaint("K6", "2025-03-31 22:00", store="S2"),            # due in April: not judged in March
        # opened in February, due in March
        _complaint("K7", "2025-02-28 10:00"),                           # still open: breach, backlog
        _complaint("K8", "2025-02-27 23:00", "2025-03-01 23:00"),      # exactly 48 h: met (closed in March)
        _complaint("K9", "2025-02-27 23:30", "2025-03-03 00:00", resolved=False),  # closed unresolved
        # opened and closed in February, due in February
        _complaint("K10", "2025-02-10 08:00", "2025-02-10 09:00"),
    ])


def test_rate_per_1000_purchase_baskets_with_an_exact_poisson_interval():
    r = cm.rate(_complaints(), _baskets(), MONTH.start_time, (MONTH + 1).start_time)
    assert r["complaints"] == 6 and r["baskets"] == 2000   # return-only visits left out
    assert r["per_1000_baskets"] == pytest.approx(3.0)
    # Garwood interval for 6 events: [χ²(0.025, 12)/2, χ²(0.975, 14)/2] = [2.2019, 13.0594]
    assert r["per_1000_lo"] == pytest.approx(2.2019 / 2, abs=1e-4)
    assert r["per_1000_hi"] == pytest.approx(13.0594 / 2, abs=1e-4)
    lo, hi = cm.poisson_interval(0)
    assert lo == 0 and hi == pytest.approx(3.6889, abs=1e-4)


def test_rates_by_category_and_store():
    c, b = _complaints(), _baskets()
    cats = cm.by_category(c, b, MONTH.start_time, (MONTH + 1).start_time).set_index("category")
    assert cats.loc["freshness", "complaints"] == 3 and cats.loc["price", "complaints"] == 2
    assert cats.loc["price", "per_1000_baskets"] == pytest.approx(1.0)   # 2 of 2,000 baskets
    assert cats["share"].sum() == pytest.approx(1.0)
    stores = cm.by_store(c, b, MONTH.start_time, (MONTH + 1).start_time).set_index("store_id")
    assert stores.loc["S1", "complaints"] == 3 and stores.loc["S1", "baskets"] == 1500
    assert stores.loc["S1", "per_1000_baskets"] == pytest.approx(2.0)
    assert stores.loc["S2", "per_1000_baskets"] == pytest.approx(4.0)   # 2 of 500
    assert stores.loc[cm.NO_STORE, "complaints"] == 1
    assert pd.isna(stores.loc[cm.NO_STORE, "per_1000_baskets"])   # no store, no denominator


def test_time_to_resolve_among_complaints_closed_and_resolved_in_the_month():
    r = cm.resolution(_complaints(), MONTH.start_time, (MONTH + 1).start_time)
    # closed in March: K1 2 h, K2 10 h, K3 30 h, K4 50 h, K5 100 h, K8 48 h resolved; K9 unresolved
    assert r["closed"] == 7 and r["closed_resolved"] == 6 and r["closed_unresolved"] == 1
    hours = np.array([2, 10, 30, 50, 100, 48])
    assert r["median_hours"] == pytest.approx(np.median(hours))        # 39
    assert r["p90_hours"] == pytest.approx(75.0)                        # 50 + 0.5·(100 − 50)
    assert r["small_sample"]


def test_service_level_breaches_and_backlog():
    s = cm.sla(_complaints(), MONTH.start_time, (MONTH + 1).start_time, sla_hours=48)
    # due in March: K1..K5 and K7, K8, K9 (K6 is due in April, K10 in February)
    # breached: K4 (50 h), K5 (100 h), K7 (open), K9 (closed unresolved)
    assert s["due"] == 8 and s["breached"] == 4
    assert s["breach_share"] == pytest.approx(0.5)
    assert s["breach_lo"] < 0.5 < s["breach_hi"]
    assert s["open_at_end"] == 2            # K6 and K7
    assert s["backlog_past_sla"] == 1       # K7 only: K6's deadline is in April
    longer = cm.sla(_complaints(), MONTH.start_time, (MONTH + 1).start_time, sla_hours=72)
    # 72 h: K4 (50 h) now meets it; K5 (100 h), K7 (open) and K9 (unresolved) still breach
    assert longer["breached"] == 3


def test_thirteen_month_trend_with_empty_months():
    trend = cm.monthly_trend(_complaints(), _baskets(), MONTH)
    assert len(trend) == 13 and list(trend["month"])[-1] == "2025-03"
    feb = trend.set_index("month").loc["2025-02"]
    assert feb["complaints"] == 4 and feb["baskets"] == 1000 and feb["per_1000_baskets"] == pytest.approx(4.0)
    empty = trend.set_index("month").loc["2024-06"]
    assert empty["complaints"] == 0 and np.isnan(empty["per_1000_baskets"])


def test_summary_text_states_the_definitions_numbers():
    s = cm.month_figures(_complaints(), _baskets(), MONTH, sla_hours=48)
    said = satisfaction_display.complaints_text(s)
    assert "6 complaints were opened in 2025-03" in said and "3.00 per 1,000" in said
    assert "4 (50%" in said and "48-hour" in said and "1 was closed unresolved" in said
    assert s["change_month_on_month"]["change"] == pytest.approx(3.0 - 4.0)


def test_a_month_without_complaints(tmp_path):
    april = pd.Period("2025-04", "M")
    b = cm.purchase_counts(pd.concat([_basket_rows(), pd.DataFrame(
        {"store_id": "S1", "timestamp": [T("2025-04-10 10:00")] * 100, "is_purchase": True})], ignore_index=True))
    c = _complaints()
    c = c[c["opened_at"] < T("2025-03-31")]              # nothing opened in late March or April
    c.loc[c["complaint_id"] == "K7", "closed_at"] = T("2025-03-05")
    c.loc[c["complaint_id"] == "K7", "resolved"] = True
    s = cm.month_figures(c, b, april)
    assert s["rate"]["complaints"] == 0 and s["rate"]["per_1000_baskets"] == 0.0
    assert s["by_category"] == [] and s["resolution"]["median_hours"] is None and s["sla"]["due"] == 0
    assert "0 complaints were opened in 2025-04" in satisfaction_display.complaints_text(s)
    fig = charts.complaints_chart(cm.monthly_trend(c, b, april), pd.DataFrame(s["by_category"]), "2025-04")
    fig.savefig(tmp_path / "complaints.png")
    assert (tmp_path / "complaints.png").stat().st_size > 0


def test_a_complaint_category_that_is_a_survey_dimension_takes_the_dimensions_name():
    from retention_lib.core.schema import DIMENSIONS
    from retention_lib.data.sources.demo_people import COMPLAINT_CATEGORIES
    from retention_lib.report import text

    dimension_names = {text.label("dimension", d) for d in DIMENSIONS}
    shown = {c: satisfaction_display.category_label(c) for c in COMPLAINT_CATEGORIES}
    # checkout, staff, environment, price and after-sales are dimensions by another wording
    same = {"checkout wait": "dim_checkout", "staff": "dim_staff", "environment": "dim_environment",
            "price": "dim_price", "refund/after-sales": "dim_after_sales"}
    assert {c: shown[c] for c in same} == {c: text.label("dimension", d) for c, d in same.items()}
    assert all(shown[c] in dimension_names or shown[c] != c for c in COMPLAINT_CATEGORIES)   # none raw
    assert satisfaction_display.category_label("parking") == "parking"       # unknown client data: as given
    assert satisfaction_display.category_label(cm.NO_CATEGORY) == text.level(cm.NO_CATEGORY)
