"""The member lifecycle (会员生命周期): every member's one state at every month-end, and the month's
flows between states. Every count the report, the email and the store pages quote is read from it.

States at a month-end (a member's first purchase is on or before it), first rule that matches:

  | state | rule |
  |---|---|
  | new 新客 | first purchase in the month |
  | active 活跃 | a purchase within the lapse rule's N days |
  | at_risk 预警 | active, but the churn model (or the member's own rhythm) says they are drifting: a subset of the active, split off by the churn view (analytics/churn.py) at the report month's end and the month before |
  | lapsed 新流失 | crossed N silent days in the month (their lapse day, last purchase + N, falls in it) |
  | dormant 沉睡 | lapsed earlier, silent fewer than the win-back window's W days |
  | lost 已流失 | silent W days or more |

**The base** is every member not lapsed: new + active + at risk. The month's events: *new* (first
purchase in the month), *returned* 回流 (bought in the month, not new, and not in the base at its start),
*lapsed* (left the base in the month). The lapse rule is at least LAPSE_FLOOR_DAYS (a month), so a member
who bought in a month is in the base at its end: a lapse in the month is always a lapse from the base at
its start, and the stocks and flows hold exactly:

    base at the end = base at the start + new + returned − lapsed;   churn rate = lapsed ÷ base at the start.

The win-back window W is the setting `winback_days`, and at least N + 31 days, so a member who lapsed this
month is never dormant or lost yet.

**Home store.** Each member is counted in one store a month, their home store: the store with the most
purchase baskets in the HOME_STORE_MONTHS months to the month's end; ties go to the store visited most
recently, then to the lower store id (as text); a member without a purchase in that window keeps the store
of their latest purchase. So every state and flow sums over the stores to the chain.

**Measured from.** The first N days of data (the warm-up) cannot tell who was in the base: every figure is
left empty there. Until the data covers W days, a member seen for the first time may be a lost member
coming back, so *new* and *returned* are left empty (their sum is known: the identity still holds).

Ibis expressions over the baskets (the run's on its engine, or a frame): months are numbered from the
data's first month (`aggregate.month_index`); only per-month counts, and the states of two month-ends,
come back to pandas.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import ibis
import numpy as np
import pandas as pd
from ibis import _

from retention_lib.core.messages import Message
from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchase_days, member_purchases, month_index

HOME_STORE_MONTHS = 12
LAPSE_FLOOR_DAYS = 31          # the shortest lapse rule: a member who bought in a month is not lapsed at its end
WINBACK_MIN_EXTRA_DAYS = 31    # the win-back window is at least N + this
STATES: tuple[str, ...] = ("new", "active", "at_risk", "lapsed", "dormant", "lost")
BASE_STATES: tuple[str, ...] = ("new", "active", "at_risk")
WINBACK_STATES: tuple[str, ...] = ("lapsed", "dormant")
EVENTS: tuple[str, ...] = ("new", "returned", "lapsed")
NOT_YET = "not_yet"            # the flow table's row of members who had not bought yet last month
# Per (month, scope) counts: members who shopped, the events, the base at both ends, the stocks outside it,
# and last month's shoppers who bought again (the repurchase rate).
COUNTS = ("shopped", "new", "returned", "lapsed", "base_start", "base_end", "active_end", "lapsed_end",
          "dormant_end", "lost_end", "previous_shoppers", "repurchasers")


@dataclass(frozen=True)
class Rule:
    """The lapse rule's N and the win-back window W, in days (see the module docstring)."""
    lapse_days: int
    winback_days: int
    winback_setting: int

    @classmethod
    def of(cls, lapse_days: int, winback_days: int) -> "Rule":
        n = int(lapse_days)
        if n < LAPSE_FLOOR_DAYS:
            raise ValueError(f"the lapse rule must be at least {LAPSE_FLOOR_DAYS} days, not {n}")
        return cls(n, max(int(winback_days), n + WINBACK_MIN_EXTRA_DAYS), int(winback_days))

    def describe(self) -> Message:
        key = "lifecycle.rule" if self.winback_days == self.winback_setting else "lifecycle.rule.widened"
        return Message(key, lapse_days=self.lapse_days, winback_days=self.winback_days,
                       setting=self.winback_setting, extra=WINBACK_MIN_EXTRA_DAYS)

    def to_dict(self) -> dict:
        return asdict(self) | {"rule": self.describe()}


