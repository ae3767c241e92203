"""Customer summaries (retention_lib.summary) against lifetimes' definitions.

References: lifetimes' `summary_data_from_transaction_data` (and `calibration_and_holdout_data`
where it runs on pandas 3), and a plain pandas computation of the holdout definition written
out below. Inputs: the CDNOW sample shipped with lifetimes and a synthetic grocery purchase log.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data
from retention_lib.data.sources.cdnow import load_cdnow_transactions
from retention_lib.models.summary import calibration_and_holdout, new_in_holdout, summarise

FREQS = [("D", 1), ("W", 1), ("D", 7)]
START = pd.Timestamp("2024-01-01")          # a Monday
CAL_END = "2024-09-30"                       # a Monday; grocery calibration end
OBS_END = "2024-12-15"                       # a Sunday


# ------------------------------------------------------------------ data

def grocery_log(seed: int = 0, n_customers: int = 4000) -> pd.DataFrame:
    """A supermarket purchase log: customer_id (None for non-members), timestamp, amount.

    Visits at times of day, several visits on one day, returns (negative amounts) and zero
    baskets, heavy shoppers with near-daily visits, and hand-made edge cases around the
    calibration and observation ends and week boundaries.
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    first = rng.integers(0, 360, n)
    rate = rng.gamma(2.0, 0.5, n)                      # visits per week
    heavy = rng.random(n) < 0.03
    rate[heavy] = rng.uniform(8.0, 14.0, heavy.sum())    # more than one visit a day
    first[heavy] = rng.integers(0, 30, heavy.sum())
    last = np.minimum(first + rng.exponential(400.0, n), 420.0)
    last[heavy] = 420.0
    visits = 1 + rng.poisson(rate / 7.0 * (last - first))
    owner = np.repeat(np.arange(n), visits)
    day = first[owner] + np.floor(rng.random(owner.size) * (last - first)[owner]).astype(int)
    is_first = np.r_[True, owner[1:] != owner[:-1]]
    day[is_first] = first[owner[is_first]]
    seconds = rng.integers(7 * 3600, 22 * 3600, owner.size)
    # a second (or third) visit later on the same day
    again = rng.random(owner.size) < 0.12
    owner = np.r_[owner, owner[again]]
    day = np.r_[day, day[again]]
    seconds = np.r_[seconds, np.minimum(seconds[again] + rng.integers(60, 4 * 3600, again.sum()), 86399)]
    amount = np.round(rng.lognormal(3.3, 0.7, owner.size), 2)
    kind = rng.random(owner.size)
    amount[kind < 0.03] = -np.round(rng.uniform(1, 50, (kind < 0.03).sum()), 2)   # returns
    amount[(kind >= 0.03) & (kind < 0.04)] = 0.0                                     # zero baskets
    members = pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in owner],
        "timestamp": START + pd.to_timedelta(day, "D") + pd.to_timedelta(seconds, "s"),
        "amount": amount,
    })
    m = int(0.15 * len(members))
    guests = pd.DataFrame({
        "customer_id": [None] * m,
        "timestamp": START + pd.to_timedelta(rng.integers(0, 420 * 86400, m), "s"),
        "amount": np.round(rng.lognormal(3.0, 0.7, m), 2),
    })
    ts = pd.Timestamp
    edge = pd.DataFrame.from_records([
        ("E_cal_day", ts(CAL_END) + pd.Timedelta(hours=14), 20.0),      # first seen on calibration end day
        ("E_cal_day", ts("2024-10-20 09:00"), 30.0),
        ("E_cal_day2", ts(CAL_END) + pd.Timedelta(hours=10), 10.0),
        ("E_obs_day", ts(OBS_END) + pd.Timedelta(hours=10), 15.0),      # first seen on observation end day
        ("E_midnight", ts("2024-03-04 00:00:00"), 5.0),
        ("E_midnight", ts("2024-03-11 00:00:00"), 6.0),
        ("E_midnight", ts(CAL_END), 7.0),
        ("E_zero", ts("2024-02-01 10:00"), 40.0),                        # repeat period nets to 0
        ("E_zero", ts("2024-02-08 10:00"), 20.0),
        ("E_zero", ts("2024-02-08 18:00"), -20.0),
        ("E_neg", ts("2024-02-01 10:00"), 40.0),                         # repeat period nets negative
        ("E_neg", ts("2024-02-09 10:00"), -35.0),
        ("E_week", ts("2024-04-07 23:59:59"), 12.0),                     # Sunday night ...
        ("E_week", ts("2024-04-08 00:00:00"), 13.0),                     # ... then Monday midnight
        ("E_week", ts("2024-04-14 12:00"), 14.0),
    ], columns=["customer_id", "timestamp", "amount"])
    # the very last row of the log is a non-member purchase (matters for the default end)
    tail = pd.DataFrame({"customer_id": [None], "timestamp": [START + pd.Timedelta(days=421, hours=20)],
                         "amount": [9.99]})
    out = pd.concat([members, guests, edge, tail], ignore_index=True)
    return out.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="module")
