"""The demo store: deterministic, canonical, and faithful to the truth it reports."""
import contextlib
import io
import json
import time

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

from retention_lib.core import schema
from retention_lib.data.sources.demo import simulate_store, write_demo

SMALL = dict(n_customers=300, months=14)


@pytest.fixture(scope="module")
def small():
    return simulate_store(seed=11, **SMALL)


@pytest.fixture(scope="module")
def default():
    return simulate_store()


@pytest.fixture(scope="module")
def large():
    # Recovery tests need more members than the default store: at 5,000 the BG/NBD a and b
    # have standard errors of 5-8% and Gamma-Gamma p and gamma about 10%.
    return simulate_store(seed=7, n_customers=20000)


def quiet(fit, *args, **kwargs):
    """lifetimes prints the optimiser's state when it fails; keep test output clean."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fit(*args, **kwargs)


def baskets(store):
    tx = store.tables["transactions"]
    return tx.groupby("basket_id").agg(
        customer_id=("customer_id", "first"), timestamp=("timestamp", "first"),
        store_id=("store_id", "first"), amount=("amount", "sum"),
        coupon=("coupon_discount", "sum"),
    )


def winback(store):
    camp = store.tables["campaigns"]
    return camp[camp.type == "winback_coupon"]


# --- determinism ------------------------------------------------------------------------

def test_same_seed_gives_identical_tables_and_truth(small):
    again = simulate_store(seed=11, **SMALL)
    for name, df in small.tables.items():
        pd.testing.assert_frame_equal(df, again.tables[name])
    pd.testing.assert_frame_equal(small.truth.customers, again.truth.customers)
    assert small.truth.to_dict() == again.truth.to_dict()


def test_different_seed_gives_different_data(small):
    other = simulate_store(seed=12, **SMALL)
    assert not small.tables["transactions"].equals(other.tables["transactions"])
    assert not np.allclose(small.truth.customers.lam, other.truth.customers.lam)


def test_small_store_is_fast():
    t = time.perf_counter()
    simulate_store(seed=3, **SMALL)
    assert time.perf_counter() - t < 2


# --- canonical tables -------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("which", ["small", "default"])
def test_tables_follow_schema(which, request):
    store = request.getfixturevalue(which)
    end = store.truth.end
    assert set(store.tables) == set(schema.TABLES)
    for name, df in store.tables.items():
        table = schema.TABLES[name]
        assert set(table.required) <= set(df.columns), name
        assert set(df.columns) <= set(table.names), name
        assert len(df) > 0, name
        for col in (table.column(c) for c in df.columns):
            values = df[col.name]
            if not col.nullable:
                assert values.notna().all(), (name, col.name)
            if col.kind in (schema.MONEY, schema.NUMBER, schema.INTEGER):
                assert pd.api.types.is_numeric_dtype(values), (name, col.name)
            if col.kind in (schema.TIMESTAMP, schema.DATE):
                assert pd.api.types.is_datetime64_dtype(values), (name, col.name)
            if col.kind == schema.BOOL:
                assert pd.api.types.is_bool_dtype(values), (name, col.name)
            if col.low is not None:
                assert (values.dropna() >= col.low).all(), (name, col.name)
            if col.high is not None:
                assert (values.dropna() <= col.high).all(), (name, col.name)
            if col.choices:
                assert values.dropna().isin(col.choices).all(), (name, col.name)
        for col in table.time_columns:
            # `end` is the last day, inclusive: any time on that day is inside the window.
            assert (df[col].dropna().dt.normalize() <= end).all(), (name, col)
            assert (df[col].dropna() >= store.truth.start).all(), (name, col)
        if table.key:
            assert not df.duplicated(list(table.key)).any(), name


def test_basket_lines_are_consistent(default):
    tx = default.tables["transactions"]
    per_basket = tx.assign(is_return=tx.amount < 0, who=tx.customer_id.fillna("-")).groupby(
        "basket_id").agg(n=("amount", "size"), net=("amount", "sum"), returns=("is_return", "sum"),
                         stamps=("timestamp", "nunique"), stores=("store_id", "nunique"),
                         customers=("who", "nunique"))
    assert per_basket.n.between(1, 10).all()
    assert (per_basket.net.round(2) > 0).all()  # returns never exceed what was bought
    assert (per_basket.returns <= 1).all()
    assert 0.01 < (per_basket.returns > 0).mean() < 0.03
    assert (per_basket[["stamps", "stores", "customers"]] == 1).all().all()
    assert np.allclose(tx.amount, tx.amount.round(2))
    assert (tx.quantity[tx.amount < 0] < 0).all()
    assert tx.category.isin(schema.CATEGORIES).all()
    assert tx.product_id.str.fullmatch(r"P\d{5}").all()
    assert (tx.discount >= 0).all() and (tx.coupon_discount >= 0).all()


def test_timestamps_inside_opening_hours_and_busier_at_weekends(default):
    b = baskets(default)
    hours = b.timestamp.dt.hour
    assert hours.between(7, 21).all()
    by_day = b.timestamp.dt.day_of_week.value_counts()
    assert by_day[[5, 6]].mean() > by_day[[0, 1, 2, 3]].mean() * 1.1
    assert hours.isin([17, 18, 19]).mean() > hours.isin([13, 14, 15]).mean()


def test_members_and_non_members(default):
    b = baskets(default)
    share = b.customer_id.isna().mean()
    assert abs(share - 0.25) < 0.02
    customers = default.tables["customers"]
    home = b.dropna(subset=["customer_id"]).join(
        customers.set_index("customer_id").home_store_id, on="customer_id")
    assert (home.store_id == home.home_store_id).mean() > 0.85
    assert customers.customer_id.str.fullmatch(r"C\d{6}").all()
    assert set(b.customer_id.dropna()) <= set(customers.customer_id)
    # The first purchase is the join: nobody shops before joining, everyone shops on that day.
    first = b.dropna(subset=["customer_id"]).groupby("customer_id").timestamp.min().dt.normalize()
    joined = customers.set_index("customer_id").join_date
    assert (first == joined.reindex(first.index)).all()
    assert first.index.size == len(customers)


def test_customers_carry_fake_personal_data(default):
    c = default.tables["customers"]
    assert c.phone.str.fullmatch(r"1[3-9]\d{9}").all()
    chinese = c.name.str.contains(r"[\u4e00-\u9fff]")
    assert 0.7 < chinese.mean() < 0.95  # mostly Chinese names, some English
    assert c.name[~chinese].str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+").all()
    assert 0.7 < c.marketing_consent.mean() < 0.8
    assert set(c.tier) == {"standard", "silver", "gold"}
    assert set(c.household_size) <= {"1", "2", "3", "4", "5+"}
    age = (default.truth.end - c.birthday).dt.days / 365.25
    assert (age >= 18).all()


def test_write_demo_round_trips(tmp_path):
    store = write_demo(tmp_path, seed=5, **SMALL)
    for name, df in store.tables.items():
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(back, df, check_dtype=False)
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert truth["bgnbd"] == store.truth.bgnbd
    assert len(truth["customers"]) == len(store.tables["customers"])


# --- the truth --------------------------------------------------------------------------

def test_truth_is_exposed_and_json_serialisable(small):
    truth = small.truth
    d = json.loads(json.dumps(truth.to_dict()))
    assert set(d["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(d["gamma_gamma"]) == {"p", "q", "gamma"}
    assert set(truth.dimension_weights) == set(schema.DIMENSIONS)
    assert truth.strongest_dimension == "dim_freshness"
    assert max(truth.dimension_weights, key=truth.dimension_weights.get) == "dim_freshness"
    assert truth.end == pd.Timestamp("2025-02-28") and truth.start == pd.Timestamp("2024-01-01")
    tc = truth.customers
    assert list(tc.customer_id) == list(small.tables["customers"].customer_id)
    # Dropped-out members have a dropout time and it is their last purchase.
    assert (tc.dropout_at.notna() == ~tc.alive_at_end).all()
    last = baskets(small).groupby("customer_id").timestamp.max()
    gone = tc[~tc.alive_at_end].set_index("customer_id")
    assert (last.reindex(gone.index) == gone.dropout_at).all()
    for c in d["campaigns"].values():
        assert {"type", "has_control", "window_weeks", "true_uplift_reactivation",
                "true_uplift_visits", "true_uplift_spend", "n_treatment", "n_control"} <= set(c)


def test_default_calendar_is_fixed(default):
    assert default.truth.start == pd.Timestamp("2024-01-01")
    assert default.truth.end == pd.Timestamp("2025-12-31")


# --- models recover the truth -----------------------------------------------------------

@pytest.mark.slow
def test_bgnbd_recovers_true_parameters(large):
    # Fit before the win-back: revived treated members are the one allowed BG/NBD deviation.
    cut = winback(large).sent_at.iloc[0].normalize()
    last_day = cut - pd.Timedelta(days=1)
    b = baskets(large)
    b = b[b.customer_id.notna() & (b.timestamp < cut)]
    day = b.timestamp.dt.normalize().groupby(b.customer_id)
    summary = pd.DataFrame({
        "frequency": day.nunique() - 1,
        "recency": (day.max() - day.min()).dt.days / 7,
        "T": (last_day - day.min()).dt.days / 7,
    })
    rows = summary.value_counts().rename("weight").reset_index()  # fit time ∝ distinct rows
    bgf = quiet(BetaGeoFitter().fit, rows.frequency, rows.recency, rows["T"], weights=rows.weight)
    for name, true in large.truth.bgnbd.items():
        assert bgf.params_[name] == pytest.approx(true, rel=0.10), name


@pytest.mark.slow
def test_gamma_gamma_recovers_true_parameters(large):
    b = baskets(large).dropna(subset=["customer_id"]).sort_values("timestamp")
    repeat = b[b.groupby("customer_id").cumcount() > 0]  # lifetimes leaves out the first
    per = repeat.groupby("customer_id").amount.agg(["size", "mean"])
    ggf = quiet(GammaGammaFitter().fit, per["size"], per["mean"])
    fit = {"p": ggf.params_["p"], "q": ggf.params_["q"], "gamma": ggf.params_["v"]}  # v is γ
    truth = large.truth.gamma_gamma
    # p and gamma are only weakly identified from per-customer means (SE ≈ 5% here): 15%.
    for name in ("p", "gamma"):
        assert fit[name] == pytest.approx(truth[name], rel=0.15), name
    assert fit["q"] == pytest.approx(truth["q"], rel=0.10)
    implied = fit["p"] * fit["gamma"] / (fit["q"] - 1)
    assert implied == pytest.approx(truth["p"] * truth["gamma"] / (truth["q"] - 1), rel=0.05)


@pytest.mark.slow
def test_each_basket_is_a_gamma_draw_with_the_true_shape(large):
    # Profile likelihood of one Gamma shape with a rate per customer; members with 20+
    # baskets keep the small-sample bias of the profiled rates to a few percent.
    b = baskets(large).dropna(subset=["customer_id"])
    b = b[b.groupby("customer_id").amount.transform("size") >= 20]
    g = b.assign(log=np.log(b.amount)).groupby("customer_id")
    n, mean, log_sum = g.amount.size(), g.amount.mean(), g.log.sum()

    def nll(p):
        return -(n * (p * np.log(p / mean) - gammaln(p) - p) + (p - 1) * log_sum).sum()

    p_hat = minimize_scalar(nll, bounds=(0.1, 50), method="bounded").x
    assert p_hat == pytest.approx(large.truth.gamma_gamma["p"], rel=0.10)


# --- satisfaction, complaints and churn drivers -----------------------------------------

def test_satisfaction_is_linked_to_churn(default):
    tc = default.truth.customers
    by_state = tc.groupby("alive_at_end").satisfaction.mean()
    assert by_state[True] - by_state[False] > 0.5  # latent satisfaction is N(0, 1)
    s = default.tables["surveys"].merge(tc[["customer_id", "alive_at_end"]], on="customer_id")
    nps = s.groupby("alive_at_end").nps.mean()
    assert nps[True] - nps[False] > 0.5
    def net_promoter(x):
        return (x >= 9).mean() - (x <= 6).mean()

    assert net_promoter(s.nps[s.alive_at_end]) > net_promoter(s.nps[~s.alive_at_end]) + 0.15


@pytest.mark.slow
def test_surveys_only_while_alive_and_from_active_members(default):
    s = default.tables["surveys"]
    tc = default.truth.customers.set_index("customer_id")
    named = s.dropna(subset=["customer_id"])
    dropout = tc.dropout_at.reindex(named.customer_id).to_numpy()
    assert ((named.submitted_at.to_numpy() < dropout) | pd.isna(dropout)).all()
    # Each response follows a purchase by that member on the same day.
    b = baskets(default).dropna(subset=["customer_id"])
    visits = set(zip(b.customer_id, b.timestamp.dt.normalize()))
    assert all(k in visits for k in zip(named.customer_id, named.submitted_at.dt.normalize()))
    assert 0.05 < s.customer_id.isna().mean() < 0.25  # some anonymous responses
    months = b.timestamp.dt.to_period("M")
    active = b.groupby(months).customer_id.nunique()
    answered = named.groupby(named.submitted_at.dt.to_period("M")).customer_id.nunique()
    assert 0.05 <= (answered.sum() / active.sum()) <= 0.10
    dims = s[list(schema.DIMENSIONS)]
    assert 0 < dims.isna().mean().mean() < 0.1
    assert s.channel.isin(["wechat", "sms", "in-store", "app"]).all()
    comments = s.comment.dropna()
    assert comments.str.contains(r"[\u4e00-\u9fff]").any() and comments.str.contains("[a-z]").any()
    assert s.comment.isna().any()


def test_driver_regression_finds_the_strongest_dimension(default):
    s = default.tables["surveys"]
    dims = list(schema.DIMENSIONS)
    d = s[dims + ["nps"]].dropna().astype(float)
    X = np.column_stack([np.ones(len(d)), d[dims].to_numpy()])
    coef = np.linalg.lstsq(X, d.nps.to_numpy(), rcond=None)[0][1:]
    assert dims[int(np.argmax(coef))] == default.truth.strongest_dimension


def test_churn_drivers_visible_in_baskets(default):
    tc = default.truth.customers.set_index("customer_id")
    tx = default.tables["transactions"].dropna(subset=["customer_id"])
    fresh = (tx.amount.where(tx.category == "fresh produce", 0).groupby(tx.customer_id).sum()
             / tx.amount.groupby(tx.customer_id).sum())
    b = baskets(default).dropna(subset=["customer_id"])
    coupon_rate = (b.coupon > 0).groupby(b.customer_id).mean()
    alive = tc.alive_at_end
    assert fresh[alive].mean() - fresh[~alive].mean() > 0.05
    assert coupon_rate[~alive].mean() - coupon_rate[alive].mean() > 0.03
    # and in the truth they came from: higher dropout probability, less fresh, more coupons
    assert tc.p_dropout.corr(tc.fresh_share, method="spearman") < -0.3
    assert tc.p_dropout.corr(tc.coupon_affinity, method="spearman") > 0.3


def test_complaints(default):
    c = default.tables["complaints"]
    tc = default.truth.customers.set_index("customer_id")
    hours = (c.closed_at - c.opened_at).dt.total_seconds() / 3600
    assert 12 < hours.median() < 48
    assert hours.quantile(0.95) > 5 * hours.median()  # long tail
    assert c.closed_at.isna().any() and not c.resolved[c.closed_at.isna()].any()
    assert c.customer_id.notna().mean() > 0.8
    # Dissatisfied members complain more often per visit.
    b = baskets(default).dropna(subset=["customer_id"])
    visits = b.groupby("customer_id").size()
    complaints = c.customer_id.value_counts().reindex(visits.index, fill_value=0)
    low = tc.satisfaction.reindex(visits.index) < 0
    assert (complaints[low].sum() / visits[low].sum()
            > 1.5 * complaints[~low].sum() / visits[~low].sum())


# --- campaigns --------------------------------------------------------------------------

def test_winback_is_randomised_and_its_uplift_is_recoverable(default):
    wb = winback(default)
    truth = default.truth.campaigns[wb.campaign_id.iloc[0]]
    assert truth["has_control"] and truth["window_weeks"] == 8
    sent = wb.sent_at.iloc[0]
    assert pd.Timedelta(days=90) <= default.truth.end - sent <= pd.Timedelta(days=125)
    n = wb.group.value_counts()
    assert abs(n["treatment"] - n["control"]) <= 1
    assert (n["treatment"], n["control"]) == (truth["n_treatment"], truth["n_control"])

    b = baskets(default).dropna(subset=["customer_id"])
    # The list is drawn from data up to the day before sending.
    before = b[b.timestamp < sent.normalize()].groupby("customer_id").timestamp.agg(["size", "max"])
    arms = wb.set_index("customer_id").join(before)
    lapse = (sent.normalize() - arms["max"].dt.normalize()).dt.days
    assert (lapse > 30).all()  # targeted: no purchase in the previous 30 days
    # Balance on pre-treatment behaviour: standardised mean differences are small.
    for x in (lapse, arms["size"]):
        g = x.groupby(arms.group)
        assert abs(g.mean().diff().iloc[-1]) / x.std() < 0.1

    window = b[(b.timestamp >= sent) & (b.timestamp < sent + pd.Timedelta(weeks=8))]
    came_back = arms.index.isin(window.customer_id)
    react = pd.Series(came_back, index=arms.index).groupby(arms.group).agg(["mean", "size"])
    diff = react.loc["treatment", "mean"] - react.loc["control", "mean"]
    se = np.sqrt((react["mean"] * (1 - react["mean"]) / react["size"]).sum())
    assert 0.08 < truth["true_uplift_reactivation"] < 0.2
    assert truth["true_uplift_visits"] > 0 and truth["true_uplift_spend"] > 0
    assert abs(diff - truth["true_uplift_reactivation"]) < 3 * se
    assert diff > 2 * se  # an interval can detect the effect

    redeemed = wb.dropna(subset=["redeemed_at"])
    assert (redeemed.group == "treatment").all() and len(redeemed) > 0
    assert (redeemed.redeemed_at > sent).all()
    assert (redeemed.redeemed_at < sent + pd.Timedelta(weeks=8)).all()


def test_holiday_flyer_has_no_control_group(default):
    camp = default.tables["campaigns"]
    flyer = camp[camp.type == "holiday_flyer"]
    assert len(flyer) > 0 and (flyer.group == "treatment").all()
    truth = default.truth.campaigns[flyer.campaign_id.iloc[0]]
    assert not truth["has_control"] and truth["n_control"] == 0
    consent = default.tables["customers"].set_index("customer_id").marketing_consent
    assert consent.reindex(camp.customer_id).all()  # consent is respected