def month_numbers(last: int, first: pd.Period | None = None):
    """A table of the month numbers 0..last (one row a month), with each month's first and last day
    when `first` (the month numbered 0) is given."""
    frame = pd.DataFrame({"k": np.arange(last + 1, dtype="int64")})
    if first is not None:
        months = pd.period_range(first, first + last, freq="M")
        frame["m_start"] = months.start_time.normalize().date
        frame["m_end"] = months.end_time.normalize().date
        frame["days_in_month"] = months.days_in_month.astype("int64")
    return ibis.memtable(frame)


def home_stores_by_month(baskets, first: pd.Period, months: list[int] | int):
    """Per member and month number in `months` (from their first purchase on): the home store, as an
    Ibis table (k, customer_id, store_id)."""
    last = max(months) if isinstance(months, list) else int(months)
    wanted = month_numbers(last) if not isinstance(months, list) else \
        ibis.memtable(pd.DataFrame({"k": sorted(months)}, dtype="int64"))
    b = member_purchases(baskets)
    b = b.mutate(v=month_index(b.date, first), store_id=b.store_id.cast("string"), day=b.date.cast("date"))
    visits = (b.filter((b.v >= 0) & (b.v <= last)).group_by(["customer_id", "store_id", "v"])
              .aggregate(n=_.count(), last_d=_.day.max()))
    so_far = visits.join(wanted, visits.v <= wanted.k).group_by(["k", "customer_id", "store_id"]).aggregate(
        recent=visits.n.sum(where=visits.v > wanted.k - HOME_STORE_MONTHS).fill_null(0),
        last_d=visits.last_d.max())
    rank = ibis.row_number().over(group_by=["k", "customer_id"],
                                  order_by=[ibis.desc("recent"), ibis.desc("last_d"), "store_id"])
    return so_far.mutate(rank=rank).filter(_.rank == 0).select("k", "customer_id", "store_id")


def month_ends(baskets, first: pd.Period, last: int, rule: Rule, months: list[int] | None = None):
    """Per member and month-end k (0..last, or `months`, from the member's first purchase on): the state
    before the at-risk split (new, active, lapsed, dormant, lost), whether the member was in the base at
    the month's start and at its end, the month's events, the last purchase day and days silent at the
    month-end, and the home store. An Ibis table."""
    n, w = rule.lapse_days, rule.winback_days
    days = member_purchase_days(baskets)
    days = days.mutate(k=month_index(days.d, first)).filter(_.k <= last)
    per = days.group_by(["customer_id", "k"]).aggregate(last_d=_.d.max())
    per = per.mutate(k_next=per.k.lead().over(group_by="customer_id", order_by="k"),
                     k_first=per.k.min().over(group_by="customer_id"))
    ends = month_numbers(last, first)
    # the month-ends from each purchase month up to the next one: the member's last purchase at each
    rows = per.join(ends, (ends.k >= per.k) & (per.k_next.isnull() | (ends.k < per.k_next)))
    rows = rows.select(customer_id=rows.customer_id, k=rows.k_right, last_d=rows.last_d, k_first=rows.k_first,
                       bought=rows.k_right == rows.k, days_in_month=rows.days_in_month,
                       silent=rows.m_end.delta(rows.last_d, unit="day").cast("int64"))
    by_member = ibis.window(group_by="customer_id", order_by="k")
    rows = rows.mutate(in_base=rows.silent < n,
                       was_in_base=rows.silent.lag().over(by_member) < n,   # null in the member's first month
                       bought_before=rows.bought.lag().over(by_member))
    new = rows.k_first == rows.k
    state = (ibis.cases((new, "new"), (rows.silent < n, "active"), (rows.silent < n + rows.days_in_month, "lapsed"),
                        (rows.silent < w, "dormant"), else_="lost"))
    was = rows.was_in_base.fill_null(False)
    rows = rows.mutate(state=state, was_in_base=was, new=new, returned=rows.bought & ~new & ~was,
                       lapsed=was & ~rows.in_base, repurchased=rows.bought & rows.bought_before.fill_null(False),
                       previous_shopper=rows.bought_before.fill_null(False))
    if months is not None:
        rows = rows.filter(rows.k.isin([int(m) for m in months]))
    homes = home_stores_by_month(baskets, first, sorted(int(m) for m in months) if months is not None else last)
    return rows.join(homes, ["k", "customer_id"]).select(
        "k", "customer_id", "store_id", "state", "was_in_base", "in_base", "new", "returned", "lapsed", "bought",
        "repurchased", "previous_shopper", "last_d", "silent")


