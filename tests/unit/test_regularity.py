"""The Wheat–Morrison regularity estimate and the Erlang-k maximum-likelihood fit, against BTYDplus on CDNOW
and against known Erlang shapes; the histogram of gaps over each member's mean gap."""
import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import gammaln

from retention_lib.data.sources.cdnow import load_cdnow_transactions
from retention_lib.models.regularity import MIN_DAYS, erlang_k, gap_histogram, last_two_gaps, wheat_morrison


def purchase_days(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(d=frame["date"].dt.normalize())[["customer_id", "d"]].drop_duplicates()


def erlang_days(k: int, members: int = 4000, mean_gap: float = 150.0, seed: int = 3) -> pd.DataFrame:
    """Six purchase days a member, Erlang-k gaps (whole days; a long mean gap keeps rounding small)."""
    rng = np.random.default_rng(seed)
    gaps = np.maximum(np.rint(rng.gamma(k, mean_gap / k, (members, 6))), 1)
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.cumsum(gaps, axis=1).ravel(), unit="D")
    return pd.DataFrame({"customer_id": np.repeat([f"C{i:05d}" for i in range(members)], 6), "d": day})


def test_cdnow_calibration_is_irregular_as_btydplus_finds():
    """BTYDplus 1.2.0, estimateRegularity(method = "wheat") on the calibration period to 1997-09-30: 1.05."""
    tx = load_cdnow_transactions()
    found = wheat_morrison(purchase_days(tx[tx["date"] <= "1997-09-30"]))
    assert found.k == pytest.approx(1.05, abs=0.01)
    assert found.members == 507   # members with three purchase days or more in the calibration period


@pytest.mark.parametrize("k", [1, 2, 4])
def test_a_known_erlang_shape_is_recovered(k):
    assert wheat_morrison(erlang_days(k)).k == pytest.approx(k, rel=0.1)


def test_only_the_last_two_gaps_of_members_with_three_days_count_and_order_does_not_matter():
    days = pd.DataFrame({"customer_id": ["A"] * 4 + ["B"] * 2 + ["C"] * 3,
                         "d": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-15", "2024-01-25",
                                              "2024-02-01", "2024-02-09", "2024-03-01", "2024-03-03", "2024-03-10"])})
    gaps = last_two_gaps(days)
    assert MIN_DAYS == 3 and list(gaps.index) == ["A", "C"]          # B has one gap only
    assert gaps.loc["A"].tolist() == [4.0, 10.0] and gaps.loc["C"].tolist() == [2.0, 7.0]
    shuffled = days.sample(frac=1.0, random_state=1)
    assert wheat_morrison(shuffled) == wheat_morrison(days)
    assert np.isnan(wheat_morrison(days[days["customer_id"] == "A"]).k)   # one member says nothing


# --------------------------------------------------------------------------- Erlang-k by maximum likelihood
def mixed_erlang_days(k: int, members: int = 4000, r: float = 4.0, mean_gap: float = 100.0, seed: int = 7,
                      max_gaps: int = 8) -> tuple[pd.DataFrame, float]:
    """Members with 1 to `max_gaps` Erlang-k gaps (whole days), each at their own rate, the rates
    Gamma(r, alpha) across members with alpha set for a mean gap of `mean_gap` days; and alpha."""
    rng = np.random.default_rng(seed)
    alpha = mean_gap * (r - 1) / k     # mean gap k E[1/lambda] = k alpha / (r - 1)
    rate = rng.gamma(r, 1 / alpha, members)
    days = rng.integers(2, max_gaps + 2, members)          # purchase days: one more than gaps
    member = np.repeat(np.arange(members), days)
    gaps = np.maximum(np.rint(rng.gamma(k, 1 / rate[member])), 1)
    gaps[np.r_[0, np.cumsum(days)[:-1]]] = 0               # each member's first day
    day = pd.Series(gaps).groupby(member).cumsum().to_numpy()
    frame = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in member],
                          "d": pd.Timestamp("2020-01-01") + pd.to_timedelta(day, unit="D")})
    return frame, alpha


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_erlang_k_recovers_the_shape_and_the_members_rate_distribution(k):
    days, alpha = mixed_erlang_days(k, members=6000)   # r's standard error about 4%
    fit = erlang_k(days)
    assert fit.k == k
    assert list(fit.log_likelihood_by_k) == list(range(1, k + 2))   # stopped at the first worse k
    assert fit.r == pytest.approx(4.0, rel=0.1) and fit.alpha == pytest.approx(alpha, rel=0.1)
    assert fit.members == 6000 and fit.gaps == days["customer_id"].duplicated().sum()


