"""Members counted per month, for the chain and per home store: active, new, the active base at
the month start (and who of it bought again), lapsed, and last month's actives who bought again.

The definitions are the KPI board's (analytics/kpis.py). Each member is counted once per month
in the chain total and once in one store, their **home store** for that month: the store with the
most purchase baskets in the `HOME_STORE_MONTHS` months to the month's end; ties go to the store
visited most recently, then to the lower store id (as text). A member without a purchase in that
window (only with a lapse rule longer than it) keeps the store of their latest purchase. Store
member counts therefore add up to the chain's, and a member who shops at two stores is lapsed, or
new, in one of them. Baskets and revenue are counted where they happened (analytics/kpis.py).

Ibis expressions over the baskets (the run's on its engine, or a frame): months are numbered from
the data's first month (`aggregate.month_index`), so "the month a day falls in" is arithmetic, not
a join; only the spans a member stays in the active base join a small table of month numbers.
"""
from __future__ import annotations

import ibis
import pandas as pd

from retention_lib.data import engine
from retention_lib.analytics.lifecycle import HOME_STORE_MONTHS, home_stores_by_month, month_numbers
from retention_lib.data.aggregate import member_purchase_days, month_index

COUNTS = ("active_customers", "new_customers", "active_base_start", "retained_active", "lapsed_customers",
          "lapsed_from_base", "previous_active", "repurchasers")
_FACTS = ("active", "new", "base", "retained", "lapsed", "lapsed_from_base", "previous_active", "repurchaser")


def member_counts(baskets, first: pd.Period, last: int, lapse_days: int, total: str) -> pd.DataFrame:
    """Per (month_idx, scope): the member counts of `COUNTS`; scope is a home store or `total`.

    `baskets` is an Ibis table; months are numbered from `first` (0) to `last`. Members lapse and
    churn on the chain's purchase days (all stores)."""
    n = int(lapse_days)
    days = member_purchase_days(baskets)
    by_member = ibis.window(group_by="customer_id", order_by="d")
    iv = days.mutate(nxt=days.d.lead().over(by_member), first_d=days.d.min().over(group_by="customer_id"))
    iv = iv.mutate(k=month_index(iv.d, first), k_next=month_index(iv.nxt, first),
                   k_first=month_index(iv.first_d, first), k_lapse=month_index(iv.d + ibis.interval(days=n), first))
    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")

    def facts(table, k, **values):
        return table.select(k=k.cast("int64"), customer_id=table.customer_id,
                            **{f: values.get(f, zero).cast("int64") for f in _FACTS})

    active = iv.filter(iv.k <= last).select("customer_id", "k", new=(iv.k_first == iv.k).cast("int64")).distinct()
    months = month_numbers(last)
    # in the base at month k's start: bought before k, lapse day not before k's start, no purchase in between
    spans = iv.join(months, (months.k > iv.k) & (months.k <= iv.k_lapse)
                    & (iv.nxt.isnull() | (months.k <= iv.k_next)))
    lapsing = iv.filter((iv.k_lapse <= last) & (iv.nxt.isnull() | (iv.k_next > iv.k_lapse)))
    after = active.select(customer_id_b="customer_id", k_b="k")
    before = active.filter(active.k + 1 <= last)
    previous = before.left_join(after, [before.customer_id == after.customer_id_b, after.k_b == before.k + 1])
    all_facts = ibis.union(
        facts(active, active.k, active=one, new=active.new),
        facts(spans, spans.k_right, base=one, retained=(spans.k_next == spans.k_right).fill_null(False).cast("int64")),
        facts(lapsing, lapsing.k_lapse, lapsed=one, lapsed_from_base=(lapsing.k < lapsing.k_lapse).cast("int64")),
        facts(previous, previous.k + 1, previous_active=one, repurchaser=previous.k_b.notnull().cast("int64")),
        distinct=False)
    homes = home_stores_by_month(baskets, first, last)
    counted = all_facts.join(homes, ["k", "customer_id"])
    sums = {name: counted[f].sum().cast("int64") for name, f in zip(COUNTS, _FACTS)}
    by_store = counted.group_by(month_idx=counted.k, scope=counted.store_id).aggregate(**sums)
    chain = counted.group_by(month_idx=counted.k).aggregate(scope=ibis.literal(total, "string"), **sums)
    con = engine.backend_of(baskets)
    out = con.to_pyarrow(ibis.union(by_store, chain.select(by_store.columns), distinct=False)).to_pandas()
    return out.sort_values(["month_idx", "scope"], ignore_index=True)
