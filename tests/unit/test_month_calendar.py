"""The holiday calendar in the month's churn view (churn.score_month with `holiday_calendar`) and in every
figure computed from its model: last month's scores, CLV, the ranges on the headline figures, the ledger.

The store is the small simulated one over 2024-2025 with its members' baskets on the CN calendar's holiday
days (春节, 国庆, 中秋 breaks) thinned to KEEP: a store that empties over the festivals. What members did in
the month after is the yardstick.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import set_table, write_demo_config
from retention_lib.analytics import churn, ledger, value
from retention_lib.data.prepare import open_run
from retention_lib.models.calendar import Calendar, CalendarFit
from retention_lib.models.clv import WEEKS_PER_MONTH, clv

KEEP = 0.15           # the share of members' holiday baskets kept
MONTHS = ("2024-09", "2025-02")   # 国庆 next month; a fortnight after 春节's break


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """(config, every basket thinned on holidays) of a 1,500-member store with the CN calendar set."""
    base = tmp_path_factory.mktemp("holiday-store")
    cfg = write_demo_config(base, n_customers=1500, months=24, seed=7)
    cfg.write_text(cfg.read_text(encoding="utf-8") + "settings: {holiday_calendar: cn}\n", encoding="utf-8")
    baskets = open_run(cfg, "2025-12", base / "all").table("baskets")
    day = pd.to_datetime(baskets["date"]).dt.normalize()
    holiday = day.isin(Calendar("cn").days("2024-01-01", "2025-12-31").index) & baskets["is_member"]
    thinned = baskets[~(holiday & (np.random.default_rng(1).random(len(baskets)) > KEEP))]
    return cfg, thinned.reset_index(drop=True)


def month_run(store, month, tmp_path_factory):
    cfg, baskets = store
    run_dir = tmp_path_factory.mktemp(f"run-{month}")
    run = open_run(cfg, month, run_dir)
    set_table(run_dir, "baskets", baskets[pd.to_datetime(baskets["timestamp"]) < run.end])
    return open_run(cfg, month, run_dir)


@pytest.fixture(scope="module")
def months(store, tmp_path_factory):
    """Per month: the run, its view with the calendar and without it (none), and who in the base bought
    nothing the month after."""
    out = {}
    for month in MONTHS:
        run = month_run(store, month, tmp_path_factory)
        with_calendar, plain = churn.score_month(run, "bgnbd"), churn.score_month(run, "bgnbd", holiday_calendar="none")
        b = store[1]
        after = b[(pd.to_datetime(b["timestamp"]) >= run.end) & (pd.to_datetime(b["timestamp"]) < (run.month + 1).end_time)
                  & b["is_member"] & b["is_purchase"]]
        base = with_calendar.scores["state"].isin(["new", "active", "at_risk"])
        quiet = ~with_calendar.scores.index.isin(after["customer_id"].unique()) & base
        out[month] = run, with_calendar, plain, base, quiet
    return out


def test_the_calendar_is_found_and_measured(months):
    for month, (_, view, plain, _, _) in months.items():
        assert view.calendar.used and not plain.calendar.used, month
        low, high = view.calendar.interval
        assert low <= np.log(KEEP) <= high, (month, view.calendar.interval)
        assert view.headline()["holiday_calendar"]["rate_ratio"] == pytest.approx(KEEP, rel=0.15)


def test_with_the_calendar_the_chances_add_up_to_who_bought_nothing(months):
    """The sum of the base's P(no purchase next month) against the members who bought nothing: closer with
    the calendar, both when the next month holds 国庆 (the plain model expects too few quiet members) and
    after 春节 (it took the break's silence for drifting)."""
    for month, (_, view, plain, base, quiet) in months.items():
        observed = int(quiet.sum())
        expected = {name: float(v.scores.loc[base, "p_no_purchase_next_month"].sum())
                    for name, v in (("calendar", view), ("plain", plain))}
        assert abs(expected["calendar"] - observed) < abs(expected["plain"] - observed) - 3, (month, expected, observed)
        assert abs(expected["calendar"] - observed) <= 0.1 * observed, (month, expected, observed)


def test_every_figure_takes_the_model_in_its_own_time(months):
    """The saved model keeps its calendar; CLV, the ranges' points and the ledger's forecasts then agree with
    the month's scores, as they do without a calendar (each identity fails if one of them reads the
    members' histories or the months ahead in calendar time)."""
    run, view, _, _, _ = months["2024-09"]
    churn.save(run, view)
    saved = churn.saved(run)
    assert saved.calendar.used and saved.calendar.gamma == view.calendar.gamma
    v = value.for_month(run, saved, horizon_months=12, annual_discount_rate=0.1, margin=0.25)
    s = v.scores
    by_hand = clv(saved.model, v.spend, saved.calendar.operational(s), months=12, annual_discount_rate=0.1,
                  margin=0.25, horizons=saved.calendar.month_ends(12, WEEKS_PER_MONTH))
    plain_time = clv(saved.model, v.spend, s, months=12, annual_discount_rate=0.1, margin=0.25)
    np.testing.assert_allclose(s["clv"], by_hand, rtol=1e-12)
    assert not np.allclose(s["clv"], plain_time, rtol=1e-3)

    ranges = value.intervals(v, saved)
    assert ranges["expected_purchases_next_month"]["point"] == pytest.approx(s["expected_next_month"].sum(), rel=1e-9)
    assert ranges["members_at_risk"]["point"] == int(s["at_risk"].sum())
    assert ranges["total_clv"]["point"] == pytest.approx(s["clv"].sum(), rel=1e-9)

    made = ledger.forecasts(run, saved.model, s).set_index("customer_id")
    np.testing.assert_allclose(made["p_alive"], s["p_alive"].to_numpy(), rtol=1e-12)
    ahead = saved.calendar.score(s, {"m": (run.month + 1).days_in_month / 7})
    np.testing.assert_allclose(made["p_any_purchase"], 1 - ahead["p_no_purchase_m"].to_numpy(), rtol=1e-12)


def test_a_saved_model_without_its_record_is_the_plain_model(months):
    _, view, _, _, _ = months["2025-02"]
    model = view.model
    bare = type(model)(model.kind, model.params, time_unit=model.time_unit)
    assert not CalendarFit.of(bare).used
