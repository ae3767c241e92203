"""The holiday calendar as a common time-varying covariate on purchasing (retention_lib.models.calendar).

The populations are BG/NBD in calendar time, day by day, with the purchase rate times HOLIDAY_RATE on
the CN calendar's holiday days (春节, 国庆, 中秋 breaks): two years to the end of February 2024, the
month of 春节 2024 (its break ends on the 17th). The same seed without the holiday is the same members
(rates, dropout chances, first days, every random draw): the holiday only thins their purchases.
"""
from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from retention_lib.models import btyd
from retention_lib.models.btyd import ModelUnusable
from retention_lib.models.calendar import (Calendar, CalendarFit, fit_with_calendar, holiday_days,
                                           holiday_repeat_days, operational_horizon, operational_summary)
from retention_lib.models.clv import WEEKS_PER_MONTH
from retention_lib.models.summary import summarise

CN = Calendar("cn")
START, END = pd.Timestamp("2022-03-01"), pd.Timestamp("2024-02-29")   # END: the last day observed
FUTURE_DAYS = 30                        # simulated past END: what members did next month
TRUE = {"r": 3.0, "alpha": 6.0, "a": 0.6, "b": 8.0}   # weeks: a visit every two weeks on average
HOLIDAY_RATE = 0.2
SEEDS = (0, 1, 2)
N = 4000
LAPSE_DAYS = 60                         # active: a purchase in the last 60 days


def simulate_days(n: int, seed: int, holiday_rate: float) -> pd.DataFrame:
    """Distinct (customer_id, d) purchase days from START to END + FUTURE_DAYS of a BG/NBD population
    whose rate is times `holiday_rate` on holidays (thinning: a purchase opportunity on a holiday is
    taken with that chance; a member can drop out only after a purchase). Every draw is made for every
    member at every step, so two rates with one seed are the same members and the same draws."""
    rng = np.random.default_rng(seed)
    lam, p = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n), rng.beta(TRUE["a"], TRUE["b"], n)
    last = END + pd.Timedelta(days=FUTURE_DAYS)
    n_days = (last - START).days + 1
    rate = np.append(np.where(CN.is_holiday(START, last), holiday_rate, 1.0), 1.0)
    s = rng.integers(0, 540, n) + 0.5                 # first purchase in the first 18 months, in days
    customers, days = [np.arange(n)], [np.floor(s).astype(int)]
    alive = np.ones(n, dtype=bool)
    while alive.any():
        s = s + rng.exponential(7 / lam)
        take, leave = rng.random(n), rng.random(n)
        d = np.minimum(np.floor(s).astype(int), n_days)
        alive &= d < n_days
        bought = alive & (take < rate[d])
        customers.append(np.flatnonzero(bought))
        days.append(d[bought])
        alive &= ~(bought & (leave < p))
    out = pd.DataFrame({"customer_id": np.concatenate(customers).astype(str),
                        "d": (START + pd.to_timedelta(np.concatenate(days), "D")).date})
    return out.drop_duplicates().reset_index(drop=True)


@functools.cache
def population(seed: int, holiday_rate: float) -> SimpleNamespace:
    """The simulated purchase days, the summary to END (weeks to the day, as the report's) and who bought
    in the month after END."""
    days = simulate_days(N, seed, holiday_rate)
    seen = days[days["d"] <= END.date()]
    summary = summarise(seen.assign(timestamp=pd.to_datetime(seen["d"]), amount=1.0), observation_end=END,
                        freq="D", multiplier=7)
    came_back = summary.index.isin(days.loc[days["d"] > END.date(), "customer_id"])
    return SimpleNamespace(days=seen, summary=summary, came_back=came_back)


@functools.cache
def calendar_fit(seed: int, holiday_rate: float) -> CalendarFit:
    pop = population(seed, holiday_rate)
    return fit_with_calendar(pop.summary, "bgnbd", CN, holiday_repeat_days(pop.days, CN, END), END)


def active(summary: pd.DataFrame) -> np.ndarray:
    return (np.rint(7 * (summary["T"] - summary["recency"])) <= LAPSE_DAYS).to_numpy()


def skip_chance(model: btyd.BTYDModel, summary: pd.DataFrame, weeks: float = WEEKS_PER_MONTH) -> np.ndarray:
    return model.p_no_purchase(weeks, summary["frequency"], summary["recency"], summary["T"])


# ------------------------------------------------------------------ the calendar