def counts(baskets, first: pd.Period, last: int, rule: Rule, total: str) -> pd.DataFrame:
    """Per (month_idx, scope): the counts of `COUNTS`; scope is a home store or `total`."""
    rows = month_ends(baskets, first, last, rule)

    def n(cond):
        return cond.cast("int64").sum()

    sums = dict(shopped=n(rows.bought), new=n(rows.new), returned=n(rows.returned), lapsed=n(rows.lapsed),
                base_start=n(rows.was_in_base), base_end=n(rows.in_base), active_end=n(rows.state == "active"),
                lapsed_end=n(rows.state == "lapsed"), dormant_end=n(rows.state == "dormant"),
                lost_end=n(rows.state == "lost"), previous_shoppers=n(rows.previous_shopper),
                repurchasers=n(rows.repurchased))
    by_store = rows.group_by(month_idx=rows.k, scope=rows.store_id).aggregate(**sums)
    chain = rows.group_by(month_idx=rows.k).aggregate(scope=ibis.literal(total, "string"), **sums)
    out = engine.backend_of(rows).to_pyarrow(ibis.union(by_store, chain.select(by_store.columns),
                                                        distinct=False)).to_pandas()
    return out.sort_values(["month_idx", "scope"], ignore_index=True)


def members_at(baskets, first: pd.Period, month: pd.Period, rule: Rule) -> pd.DataFrame:
    """Per member with a purchase by `month`'s end: home store, state, the month's events and days
    silent at the month's end and the end of the month before, and last month's state and home store
    (NOT_YET for a member who had not bought yet). Indexed by customer_id, sorted."""
    month = pd.Period(month, "M")
    k = (month - first).n
    rows = month_ends(engine.as_table(baskets), first, k, rule, months=[k - 1, k] if k > 0 else [k])
    frame = engine.backend_of(rows).to_pyarrow(rows.order_by(["customer_id", "k"])).to_pandas()
    now = frame[frame["k"] == k].set_index("customer_id")
    before = frame[frame["k"] == k - 1].set_index("customer_id").reindex(now.index)
    out = now.drop(columns=["k"]).assign(
        state_last_month=before["state"].fillna(NOT_YET),
        store_last_month=before["store_id"], silent_last_month=before["silent"].astype("Int64"))
    out["last_d"] = pd.to_datetime(out["last_d"])
    return out.rename(columns={"store_id": "home_store", "last_d": "last_purchase"})


