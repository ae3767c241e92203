"""The member lifecycle: one state per member per month-end, and counts that obey their identities
(stock and flow, stores sum to the chain, at risk a subset of the active), checked against the states
written again in pandas from each member's purchase days."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_lib.analytics import lifecycle
from retention_lib.data.aggregate import baskets_from_lines
from retention_lib.data.sources.demo import simulate_store

RULE = lifecycle.Rule.of(35, 120)
TOTAL = "all"


@pytest.fixture(scope="module")
def chain():
    store = simulate_store(seed=7, n_customers=500, months=15, n_stores=3)
    b = baskets_from_lines(store.tables["transactions"])
    first = pd.Timestamp(b["date"].min()).to_period("M")
    last = (pd.Timestamp(b["date"].max()).to_period("M") - first).n
    return b, first, last, lifecycle.counts(b, first, last, RULE, TOTAL)


def states_by_pandas(b: pd.DataFrame, month: pd.Period) -> pd.Series:
    """Each member's state at the month's end from their purchase days, by the module docstring's table."""
    p = b[b["is_member"] & b["is_purchase"]]
    days = pd.to_datetime(p["date"]).dt.normalize()
    end = month.end_time.normalize()
    seen = p.assign(d=days)[days <= end].groupby("customer_id")["d"].agg(["min", "max"])
    silent = (end - seen["max"]).dt.days
    new = seen["min"] >= month.start_time
    lapse_day = seen["max"] + pd.Timedelta(days=RULE.lapse_days)
    state = np.select([new, silent < RULE.lapse_days, lapse_day >= month.start_time, silent < RULE.winback_days],
                      ["new", "active", "lapsed", "dormant"], "lost")
    return pd.Series(state, index=seen.index)


def test_stock_and_flow_hold_in_every_month_and_scope(chain):
    _, _, _, counts = chain
    c = counts
    assert (c["base_end"] == c["base_start"] + c["new"] + c["returned"] - c["lapsed"]).all()
    assert (c["lapsed_end"] == c["lapsed"]).all()           # the lapsed state is the month's lapses
    total = c[c["scope"] == TOTAL].set_index("month_idx")
    assert (total["base_start"].iloc[1:].to_numpy() == total["base_end"].iloc[:-1].to_numpy()).all()
    stores = c[c["scope"] != TOTAL].groupby("month_idx")[list(lifecycle.COUNTS)].sum()
    assert stores.equals(total[list(lifecycle.COUNTS)])      # every member in one home store a month
    assert c["lapsed"].sum() > 0 and c["returned"].sum() > 0 and c["dormant_end"].sum() > 0


def test_the_states_are_those_of_the_rule_written_again(chain):
    b, first, last, counts = chain
    for k in (last - 1, last):
        month = first + k
        members = lifecycle.members_at(b, first, month, RULE)
        expected = states_by_pandas(b, month)
        assert members["state"].sort_index().equals(expected.sort_index().rename("state"))
        row = counts[(counts["scope"] == TOTAL) & (counts["month_idx"] == k)].iloc[0]
        for state in ("active", "dormant", "lost"):
            assert row[f"{state}_end"] == (expected == state).sum()
        assert row["base_end"] == expected.isin(["new", "active"]).sum()


def test_at_risk_is_a_subset_of_the_active_and_the_identities_hold_per_store(chain):
    b, first, last, _ = chain
    members = lifecycle.members_at(b, first, first + last, RULE)
    drifting = pd.Series(np.arange(len(members)) % 3 == 0, index=members.index)   # anyone may be judged drifting
    split = lifecycle.split_at_risk(members, drifting, drifting)
    assert set(split.loc[split["state"] == "at_risk"].index) <= set(members.index[members["state"] == "active"])
    assert (split["state"] == "at_risk").sum() == (drifting & (members["state"] == "active")).sum() > 0
    table = lifecycle.state_counts(split, TOTAL)
    assert lifecycle.identities(table) == []
    assert table.drop(index=TOTAL)[list(lifecycle.STATES)].sum().equals(table.loc[TOTAL, list(lifecycle.STATES)])
    flow = lifecycle.flow(split)
    assert flow.to_numpy().sum() == len(split)
    assert flow.loc["lost", "lapsed"] == 0 and flow.loc["dormant", "lapsed"] == 0   # a lapse is from the base
    broken = table.copy()
    broken.loc[TOTAL, "returned"] += 1
    assert lifecycle.identities(broken)                     # the check can fail


def test_a_lapse_rule_shorter_than_a_month_is_refused():
    with pytest.raises(ValueError, match="at least 31"):
        lifecycle.Rule.of(28, 180)
    assert lifecycle.Rule.of(182, 180).winback_days == 182 + lifecycle.WINBACK_MIN_EXTRA_DAYS
