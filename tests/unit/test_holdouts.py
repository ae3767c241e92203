"""Every contact list keeps a random holdout (analytics/holdouts): of the stated share, per home store,
reproducible, never in the file; and next month's measure of the list recovers the true effect of a
contact that the simulator was told (data/sources/demo_people.contact_effect)."""
import numpy as np
import pandas as pd
import pytest

from retention_lib.analytics import actions, holdouts, lifecycle
from retention_lib.data import aggregate
from retention_lib.data.sources.demo import simulate_store
from retention_lib.data.sources.demo_people import contact_effect

MONTH = pd.Period("2025-06", "M")
RULE = lifecycle.Rule.of(35, 180)


@pytest.fixture(scope="module")
def store():
    """A simulated store's baskets and its members' lifecycle states at MONTH's end."""
    sim = simulate_store(seed=7, n_customers=3000, start="2024-07-01", months=13, campaigns=False)
    baskets = aggregate.baskets_from_lines(sim.tables["transactions"])
    first = pd.Period(baskets["timestamp"].min(), "M")
    members = lifecycle.members_at(baskets, first, MONTH, RULE)
    scores = members.assign(p_alive=np.nan, clv_if_alive=1.0)
    customers = sim.tables["customers"].assign(marketing_consent=True)
    return baskets, scores, customers


def _winback(scores, customers, holdout, budget=10_000):
    return actions.winback(scores, customers, pd.DataFrame(index=scores.index), budget, holdout)


def test_the_holdout_is_random_of_the_stated_share_per_store_reproducible_and_not_in_the_file(store):
    _, scores, customers = store
    h = holdouts.Holdout.for_list("demo", MONTH, "winback", 0.10, 100)
    a, b = _winback(scores, customers, h), _winback(scores, customers, h)
    eligible = a.counts["eligible"]
    assert eligible >= 300
    held = set(a.held_out["customer_id"])
    listed = set(a.rows["customer_id"])
    assert not held & listed and len(held) + len(listed) == eligible   # nobody lost, nobody twice
    assert abs(len(held) - 0.10 * eligible) <= a.held_out["home_store"].nunique()   # rounding per store
    for store_id, n in a.held_out["home_store"].value_counts().items():
        in_store = (a.rows["home_store"] == store_id).sum() + n
        assert abs(n - 0.10 * in_store) <= 0.5 + 1e-9
    assert list(b.held_out["customer_id"]) == list(a.held_out["customer_id"])   # same run, same split
    other = _winback(scores, customers, holdouts.Holdout.for_list("demo", MONTH + 1, "winback", 0.10, 100))
    assert set(other.held_out["customer_id"]) != held   # another month, another draw
    # random, not the list's head or tail: the held-out members' ranks spread over the list
    ranks = pd.Series(range(eligible), index=pd.concat([a.rows["customer_id"], a.held_out["customer_id"]]))
    order = _winback(scores, customers, holdouts.Holdout(0.0, 100, 0)).rows.set_index("customer_id")["rank"]
    held_ranks = order.reindex(list(held))
    assert held_ranks.min() < 0.2 * eligible and held_ranks.max() > 0.8 * eligible
    assert a.counts["held_out"] == len(held) and a.counts["listed"] == len(listed)
    assert len(ranks) == eligible


def test_a_list_below_the_minimum_keeps_no_holdout_and_says_so(store):
    _, scores, customers = store
    small = _winback(scores, customers, holdouts.Holdout.for_list("demo", MONTH, "winback", 0.10, 100), budget=60)
    assert small.counts["listed"] == 60 and small.counts["held_out"] == 0
    assert small.counts["holdout_reason"] == "too_few" and small.held_out.empty


def test_the_measured_uplift_covers_the_simulated_truth_across_seeds(store):
    """A contact that brings back a stated share of members who would not have come: the list's
    Newcombe interval covers the true mean effect in about 95% of draws (a holdout and a response each)."""
    baskets, scores, customers = store
    covered, widths = [], []
    for seed in range(30):
        h = holdouts.Holdout.for_list("demo", MONTH, f"winback-{seed}", 0.25, 100)
        lst = _winback(scores, customers, h)
        book = pd.concat([holdouts.ledger_rows("winback", MONTH, lst.rows, lst.held_out)])
        sent = holdouts.sent_at(MONTH)
        after, truth = contact_effect(baskets, lst.rows["customer_id"], list(book["customer_id"]), sent,
                                      window_weeks=4, response=0.15, seed=seed)
        result = holdouts.measured(book, after, sent + pd.Timedelta(weeks=5), window_weeks=4)
        chain = result[result["store"] == holdouts.TOTAL].iloc[0]
        assert chain["contacted"] == len(lst.rows) and chain["held_out"] == len(lst.held_out)
        covered.append(chain["low"] <= truth <= chain["high"])
        widths.append(chain["high"] - chain["low"])
    assert np.mean(covered) >= 0.85
    assert 0.02 < np.median(widths) < 0.25   # an interval that says something


def test_a_list_whose_window_has_not_ended_is_not_measured(store):
    baskets, scores, customers = store
    lst = _winback(scores, customers, holdouts.Holdout.for_list("demo", MONTH, "winback", 0.10, 100))
    book = holdouts.ledger_rows("winback", MONTH, lst.rows, lst.held_out)
    assert holdouts.measured(book, baskets, holdouts.sent_at(MONTH) + pd.Timedelta(weeks=3), 4).empty