def test_at_k_1_the_likelihood_is_the_exponential_gamma_one_at_its_maximum():
    days, _ = mixed_erlang_days(1, members=300, seed=11, max_gaps=3)
    fit = erlang_k(days)
    assert fit.k == 1
    gaps = days.groupby("customer_id")["d"].apply(lambda d: d.diff().dt.days.dropna().to_numpy())

    def direct(r: float, alpha: float) -> float:
        """Exponential gaps at a Gamma(r, alpha) rate: Lomax for one gap (scipy.stats), the rate integrated
        out numerically for more (the densities written out: scipy.stats per point would take seconds)."""
        def member(t) -> float:
            if len(t) == 1:
                return float(stats.lomax.logpdf(t[0], r, scale=alpha))
            def joint(rate):   # the gaps' exponential densities times the rate's gamma density
                return np.exp(len(t) * np.log(rate) - rate * t.sum()
                              + r * np.log(alpha) + (r - 1) * np.log(rate) - alpha * rate - gammaln(r))
            return float(np.log(integrate.quad(joint, 0, np.inf, epsabs=0, epsrel=1e-10, limit=200)[0]))
        return sum(member(t) for t in gaps)

    assert fit.log_likelihood_by_k[1] == pytest.approx(direct(fit.r, fit.alpha), rel=1e-8)
    for r, alpha in ((fit.r * 1.05, fit.alpha), (fit.r, fit.alpha * 1.05), (fit.r / 1.05, fit.alpha / 1.05)):
        assert direct(r, alpha) < fit.log_likelihood_by_k[1]


def test_cdnow_calibration_has_exponential_timing_by_maximum_likelihood():
    """Wheat–Morrison says 1.05 there (BTYDplus); the likelihood falls from k = 1 to k = 2."""
    tx = load_cdnow_transactions()
    fit = erlang_k(purchase_days(tx[tx["date"] <= "1997-09-30"]))
    assert fit.k == 1 and list(fit.log_likelihood_by_k) == [1, 2]
    assert fit.log_likelihood_by_k[2] < fit.log_likelihood_by_k[1] - 100
    assert fit.members == 946 and fit.gaps == 2457   # members with two purchase days or more, their gaps


def test_erlang_k_is_the_same_in_any_row_order_and_says_so_when_it_has_too_few_members():
    days, _ = mixed_erlang_days(2, members=500)
    assert erlang_k(days.sample(frac=1.0, random_state=3)) == erlang_k(days)
    one = erlang_k(days[days["customer_id"] == "C00000"])
    assert one.k is None and one.members == 1 and np.isnan(one.r) and one.log_likelihood_by_k == {}
    single_days = days.drop_duplicates("customer_id")   # one purchase day each: no gap at all
    assert erlang_k(single_days).members == 0 and erlang_k(single_days).k is None


# --------------------------------------------------------------------------- the chart's histogram
def test_gap_histogram_bins_each_gap_over_its_members_mean_exactly():
    days = pd.DataFrame({"customer_id": ["A"] * 3 + ["B"] * 2 + ["C"] * 3 + ["D"] * 4 + ["E"] * 5,
                         "d": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-15",            # 4, 10 over 7
                                              "2024-02-01", "2024-02-09",                          # one gap: left out
                                              "2024-03-01", "2024-03-02", "2024-03-05",            # 1, 3 over 2
                                              "2024-04-01", "2024-04-02", "2024-04-03", "2024-04-13",  # 1, 1, 10 over 4
                                              "2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04",
                                              "2024-06-03"])})                                    # 1, 1, 1, 30
    hist = gap_histogram(days)
    expected = np.zeros(30, dtype="int64")
    for b in (5, 14, 5, 15, 2, 2, 25, 1, 1, 1):   # 4/7, 10/7; 0.5 and 1.5 open their bins; 1/4, 10/4; 1/8.25
        expected[b] += 1
    assert np.array_equal(hist.counts, expected) and hist.beyond == 1   # 30/8.25 is over 3
    assert hist.total == 11 and hist.members == 4 and hist.gaps_by_n.to_dict() == {2: 4, 3: 3, 4: 4}
    assert np.allclose(hist.edges, np.arange(31) / 10)
    shuffled = gap_histogram(days.sample(frac=1.0, random_state=2))
    assert np.array_equal(shuffled.counts, hist.counts) and shuffled.gaps_by_n.equals(hist.gaps_by_n)


def test_gap_histogram_follows_the_erlang_shape_of_the_gaps():
    days, _ = mixed_erlang_days(2, members=3000, seed=5)
    hist = gap_histogram(days)
    assert np.abs(hist.shares() - hist.expected_shares(2)).max() < 0.01
    assert np.abs(hist.shares() - hist.expected_shares(1)).sum() > 0.2
    # the density is the expected shares per unit of the ratio
    for i in (0, 9, 20):
        lo, hi = hist.edges[i], hist.edges[i + 1]
        assert integrate.quad(lambda x: hist.density(2, [x])[0], lo, hi)[0] == pytest.approx(
            hist.expected_shares(2)[i], rel=1e-6)
