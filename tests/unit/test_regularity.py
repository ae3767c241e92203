"""The Wheat–Morrison regularity estimate, against BTYDplus on CDNOW and against known Erlang shapes."""
import numpy as np
import pandas as pd
import pytest

from retention_lib.data.sources.cdnow import load_cdnow_transactions
from retention_lib.models.regularity import MIN_DAYS, last_two_gaps, wheat_morrison


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