def grocery():
    return grocery_log()


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_transactions()


def lifetimes_summary(df, *, time_col="timestamp", observation_end=None, freq="D", multiplier=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return summary_data_from_transaction_data(
            df, "customer_id", time_col, monetary_value_col="amount", observation_period_end=observation_end,
            freq=freq, freq_multiplier=multiplier)


def assert_same_summary(ours: pd.DataFrame, ref: pd.DataFrame, amount_scale: float) -> None:
    """Exact frequency/recency/T, monetary value to 1e-9 relative (sums in another order)."""
    assert ours.index.is_unique and not ours.index.isna().any()
    assert set(ours.index) == set(ref.index)
    assert list(ours.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert ours["frequency"].dtype == np.int64
    ref = ref.loc[ours.index]
    assert np.array_equal(ours["frequency"].to_numpy(), ref["frequency"].to_numpy())
    for col in ("recency", "T"):
        np.testing.assert_allclose(ours[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours["monetary_value"].to_numpy(), ref["monetary_value"].to_numpy(),
                               rtol=1e-9, atol=1e-9 * amount_scale)


# ------------------------------------------------------------------ summarise vs lifetimes

@pytest.mark.parametrize("freq, mult", FREQS)
@pytest.mark.parametrize("end", [None, "1997-09-30", "1998-01-14"])
def test_cdnow_summary_equals_lifetimes(cdnow, freq, mult, end):
    ours = summarise(cdnow, time_col="date", freq=freq, multiplier=mult, observation_end=end)
    ref = lifetimes_summary(cdnow, time_col="date", observation_end=end, freq=freq, multiplier=mult)
    assert_same_summary(ours, ref, cdnow["amount"].abs().max())
    if end == "1997-09-30" and (freq, mult) == ("D", 7):
        assert len(ours) == 2357 and ours["frequency"].gt(0).sum() == 946


@pytest.mark.parametrize("freq, mult", FREQS)
@pytest.mark.parametrize("end", [None, "2024-11-13", "2024-12-01 15:30"])
def test_grocery_summary_equals_lifetimes(grocery, freq, mult, end):
    ours = summarise(grocery, freq=freq, multiplier=mult, observation_end=end)
    # lifetimes drops null ids in its groupby; its default end is the last row of the whole log
    ref = lifetimes_summary(grocery, observation_end=end, freq=freq, multiplier=mult)
    assert_same_summary(ours, ref, grocery["amount"].abs().max())
    # the log really exercises what it is meant to
    assert ours["frequency"].max() >= (200 if freq == "D" else 40)
    assert (ours["monetary_value"] < 0).any() and (ours.loc["E_zero", "monetary_value"] == 0.0)


def test_grocery_summary_edge_customers(grocery):
    days = summarise(grocery, freq="D", observation_end=CAL_END)
    assert days.loc["E_zero"].tolist() == [1, 7.0, days.loc["E_zero", "T"], 0.0]
    assert days.loc["E_neg", "monetary_value"] == -35.0
    assert days.loc["E_midnight"].tolist()[:2] == [2, 210.0]          # 2024-03-04 .. 2024-09-30
    assert days.loc["E_cal_day"].tolist() == [0, 0.0, 0.0, 0.0]        # 14:00 on the end day counts
    weeks = summarise(grocery, freq="W", observation_end=CAL_END)
    # Sunday 23:59:59 is one week, Monday 00:00 and the next Sunday noon the next one
    assert weeks.loc["E_week"].tolist()[:2] == [1, 1.0]
    assert weeks.loc["E_week", "monetary_value"] == pytest.approx(13.0 + 14.0)


@pytest.mark.slow
def test_null_customer_ids_are_left_out(grocery):
    members = grocery[grocery["customer_id"].notna()]
    assert len(members) < len(grocery)
    for end in ("2024-11-13", None):
        explicit = end or grocery["timestamp"].max()
        ours = summarise(grocery, observation_end=explicit, freq="D", multiplier=7)
        only_members = summarise(members, observation_end=explicit, freq="D", multiplier=7)
        pd.testing.assert_frame_equal(ours, only_members)
        assert not ours.index.isna().any()
        assert_same_summary(ours, lifetimes_summary(members, observation_end=explicit, freq="D", multiplier=7),
                            grocery["amount"].abs().max())
    # the default end is the last row of the log, a non-member purchase here
    assert summarise(grocery)["T"].max() == summarise(grocery, observation_end=grocery["timestamp"].max())["T"].max()


@pytest.mark.parametrize("freq, mult", FREQS)
def test_purchases_after_observation_end_are_ignored(grocery, freq, mult):
    end = "2024-10-16 12:00"                       # a Wednesday
    period_end = pd.Timestamp(end).to_period(freq).end_time
    later = grocery[grocery["timestamp"] > period_end]
    assert len(later) > 1000
    earlier = grocery[grocery["timestamp"] <= period_end]
    extra = pd.DataFrame({"customer_id": ["E_after_only", "C00001"],
                          "timestamp": [period_end + pd.Timedelta(hours=1), period_end + pd.Timedelta(days=3)],
                          "amount": [10.0, 20.0]})
    full = summarise(pd.concat([grocery, extra]), observation_end=end, freq=freq, multiplier=mult)
    cut = summarise(earlier, observation_end=end, freq=freq, multiplier=mult)
    pd.testing.assert_frame_equal(full, cut)
    assert "E_after_only" not in full.index


@pytest.mark.slow
def test_dataframe_and_parquet_path_agree(grocery, tmp_path):
    path = tmp_path / "purchases.parquet"
    grocery.to_parquet(path, index=False)
    for kwargs in ({"freq": "D", "multiplier": 7, "observation_end": "2024-11-13"}, {"freq": "W"}, {}):
        from_frame = summarise(grocery, **kwargs)
        pd.testing.assert_frame_equal(summarise(path, **kwargs), from_frame, check_index_type=False)
        pd.testing.assert_frame_equal(summarise(str(path), **kwargs), from_frame, check_index_type=False)
    kwargs = {"calibration_end": CAL_END, "observation_end": OBS_END, "freq": "D", "multiplier": 7}
    pd.testing.assert_frame_equal(calibration_and_holdout(path, **kwargs), calibration_and_holdout(grocery, **kwargs),
                                  check_index_type=False)
    assert new_in_holdout(path, calibration_end=CAL_END, observation_end=OBS_END) == \
        new_in_holdout(grocery, calibration_end=CAL_END, observation_end=OBS_END)


@pytest.mark.slow
def test_summary_and_holdout_do_not_depend_on_row_order(grocery):
    """Spend is summed exactly, so shuffling the log changes no bit (float sums would)."""
    kwargs = {"freq": "D", "multiplier": 7}
    holdout = {"calibration_end": CAL_END, "observation_end": OBS_END, **kwargs}
    ref = summarise(grocery, observation_end=CAL_END, **kwargs)
    hold = calibration_and_holdout(grocery, **holdout)
    for seed in (1, 2):
        shuffled = grocery.sample(frac=1.0, random_state=seed)
        pd.testing.assert_frame_equal(summarise(shuffled, observation_end=CAL_END, **kwargs), ref, check_exact=True)
        pd.testing.assert_frame_equal(calibration_and_holdout(shuffled, **holdout), hold, check_exact=True)


@pytest.mark.parametrize("freq,mult", FREQS)
def test_the_portable_expression_gives_the_duckdb_fast_paths_numbers(grocery, cdnow, freq, mult):
    """Spark runs the plain Ibis expression; DuckDB its purchase-period bitmaps: the same bits."""
    for log, kwargs in ((grocery, {"observation_end": CAL_END}), (cdnow, {"time_col": "date"})):
        fast = summarise(log, freq=freq, multiplier=mult, **kwargs)
        pd.testing.assert_frame_equal(summarise(log, freq=freq, multiplier=mult, portable=True, **kwargs), fast,
                                      check_exact=True)


def test_rejects_unknown_freq(grocery):
    with pytest.raises(ValueError):
        summarise(grocery, freq="M")


# ------------------------------------------------------------------ calibration / holdout

def reference_holdout(df, *, calibration_end, observation_end, freq, multiplier, time_col="timestamp"):
    """The holdout definition written out in pandas.

    Time is floored to periods. Calibration = lifetimes' summary with the calibration end as
    observation end. Holdout = distinct purchase periods in (calibration end period, observation
    end period], spend per period summed, for calibration customers only; customers whose first
    purchase period is in the holdout are left out and counted separately.
    """
    members = df[df["customer_id"].notna()].copy()
    members["period"] = members[time_col].dt.to_period(freq).dt.start_time
    cut = pd.Timestamp(calibration_end).to_period(freq).start_time
    end = pd.Timestamp(observation_end).to_period(freq).start_time
    per = members.groupby(["customer_id", "period"], as_index=False)["amount"].sum()
    cal = lifetimes_summary(df, time_col=time_col, observation_end=calibration_end, freq=freq,
                            multiplier=multiplier).add_suffix("_cal")
    hold = per[(per["period"] > cut) & (per["period"] <= end)].groupby("customer_id")["amount"]
    cal["frequency_holdout"] = hold.size().reindex(cal.index).fillna(0).astype("int64")
    cal["monetary_value_holdout"] = hold.mean().reindex(cal.index).fillna(0.0)
    cal["duration_holdout"] = (end - cut) / pd.Timedelta(1, freq) / multiplier
    first = per.groupby("customer_id")["period"].min()
    n_new = int(((first > cut) & (first <= end)).sum())
    return cal, n_new


def assert_same_holdout(ours, ref, amount_scale):
    assert set(ours.index) == set(ref.index)
    ref = ref.loc[ours.index]
    for col in ("frequency_cal", "frequency_holdout"):
        assert np.array_equal(ours[col].to_numpy(), ref[col].to_numpy().astype("int64")), col
    for col in ("recency_cal", "T_cal", "duration_holdout"):
        np.testing.assert_allclose(ours[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12, atol=1e-12, err_msg=col)
    for col in ("monetary_value_cal", "monetary_value_holdout"):
        np.testing.assert_allclose(ours[col].to_numpy(), ref[col].to_numpy(), rtol=1e-9,
                                   atol=1e-9 * amount_scale, err_msg=col)


@pytest.mark.parametrize("freq, mult", FREQS)
def test_cdnow_calibration_and_holdout_equals_reference(cdnow, freq, mult):
    kwargs = {"calibration_end": "1997-09-30", "observation_end": "1998-06-30"}
    ours = calibration_and_holdout(cdnow, time_col="date", freq=freq, multiplier=mult, **kwargs)
    ref, n_new = reference_holdout(cdnow, time_col="date", freq=freq, multiplier=mult, **kwargs)
    assert_same_holdout(ours, ref, cdnow["amount"].abs().max())
    assert len(ours) == 2357 and ours["frequency_holdout"].gt(0).sum() > 500
    assert n_new == 0 and new_in_holdout(cdnow, time_col="date", **kwargs) == 0


@pytest.mark.parametrize("freq, mult, cal_end, obs_end", [
    ("D", 1, "1997-09-30", "1998-06-30"),
    ("D", 7, "1997-09-30", "1998-06-30"),
    ("W", 1, "1997-09-28", "1998-06-28"),      # Sundays: lifetimes cuts raw dates, we cut periods
])
def test_cdnow_calibration_and_holdout_equals_lifetimes(cdnow, freq, mult, cal_end, obs_end):
    """lifetimes' calibration_and_holdout_data runs on pandas 3 when given a monetary column.
    Everything but monetary_value_holdout must agree (see the next test for that one)."""
    ours = calibration_and_holdout(cdnow, time_col="date", freq=freq, multiplier=mult,
                                   calibration_end=cal_end, observation_end=obs_end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = calibration_and_holdout_data(cdnow, "customer_id", "date", cal_end, obs_end, freq=freq,
                                           freq_multiplier=mult, monetary_value_col="amount")
    assert set(ours.index) == set(ref.index)
    ref = ref.loc[ours.index]
    for col in ("frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"):
        np.testing.assert_allclose(ours[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float),
                                   rtol=1e-12, atol=1e-12, err_msg=col)
    np.testing.assert_allclose(ours["monetary_value_cal"], ref["monetary_value_cal"], rtol=1e-9, atol=1e-9)


def test_holdout_spend_is_per_purchase_period_not_per_row(cdnow):
    """Documents a deliberate difference from lifetimes: lifetimes' monetary_value_holdout is the
    mean over raw transaction rows, ours the mean over purchase periods (same-day purchases summed,
    as in the calibration monetary_value that Gamma-Gamma predicts)."""
    kwargs = {"calibration_end": "1997-09-30", "observation_end": "1998-06-30"}
    ours = calibration_and_holdout(cdnow, time_col="date", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = calibration_and_holdout_data(cdnow, "customer_id", "date", kwargs["calibration_end"],
                                           kwargs["observation_end"], monetary_value_col="amount")
    hold = cdnow[(cdnow["date"] > kwargs["calibration_end"]) & (cdnow["date"] <= kwargs["observation_end"])]
    rows_per_day = hold.groupby(["customer_id", "date"]).size().groupby("customer_id").max()
    single = rows_per_day.index[rows_per_day == 1]
    multi = rows_per_day.index[rows_per_day > 1]
    assert len(multi) > 20
    np.testing.assert_allclose(ours.loc[single, "monetary_value_holdout"],
                               ref.loc[single, "monetary_value_holdout"], rtol=1e-12)
    per_day = hold.groupby(["customer_id", "date"])["amount"].sum().groupby("customer_id").mean()
    np.testing.assert_allclose(ours.loc[multi, "monetary_value_holdout"], per_day.loc[multi], rtol=1e-12)
    assert not np.allclose(ours.loc[multi, "monetary_value_holdout"], ref.loc[multi, "monetary_value_holdout"])


@pytest.mark.slow
@pytest.mark.parametrize("freq, mult", FREQS)
@pytest.mark.parametrize("cal_end", [CAL_END, "2024-10-02"])   # a Monday and a Wednesday
def test_grocery_calibration_and_holdout_equals_reference(grocery, freq, mult, cal_end):
    kwargs = {"calibration_end": cal_end, "observation_end": OBS_END}
    ours = calibration_and_holdout(grocery, freq=freq, multiplier=mult, **kwargs)
    ref, n_new = reference_holdout(grocery, freq=freq, multiplier=mult, **kwargs)
    assert_same_holdout(ours, ref, grocery["amount"].abs().max())
    assert n_new > 50 and ours["frequency_holdout"].max() >= (40 if freq == "D" else 8)
    # purchases after the observation end change nothing
    later = grocery[grocery["timestamp"] >= pd.Timestamp(OBS_END).to_period(freq).end_time]
    assert len(later) > 100
    trimmed = grocery.drop(later.index)
    pd.testing.assert_frame_equal(calibration_and_holdout(trimmed, freq=freq, multiplier=mult, **kwargs), ours)


def test_new_in_holdout_on_whole_days(grocery):
    """With dates only (no time of day) everybody is either in the backtest or new in the holdout."""
    days = grocery.assign(timestamp=grocery["timestamp"].dt.normalize())
    kwargs = {"calibration_end": CAL_END, "observation_end": OBS_END}
    _, n_new = reference_holdout(days, freq="D", multiplier=1, **kwargs)
    assert n_new > 50
    assert new_in_holdout(days, **kwargs) == n_new
    everyone = summarise(days, observation_end=OBS_END)
    assert len(calibration_and_holdout(days, **kwargs)) + n_new == len(everyone)


def test_new_in_holdout_consistent_with_calibration_and_holdout(grocery):
    kwargs = {"calibration_end": CAL_END, "observation_end": OBS_END}
    _, n_new = reference_holdout(grocery, freq="D", multiplier=1, **kwargs)
    backtest = calibration_and_holdout(grocery, **kwargs)
    everyone = summarise(grocery, observation_end=OBS_END)
    assert len(backtest) + n_new == len(everyone)
    assert new_in_holdout(grocery, **kwargs) == n_new