def split_at_risk(members: pd.DataFrame, drifting_now: pd.Series, drifting_before: pd.Series) -> pd.DataFrame:
    """The states with at risk split off the active, at the month's end and the month before: `drifting_*`
    are the churn view's verdicts per member (True: the model or the member's rhythm says drifting)."""
    out = members.copy()
    now = drifting_now.reindex(out.index).fillna(False).astype(bool)
    before = drifting_before.reindex(out.index).fillna(False).astype(bool)
    out.loc[(out["state"] == "active") & now, "state"] = "at_risk"
    out.loc[(out["state_last_month"] == "active") & before, "state_last_month"] = "at_risk"
    out["newly_at_risk"] = (out["state"] == "at_risk") & (out["state_last_month"] != "at_risk")
    return out


def migration(before: pd.Series, after: pd.Series, order: list[str],
              revenue: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Members (and their revenue) by group at M−1 (rows) and at M (columns): lifecycle states, value
    tiers, RFM segments.

    Members present only at M are in the row NOT_YET. Every member of `after` is counted
    once, so the counts add up to the members at M.
    """
    frame = pd.DataFrame({"after": after.astype(str)})
    frame["before"] = before.astype(str).reindex(frame.index).fillna(NOT_YET)
    rows, cols = order + [NOT_YET], order
    counts = pd.crosstab(frame["before"], frame["after"]).reindex(index=rows, columns=cols, fill_value=0)
    counts.index.name, counts.columns.name = "last month", "this month"
    if revenue is None:
        return counts, None
    frame["revenue"] = revenue.reindex(frame.index).fillna(0.0)
    money = frame.pivot_table(index="before", columns="after", values="revenue", aggfunc="sum", observed=False)
    money = money.reindex(index=rows, columns=cols).fillna(0.0)
    money.index.name, money.columns.name = "last month", "this month"
    return counts, money


def flow(members: pd.DataFrame) -> pd.DataFrame:
    """Members by state at last month's end (rows, NOT_YET for those who had not bought yet) and at this
    month's end (columns); every member counted once."""
    return migration(members["state_last_month"], members["state"], list(STATES))[0]


def state_counts(members: pd.DataFrame, total: str) -> pd.DataFrame:
    """Per scope (each home store, then `total`): members in each state at the month's end, at the end of
    the month before (`<state>_before`), the month's events and the newly at risk."""
    f = members.assign(home_store=members["home_store"].astype(str))

    def per(group: pd.DataFrame) -> dict:
        now = group["state"].value_counts()
        before = group["state_last_month"].value_counts()
        row = {s: int(now.get(s, 0)) for s in STATES}
        row |= {f"{s}_before": int(before.get(s, 0)) for s in STATES}
        row |= {"new_event": int(group["new"].sum()), "returned": int(group["returned"].sum()),
                "lapsed_event": int(group["lapsed"].sum()), "newly_at_risk": int(group["newly_at_risk"].sum()),
                "base_start": int(group["was_in_base"].sum()), "base_end": int(group["in_base"].sum())}
        return row

    rows = {store: per(g) for store, g in f.groupby("home_store", sort=True)}
    rows[total] = per(f)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("scope")


def identities(table: pd.DataFrame) -> list[str]:
    """The stock-and-flow identities of `state_counts` rows that fail (empty: all hold)."""
    broken = []
    for scope, r in table.iterrows():
        base_end = sum(r[s] for s in BASE_STATES)
        if r["base_end"] != base_end:
            broken.append(f"{scope}: base at the end {r['base_end']} is not new + active + at risk = {base_end}")
        if r["base_end"] != r["base_start"] + r["new_event"] + r["returned"] - r["lapsed_event"]:
            broken.append(f"{scope}: base {r['base_start']} + new {r['new_event']} + returned {r['returned']} − "
                          f"lapsed {r['lapsed_event']} ≠ {r['base_end']}")
        if r["lapsed"] != r["lapsed_event"]:
            broken.append(f"{scope}: {r['lapsed']} in the lapsed state, {r['lapsed_event']} lapsed in the month")
        if r["new"] != r["new_event"]:
            broken.append(f"{scope}: {r['new']} in the new state, {r['new_event']} new in the month")
    return broken