def test_cn_calendar_has_the_festivals_on_their_real_dates():
    days = holiday_days("cn", "2024-01-01", "2026-12-31")
    for eve, day in (("2024-02-09", "2024-02-10"), ("2025-01-28", "2025-01-29"), ("2026-02-16", "2026-02-17")):
        assert days.loc[day, "holiday"] == days.loc[eve, "holiday"] == "spring_festival"
        assert days.loc[day, "zh"] == "春节" and "Spring Festival" in days.loc[day, "en"]
    for year in (2024, 2025, 2026):
        assert days.loc[f"{year}-10-01", "holiday"] == "national_day" and days.loc[f"{year}-10-01", "zh"] == "国庆节"
    # the official breaks: 2024's 春节 ran to Saturday the 17th; Sunday the 18th was a working day (调休)
    assert days.loc["2024-02-09":"2024-02-18"].index.strftime("%d").tolist() == [f"{d:02d}" for d in range(9, 18)]
    assert days.loc["2024-09-17", "holiday"] == "mid_autumn"
    assert days.loc["2025-10-06", "holiday"] == "national_day"   # 中秋 2025 fell inside the golden week
    assert "2024-05-01" not in days.index                          # 劳动节 is left out


def test_us_and_no_calendar():
    days = holiday_days("us", "2017-01-01", "2017-12-31")
    assert days["holiday"].to_dict() == {pd.Timestamp("2017-01-01"): "new_year",
                                         pd.Timestamp("2017-11-23"): "thanksgiving",
                                         pd.Timestamp("2017-12-25"): "christmas"}
    assert days.loc["2017-11-23", "zh"] == "感恩节"
    assert not Calendar("none").is_holiday("2024-01-01", "2024-12-31").any()
    with pytest.raises(ValueError, match="one of cn, us, none"):
        Calendar("CN")


def test_operational_time_by_hand():
    """First purchase 1 February 2024, last the 20th, observed to the 29th: the nine days of 春节's break
    (9-17 February) count 0.2 each."""
    summary = pd.DataFrame({"frequency": [3], "recency": [19 / 7], "T": [28 / 7]})
    op = operational_summary(summary, CN, np.log(0.2), END)
    assert op["recency"].iloc[0] == pytest.approx((19 - 9 * 0.8) / 7)
    assert op["T"].iloc[0] == pytest.approx((28 - 9 * 0.8) / 7)
    assert op["frequency"].iloc[0] == 3
    # the month after 31 January holds the whole break; the month after END none of it
    assert operational_horizon(CN, np.log(0.2), "2024-01-31", WEEKS_PER_MONTH) == pytest.approx(
        WEEKS_PER_MONTH - 9 * 0.8 / 7)
    assert operational_horizon(CN, np.log(0.2), END, WEEKS_PER_MONTH) == pytest.approx(WEEKS_PER_MONTH)
    # gamma = 0 is the summary itself, bit for bit
    pop = population(0, 1.0)
    pd.testing.assert_frame_equal(operational_summary(pop.summary, CN, 0.0, END), pop.summary)


def test_holiday_repeat_days_leave_out_the_first_purchase():
    days = pd.DataFrame({"customer_id": ["A", "A", "A", "B", "B", "B", "B"],
                         "d": pd.to_datetime(["2024-02-10", "2024-02-12", "2024-03-01", "2024-01-05", "2024-02-09",
                                              "2024-02-18", "2024-10-01"]).date})
    # A: first on a holiday (not a repeat), one repeat in the break; B: the eve, not the working Sunday
    # after the break nor a day after the end
    assert holiday_repeat_days(days, CN, "2024-03-31").to_dict() == {"A": 1, "B": 1}
    assert holiday_repeat_days(days, Calendar("none"), "2024-03-31").empty


def test_holiday_repeat_days_match_the_simulation():
    pop = population(0, HOLIDAY_RATE)
    d = pd.to_datetime(pop.days["d"])
    first = d.groupby(pop.days["customer_id"]).transform("min")
    expected = (d.isin(CN.days(START, END).index) & (d > first)).sum()
    assert holiday_repeat_days(pop.days, CN, END).sum() == expected > 0


def test_a_holiday_next_month_lowers_the_forecast():
    """A member seen to 31 January 2024 (no holiday in their history), the 春节 break next month."""
    model = btyd.BTYDModel("bgnbd", TRUE)
    summary = pd.DataFrame({"frequency": [5], "recency": [8.0], "T": [10.0]})
    fitted = CalendarFit(model, CN, pd.Timestamp("2024-01-31"), gamma=np.log(0.2), used=True)
    with_calendar = fitted.score(summary, {"next_month": WEEKS_PER_MONTH})
    plain = model.score(summary, {"next_month": WEEKS_PER_MONTH})
    assert with_calendar["expected_next_month"].iloc[0] < plain["expected_next_month"].iloc[0]
    assert with_calendar["p_no_purchase_next_month"].iloc[0] > plain["p_no_purchase_next_month"].iloc[0]
    assert with_calendar["p_alive"].iloc[0] == plain["p_alive"].iloc[0]   # no holiday behind them


# ------------------------------------------------------------------ the fit

def test_gamma_is_recovered():
    truth = np.log(HOLIDAY_RATE)
    fits = [calendar_fit(seed, HOLIDAY_RATE) for seed in SEEDS]
    assert all(f.used and f.lr > 100 for f in fits)
    assert sum(f.interval[0] <= truth <= f.interval[1] for f in fits) >= 2, [f.to_dict() for f in fits]
    assert all(abs(f.gamma - truth) < 0.15 for f in fits)
    assert all(f.interval[0] < f.gamma < f.interval[1] and f.interval[1] - f.interval[0] < 0.4 for f in fits)


