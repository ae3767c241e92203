"""Churn drivers: the interval statistics, the compared groups, and the simulator's truth."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import write_demo_config
from retention_lib.analytics import lapse_drivers, kpis
from retention_lib.core.stats import newcombe, welch, wilson
from retention_lib.data.prepare import open_run
from retention_lib.report import text


def test_wilson_and_newcombe_match_published_values():
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    d, low, high = newcombe(56, 70, 48, 80)        # Newcombe (1998), method 10
    assert d == pytest.approx(0.2) and (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_welch_interval_matches_scipy_and_cohens_d_is_standardised():
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 2.0, 80), rng.normal(0.0, 1.0, 120)
    w = welch(a, b)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (w.lo, w.hi) == pytest.approx((ci.low, ci.high))
    pooled = np.sqrt((79 * a.var(ddof=1) + 119 * b.var(ddof=1)) / 198)
    assert w.cohens_d == pytest.approx((a.mean() - b.mean()) / pooled)
    assert w.d_lo < w.cohens_d < w.d_hi
    same = welch(np.ones(5), np.ones(5))
    assert same.difference == 0 and np.isnan(same.cohens_d)


def basket_rows(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["customer_id", "store_id", "day", "amount", "coupon_discount"])
    out["timestamp"] = pd.to_datetime(out.pop("day")) + pd.Timedelta(hours=11)
    out["date"] = out["timestamp"].dt.normalize()
    out["basket_id"] = [f"B{i}" for i in range(len(out))]
    out["gross_amount"], out["discount"] = out["amount"], 0.0
    out["is_member"], out["is_purchase"] = True, out["amount"] > 0
    return out


def test_groups_features_and_categories_on_a_hand_built_store():
    b = basket_rows([
        ("A", "S1", "2024-01-10", 100, 0), ("A", "S1", "2024-03-20", 100, 5),     # retained
        ("B", "S2", "2024-01-05", 50, 5), ("B", "S2", "2024-02-01", 50, 5),       # lapsed
        ("C", "S1", "2024-03-15", 80, 0),                                          # too recent to judge
        ("D", "S1", "2022-12-01", 80, 0),                                          # before the window
    ])
    lines = b[["customer_id", "timestamp", "amount"]].assign(category=["fresh produce", "snacks", "snacks",
                                                                       "snacks", "fresh produce", "snacks"])
    customers = pd.DataFrame({"customer_id": list("ABCD"), "join_date": pd.to_datetime(["2023-06-01"] * 4),
                              "age_band": ["25-34", "65+", None, None]})
    g = lapse_drivers.comparison_groups(b, pd.Timestamp("2024-04-01"), 30)
    assert g.lapsed.to_dict() == {"A": False, "B": True}
    assert g.window_start == pd.Timestamp("2023-04-01")          # 12 months to the end; D bought before
    num, cats = lapse_drivers.features(b, g, lines, customers)
    assert num.loc["A", "share_fresh produce"] == pytest.approx(50.0)
    assert num.loc["B", "share_fresh produce"] == pytest.approx(0.0)
    assert num.loc["B", "coupon_basket_share"] == pytest.approx(100.0)
    assert num.loc["A", "tenure_months"] == pytest.approx((pd.Timestamp("2024-03-31") - pd.Timestamp("2023-06-01")).days
                                                          / (365.25 / 12))
    assert cats.loc["B", "home_store"] == "S2" and cats.loc["A", "age_band"] == "25-34"
    assert "Share of spend: fresh produce (%)" in {text.feature_label(f) for f in num}
    cat = lapse_drivers.categorical_effects(cats, g.lapsed).set_index(["variable", "level"])
    assert cat.loc[("home_store", "S2"), "difference"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    root = tmp_path_factory.mktemp("drivers-store")
    cfg = write_demo_config(root, seed=11, n_customers=1500, months=18)
    run = open_run(cfg, "2025-06", root / "run")
    lapse = kpis.lapse_rule(run)
    return run, lapse_drivers.for_month(run, lapse.days)


@pytest.mark.slow
def test_simulated_lapsers_buy_less_fresh_produce_and_use_more_coupons(simulated):
    _, result = simulated
    n = result.numeric.set_index("feature")
    fresh, coupon = n.loc["share_fresh produce"], n.loc["coupon_basket_share"]
    assert fresh["difference"] < 0 and fresh["ci_high"] < 0 and fresh["d_high"] < 0
    assert coupon["difference"] > 0 and coupon["ci_low"] > 0 and coupon["d_low"] > 0
    assert fresh["n_lapsed"] > 100 and fresh["n_retained"] > 100


@pytest.mark.slow
def test_simulated_categories_and_headline(simulated):
    run, result = simulated
    cat = result.categorical
    assert {"home_store", "age_band", "gender"} <= set(cat["variable"])
    for _, g in cat.groupby("variable"):
        assert g["lapsed_share"].sum() == pytest.approx(1.0) and g["retained_share"].sum() == pytest.approx(1.0)
    assert (cat["ci_low"] <= cat["difference"]).all() and (cat["difference"] <= cat["ci_high"]).all()
    top = [h["feature"] for h in result.headline()]
    assert "share_fresh produce" in top[:3]
    lapse_drivers.save(run, result)
    saved = run.read("drivers")
    assert saved["lapsed"] == int(result.groups.lapsed.sum()) and "lapsed" in text.say(saved["groups"])


@pytest.mark.parametrize("category", ["absent", "all missing"])
def test_drivers_without_categories_compare_the_rest_and_say_why(tmp_path, category):
    b = basket_rows([("A", "S1", "2024-01-10", 100, 0), ("A", "S1", "2024-03-20", 100, 5),
                     ("E", "S1", "2024-01-12", 60, 0), ("E", "S2", "2024-03-25", 80, 0),
                     ("B", "S2", "2024-01-05", 50, 5), ("B", "S2", "2024-02-01", 50, 5),
                     ("F", "S2", "2024-01-08", 40, 0), ("F", "S1", "2024-02-02", 30, 0)])
    # The required transaction columns only (customer_id, basket_id, timestamp, amount, store_id).
    lines = b[["customer_id", "basket_id", "timestamp", "amount", "store_id"]]
    if category == "all missing":
        lines = lines.assign(category=pd.Series([None] * len(lines), dtype="string"))
    path = tmp_path / "transactions.parquet"
    lines.to_parquet(path, index=False)
    for source in (lines, path):
        result = lapse_drivers.drivers(b, pd.Timestamp("2024-04-01"), 30, lines=source)
        assert result.groups.lapsed.to_dict() == {"A": False, "B": True, "E": False, "F": True}
        assert not result.has_categories
        assert not result.numeric["feature"].str.startswith("share_").any()
        assert {"spend_per_basket", "coupon_basket_share"} <= set(result.numeric["feature"])
        assert result.numeric.set_index("feature").loc["spend_per_basket", "lapsed"] == pytest.approx(42.5)
        assert any("no product categories" in text.say(n) and "map a category column in the config" in text.say(n)
                   for n in result.notes)


@pytest.mark.slow
def test_simulated_drivers_have_categories(simulated):
    run, result = simulated
    assert result.has_categories and not any("categories" in text.say(n) for n in result.notes)
    lapse_drivers.save(run, result)
    assert run.read("drivers")["has_categories"] is True


# ------------------------------------------------------------------ one significance rule, chart and text
def _exact(mean: float, sd: float, n: int, seed: int) -> np.ndarray:
    """n values with exactly this mean and sample SD."""
    z = np.random.default_rng(seed).normal(size=n)
    return mean + sd * (z - z.mean()) / z.std(ddof=1)


def _disagreeing_drivers(min_group_n: int = 30) -> lapse_drivers.Drivers:
    """60 lapsed against 900 retained members, with features built so that the rules can differ:
    apples: the lapsed vary 4× as much, so Cohen's d interval excludes 0 but Welch's does not
    (the Complete Journey's meat & seafood); bread: a clear difference; cheese: a large one
    known for only 20 lapsed members; spend per basket: none."""
    n1, n2 = 60, 900
    ids = [f"L{i:03d}" for i in range(n1)] + [f"R{i:03d}" for i in range(n2)]
    lapsed = pd.Series([True] * n1 + [False] * n2, index=pd.Index(ids, name="customer_id"), name="lapsed")
    cheese = np.concatenate([_exact(40, 5, 20, 3), np.full(n1 - 20, np.nan), _exact(20, 5, n2, 4)])
    num = pd.DataFrame({
        "share_apples": np.concatenate([_exact(20.7, 4, n1, 1), _exact(20, 1, n2, 2)]),
        "share_bread": np.concatenate([_exact(15, 3, n1, 5), _exact(10, 3, n2, 6)]),
        "share_cheese": cheese,
        "spend_per_basket": np.concatenate([_exact(30, 5, n1, 7), _exact(30, 5, n2, 8)]),
    }, index=lapsed.index)
    # main store: S2 holds 50% of lapsed, 10% of retained; household size 1: all 20 known lapsed, 10% of retained
    cats = pd.DataFrame({
        "home_store": ["S2"] * 30 + ["S1"] * 30 + ["S2"] * 90 + ["S1"] * 810,
        "household_size": ["1"] * 20 + [None] * 40 + ["1"] * 90 + ["2"] * 810,
    }, index=lapsed.index)
    groups = lapse_drivers.Groups(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-06-30"), 30, lapsed)
    return lapse_drivers.Drivers(groups, lapse_drivers.numeric_effects(num, lapsed, min_group_n),
                                 lapse_drivers.categorical_effects(cats, lapsed, min_group_n), [], min_group_n), num


def _expected_significant(num: pd.DataFrame, lapsed: pd.Series, min_group_n: int) -> dict[str, bool]:
    """The rule computed apart: scipy's Welch interval excludes 0 and each group has min_group_n values."""
    out = {}
    for f in num:
        a, b = num.loc[lapsed, f].dropna(), num.loc[~lapsed, f].dropna()
        ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
        out[f] = bool((ci.low > 0 or ci.high < 0) and len(a) >= min_group_n and len(b) >= min_group_n)
    return out


def test_the_fixture_separates_the_rules():
    result, num = _disagreeing_drivers()
    n = result.numeric.set_index("feature")
    assert n.loc["share_apples", "d_low"] > 0 and n.loc["share_apples", "ci_low"] < 0   # d says yes, Welch no
    assert n.loc["share_cheese", "ci_low"] > 0 and n.loc["share_cheese", "n_lapsed"] == 20


def _chart_colours(numeric: pd.DataFrame, run=None) -> dict[str, tuple]:
    """Each feature's colour in the drivers chart, read from the drawn points (and the chart written to run)."""
    from matplotlib.colors import to_rgba
    from retention_lib.report import charts

    labelled = text.labelled(numeric, "feature", text.feature_label, into="label")
    fig = charts.drivers_chart(labelled, "2024-06", "2024-01-01 to 2024-06-30", 30)
    ax = fig.axes[0]
    points = ax.collections[1].get_facecolors()
    bars = ax.collections[0].get_colors()            # the interval bars carry the same colour as their points
    assert [tuple(c) for c in bars] == [tuple(c) for c in points]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    by_label = dict(zip(labels, (tuple(c) for c in points)))
    if run is not None:
        run.write("drivers_chart", fig)
    import matplotlib.pyplot as plt
    plt.close(fig)
    shown = {text.feature_label(f).replace(" (%)", ""): f for f in numeric["feature"]}
    return {shown[lab]: colour for lab, colour in by_label.items()}, to_rgba(charts.HIGHLIGHT)


def test_chart_colour_text_listing_and_flag_are_one_rule(tmp_path):
    from retention_lib.core.config import load_config
    from retention_lib.core.run import Run
    from retention_lib.report.sections.drivers import drivers_items

    result, num = _disagreeing_drivers()
    expected = _expected_significant(num, result.groups.lapsed, 30)
    assert expected == {"share_apples": False, "share_bread": True, "share_cheese": False, "spend_per_basket": False}
    flags = result.numeric.set_index("feature")["significant"].to_dict()
    assert flags == expected

    cfg = tmp_path / "c.yml"
    cfg.write_text("tables: {transactions: {path: t.csv}}\n", encoding="utf-8")
    run = Run(load_config(cfg), pd.Period("2024-06", "M"), tmp_path)
    lapse_drivers.save(run, result)
    colours, highlight = _chart_colours(result.numeric, run)
    assert {f: c == highlight for f, c in colours.items()} == expected

    saved = run.read("drivers")
    assert {r["feature"]: r["significant"] for r in saved["numeric"]} == expected
    html_out = " ".join(i.data for i in drivers_items(run) if isinstance(getattr(i, "data", None), str))
    listed = html_out.split("<ul>")[1].split("</ul>")[0]
    for f, sig in expected.items():
        assert (f"<li>{text.feature_label(f, 'feature_name')}:" in listed) == sig, f
    # Categories: the same rule; household size 1 rests on 20 known lapsed members and is left out.
    cat = result.categorical.set_index(["variable", "level"])
    assert cat.loc[("household_size", "1"), "ci_low"] > 0 and not cat.loc[("household_size", "1"), "significant"]
    assert cat.loc[("home_store", "S2"), "significant"]
    assert "Home store S2:" in listed and "Household size" not in listed
    # every listed comparison carries its n: 60 lapsed and 900 retained members
    assert listed.count("60 lapsed and 900 retained members") == listed.count("<li>")
    # and the variable known for only some members states its coverage, and why it is not compared
    assert "Household size: known for only 20 of 60 lapsed and 900 of 900 retained members, fewer than 30" in html_out


def test_a_comparison_under_the_minimum_is_never_significant():
    result, num = _disagreeing_drivers(min_group_n=61)      # more than the 60 lapsed members
    assert not result.numeric["significant"].any() and not result.categorical["significant"].any()
    assert result.headline() == [] and result.categorical_headline() == []
    assert _expected_significant(num, result.groups.lapsed, 61) == dict.fromkeys(num, False)
