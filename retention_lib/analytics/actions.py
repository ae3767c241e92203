"""Who to contact: lists that follow from the members' lifecycle states, as files for the consultant.

- **retain** (留住): members at risk (still active, drifting), ranked by their value at stake (CLV if
  retained − CLV), then P(alive) (lower first: the more urgent), then customer id.
- **winback** (唤回): members who lapsed this month and dormant members (never the lost), ranked by the
  expected value of a contact = P(alive) × CLV if retained (the chance they can still be won back times
  what they are worth if they stay), so the most recent and most valuable come first; in a month
  without the churn model, by days silent (fewest first), then CLV if retained.
- **welcome** (新客): members new this month, for a second-visit offer, latest first.
- **birthdays** and **holiday_greetings** (care): members in the base with a birthday next month; the core
  and key value tiers.
Members without marketing consent (False or unknown: consent is opt-in) are left out and counted; each
contact list is capped at the contact budget, and a random share of it is held out, not contacted, so
next month's report can measure the list (analytics/holdouts). Data without a consent field (no `marketing_consent`
column, or one with no answer in it) lets no one be contacted: each list then counts who it would hold
if consent were collected (`consent_field` False). Every row carries the member's home store (the
lifecycle's, as the store pages count them) and top categories, for a personal message; the retain, win-back
and welcome rows also carry the member's stored-value balance and points (`stored_value`, `points`) when the
customers table has them, so the message can name the balance ("您的储值卡还有¥…"); `by_store`
counts each list's rows per home store, the numbers a store page's actions quote. The emailed report
shows only counts and totals, never these rows. The rows keep internal column names (customer_id, p_alive…);
report/action_files writes them for store staff, in the report's language, and reads the files back.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import pandas as pd

from retention_lib.analytics import lifecycle
from retention_lib.analytics.holdouts import Holdout
from retention_lib.data import aggregate, engine

FAVOURITE_WINDOW = pd.DateOffset(months=6)
# The contact lists and the lifecycle states of the members each holds.
LIST_STATES = {"retain": ("at_risk",), "winback": lifecycle.WINBACK_STATES, "welcome": ("new",)}
HOLIDAY_TIERS = ("core", "key")


@dataclass
class ActionList:
    name: str
    rows: pd.DataFrame        # the members to contact: the file's rows
    counts: dict = field(default_factory=dict)
    held_out: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["customer_id", "home_store"]))


def favourites(lines, baskets, end: pd.Timestamp, top: int = 3) -> pd.DataFrame:
    """Each member's top categories by spend over the last six months, usual store and last visit.

    `lines` and `baskets` are Ibis tables (the run's, on its engine: `engine.run_table`) or frames;
    only the per-member result comes back."""
    lines, baskets = engine.as_table(lines), engine.as_table(baskets)
    con = engine.backend_of(lines)
    member = baskets.filter(baskets.customer_id.notnull())
    visits = member.group_by("customer_id", "store_id").aggregate(n=member.count())
    visits = visits.mutate(rank=ibis.row_number().over(group_by="customer_id",
                                                       order_by=[ibis.desc("n"), "store_id"]))
    people = (visits.filter(visits["rank"] == 0).select("customer_id", usual_store="store_id")
              .join(member.group_by("customer_id").aggregate(last_purchase=member.timestamp.max().truncate("D")),
                    "customer_id"))
    out = con.to_pyarrow(people.order_by("customer_id")).to_pandas().set_index("customer_id")
    out = out[["usual_store", "last_purchase"]]
    if "category" in lines.columns:
        since = end - FAVOURITE_WINDOW
        recent = lines.filter(lines.timestamp >= since.to_pydatetime(), lines.customer_id.notnull(),
                              lines.amount > 0, lines.category.notnull())
        spend = recent.group_by("customer_id", "category").aggregate(
            amount=aggregate.money(recent.amount).sum().cast("float64"))
        spend = spend.mutate(rank=ibis.row_number().over(group_by="customer_id",
                                                         order_by=[ibis.desc("amount"), "category"]))
        picked = con.to_pyarrow(spend.filter(spend["rank"] < top)
                                .order_by(["customer_id", "rank"])).to_pandas()
        if len(picked):
            out.insert(0, "top_categories", picked.groupby("customer_id", sort=False)["category"].agg(", ".join))
    return out


def favourites_for_month(run) -> pd.DataFrame:
    return favourites(engine.run_table(run, "transactions"), engine.run_table(run, "baskets"), run.end)


def has_consent_field(customers: pd.DataFrame | None) -> bool:
    """Whether the data records marketing consent at all: a column with at least one answer."""
    return customers is not None and "marketing_consent" in customers and bool(
        customers["marketing_consent"].notna().any())


def consent_mask(customers: pd.DataFrame | None, ids: pd.Index) -> pd.Series:
    """True only where the member said yes to marketing (opt-in)."""
    if not has_consent_field(customers):
        return pd.Series(False, index=ids)
    consent = customers.set_index("customer_id")["marketing_consent"].reindex(ids)
    return consent.fillna(False).astype(bool)


def contact_columns(customers: pd.DataFrame | None, ids: pd.Index) -> pd.DataFrame:
    ids = pd.Index(ids, name="customer_id")
    cols = [c for c in ("name", "phone") if customers is not None and c in customers]
    if not cols:
        return pd.DataFrame(index=ids)
    return customers.set_index("customer_id")[cols].reindex(ids)


def balance_columns(customers: pd.DataFrame | None, ids: pd.Index) -> pd.DataFrame:
    """The members' stored-value balance and points, for the columns the customers table has (none: no column)."""
    ids = pd.Index(ids, name="customer_id")
    cols = [c for c in ("stored_value", "points") if customers is not None and c in customers]
    if not cols:
        return pd.DataFrame(index=ids)
    return customers.drop_duplicates("customer_id").set_index("customer_id")[cols].reindex(ids)


def _ranked(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return (frame.rename_axis("customer_id").reset_index()
            .sort_values([*by, "customer_id"], ascending=[*ascending, True], kind="mergesort").set_index("customer_id"))


def contact_list(name: str, ranked: pd.DataFrame, customers: pd.DataFrame | None, favourites_: pd.DataFrame,
                 budget: int, columns: list[str], value: str | None = None,
                 holdout: Holdout | None = None) -> ActionList:
    """The consenting members of `ranked` (in its order) up to the budget, less the random holdout, with
    their contact columns, home store, favourites and `columns`; counts of who was left out and why, and
    per home store."""
    consent = consent_mask(customers, ranked.index)
    eligible = ranked[consent.to_numpy()]
    picked = eligible.head(budget)
    held, why = (holdout.split(picked.index, picked["home_store"]) if holdout is not None
                 else (pd.Series(False, index=picked.index), "no_share"))
    chosen = picked[~held.to_numpy()]
    if_consented = ranked.head(budget)
    rows = (contact_columns(customers, chosen.index).join(chosen[["home_store"]])
            .join(favourites_.reindex(chosen.index).drop(columns=["usual_store", "last_purchase"], errors="ignore"))
            .join(balance_columns(customers, chosen.index)).join(chosen[columns]))
    rows.insert(0, "rank", range(1, len(rows) + 1))
    kept_out = picked[held.to_numpy()]
    counts = {"consent_field": has_consent_field(customers), "candidates": len(ranked),
              "without_consent": int((~consent).sum()), "eligible": len(eligible),
              "over_budget": max(0, len(eligible) - budget), "listed": len(rows), "budget": budget,
              "held_out": len(kept_out), "holdout_reason": why,
              "held_out_by_store": {str(k): int(v) for k, v in
                                    kept_out["home_store"].astype(str).value_counts().sort_index().items()},
              "by_store": {str(k): int(v) for k, v in chosen["home_store"].astype(str).value_counts().sort_index().items()},
              "listed_if_consented": len(if_consented)}
    if value:
        counts |= {"listed_value": float(chosen[value].sum()), "value_if_consented": float(if_consented[value].sum())}
    return ActionList(name, rows.reset_index(), counts,
                      kept_out[["home_store"]].rename_axis("customer_id").reset_index())


def _in_list(scores: pd.DataFrame, name: str) -> pd.DataFrame:
    return scores[scores["state"].isin(LIST_STATES[name])]


def retain(scores: pd.DataFrame, customers: pd.DataFrame | None, favourites_: pd.DataFrame,
           budget: int, holdout: Holdout | None = None) -> ActionList:
    """The members at risk (state at_risk), by value at stake (module docstring)."""
    at_risk = _in_list(scores, "retain").assign(
        value_at_stake=lambda d: d["clv_if_alive"] - d["clv"], p_order=lambda d: d["p_alive"].fillna(0.0))
    ranked = _ranked(at_risk, ["value_at_stake", "p_order"], [False, True])
    columns = [c for c in ("tier", "p_alive", "clv", "value_at_stake", "newly_at_risk", "last_purchase") if c in ranked]
    return contact_list("retain", ranked, customers, favourites_, budget, columns, value="value_at_stake",
                        holdout=holdout)


def winback(scores: pd.DataFrame, customers: pd.DataFrame | None, favourites_: pd.DataFrame,
            budget: int, holdout: Holdout | None = None) -> ActionList:
    """The members lapsed this month and the dormant (module docstring)."""
    pool = _in_list(scores, "winback").copy()
    by_model = bool(pool["p_alive"].notna().all())
    pool["contact_value"] = pool["clv_if_alive"] * (pool["p_alive"] if by_model else 1.0)
    ranked = (_ranked(pool, ["contact_value", "p_alive"], [False, False]) if by_model
              else _ranked(pool, ["silent", "contact_value"], [True, False]))
    out = contact_list("winback", ranked, customers, favourites_, budget,
                       ["state", "silent", "p_alive", "clv_if_alive", "contact_value", "last_purchase"],
                       value="contact_value", holdout=holdout)
    out.counts |= {"ranked_by": "p_alive_x_clv_if_alive" if by_model else "days_silent",
                   "by_state": {s: int((out.rows["state"] == s).sum()) for s in LIST_STATES["winback"]}}
    return out


def welcome(scores: pd.DataFrame, customers: pd.DataFrame | None, favourites_: pd.DataFrame,
            budget: int, holdout: Holdout | None = None) -> ActionList:
    """The members new this month, for a second-visit offer, latest purchase first."""
    new = _in_list(scores, "welcome").assign(order=lambda d: d["silent"])
    return contact_list("welcome", _ranked(new, ["order"], [True]), customers, favourites_, budget,
                        ["last_purchase"], holdout=holdout)


def birthdays(customers: pd.DataFrame | None, month: pd.Period, active: pd.Index) -> ActionList:
    """Consenting members of the base (`active`: new, active, at risk) whose birthday falls in `month`."""
    if customers is None or "birthday" not in customers:
        return ActionList("birthdays", pd.DataFrame(), {"unavailable": "no_birthdays"})
    people = customers.set_index("customer_id")
    born = people["birthday"].dt.month == month.month
    in_scope = people.index[born.fillna(False).astype(bool)].intersection(active)
    consent = consent_mask(customers, in_scope)
    chosen = in_scope[consent.to_numpy()]
    rows = contact_columns(customers, chosen).join(people.loc[chosen, ["birthday"]].assign(
        birthday=lambda d: d["birthday"].dt.strftime("%m-%d")))
    return ActionList("birthdays", rows.reset_index(), {
        "consent_field": has_consent_field(customers), "birthdays": len(in_scope),
        "without_consent": int((~consent).sum()), "listed": len(chosen)})


def holiday_greetings(customers: pd.DataFrame | None, tiers: pd.Series | None) -> ActionList:
    """Consenting members of the core and key value tiers."""
    if tiers is None:
        return ActionList("holiday_greetings", pd.DataFrame(), {"unavailable": "no_tiers"})
    in_scope = tiers.index[tiers.isin(HOLIDAY_TIERS).to_numpy()]
    consent = consent_mask(customers, in_scope)
    chosen = in_scope[consent.to_numpy()]
    rows = contact_columns(customers, chosen).join(tiers.reindex(chosen).rename("tier"))
    return ActionList("holiday_greetings", rows.reset_index(), {
        "consent_field": has_consent_field(customers), "core_and_key": len(in_scope),
        "without_consent": int((~consent).sum()), "listed": len(chosen)})