def test_no_holiday_effect_leaves_the_plain_model():
    fits = [calendar_fit(seed, 1.0) for seed in SEEDS]
    assert all(abs(f.gamma) < 0.1 for f in fits), [f.to_dict() for f in fits]
    assert sum(not f.used and f.interval[0] < 0 < f.interval[1] for f in fits) >= 2, [f.to_dict() for f in fits]
    horizons = {"next_month": WEEKS_PER_MONTH, "next_quarter": 3 * WEEKS_PER_MONTH}
    for seed, f in zip(SEEDS, fits):
        if not f.used:
            summary = population(seed, 1.0).summary
            plain = btyd.fit(summary, "bgnbd")
            assert f.model.params == plain.params
            pd.testing.assert_frame_equal(f.score(summary, horizons), plain.score(summary, horizons))


def test_a_fixed_calendar_covariate_removes_a_simulated_holiday_dip_from_the_churn_count():
    """Twelve days after 春节's break, the plain model takes members silent over the break for drifting.

    Counts are of active members with P(no purchase next month) >= 0.5, on the same members with and
    without the holiday. The yardstick is the truth of the holiday population: the simulation's own
    parameters and holiday effect on the same data (the calendar must be within 5% of it, the plain model
    is 20% above it or more), and what the members did next month (the expected number who bought
    nothing, the sum of the chances, within 5% of the number who did). Without the holiday the count is
    higher than the truth with it: a member who went quiet just before the break has shown less of their
    silence than they would have without it, so the calendar's count stays at or below the no-holiday
    count, while the plain model's is 10% above it or more."""
    pop, flat = population(0, HOLIDAY_RATE), population(0, 1.0)
    fitted = calendar_fit(0, HOLIDAY_RATE)
    plain, no_holiday = btyd.fit(pop.summary, "bgnbd"), btyd.fit(flat.summary, "bgnbd")
    truth = btyd.BTYDModel("bgnbd", TRUE)
    now = active(pop.summary)
    chances = {
        "plain": skip_chance(plain, pop.summary),
        "calendar": fitted.score(pop.summary, {"next_month": WEEKS_PER_MONTH})["p_no_purchase_next_month"].to_numpy(),
        "truth": skip_chance(truth, operational_summary(pop.summary, CN, np.log(HOLIDAY_RATE), END),
                             operational_horizon(CN, np.log(HOLIDAY_RATE), END, WEEKS_PER_MONTH))}
    at_risk = {k: int((p[now] >= 0.5).sum()) for k, p in chances.items()}
    at_risk["no_holiday"] = int((skip_chance(no_holiday, flat.summary)[active(flat.summary)] >= 0.5).sum())
    quiet = int((~pop.came_back[now]).sum())
    expected_quiet = {k: float(p[now].sum()) for k, p in chances.items()}

    assert abs(at_risk["calendar"] - at_risk["truth"]) <= 0.05 * at_risk["truth"], at_risk
    assert at_risk["plain"] >= 1.2 * at_risk["truth"], at_risk
    assert at_risk["plain"] >= 1.1 * at_risk["no_holiday"], at_risk
    assert at_risk["calendar"] <= at_risk["no_holiday"], at_risk
    assert abs(expected_quiet["calendar"] - quiet) <= 0.05 * quiet, (expected_quiet, quiet)
    assert expected_quiet["plain"] >= 1.08 * quiet, (expected_quiet, quiet)


def test_a_saved_model_predicts_with_its_calendar(tmp_path):
    fitted, summary = calendar_fit(0, HOLIDAY_RATE), population(0, HOLIDAY_RATE).summary
    saved = CalendarFit.of(btyd.BTYDModel.from_json(fitted.model.to_json(tmp_path / "model.json")))
    horizons = {"next_month": WEEKS_PER_MONTH}
    assert saved.used and saved.gamma == fitted.gamma and saved.end == END
    pd.testing.assert_frame_equal(saved.score(summary, horizons), fitted.score(summary, horizons))
    plain = btyd.fit(summary, "bgnbd")
    assert not CalendarFit.of(plain).used


def test_without_holidays_in_the_history_it_is_the_plain_fit():
    summary = population(0, 1.0).summary
    fitted = fit_with_calendar(summary, "bgnbd", Calendar("none"), pd.Series(dtype="int64"), END)
    assert not fitted.used and fitted.model.params == btyd.fit(summary, "bgnbd").params
    assert fitted.to_dict()["interval"] == [None, None]


def test_the_profile_keeps_to_the_fit_budget():
    pop = population(1, HOLIDAY_RATE)
    with pytest.raises(ModelUnusable, match="within 0.05 s"):
        fit_with_calendar(pop.summary, "bgnbd", CN, holiday_repeat_days(pop.days, CN, END), END, max_seconds=0.05)
