"""Who to contact: the win-back list and the care lists, as files for the consultant.

Win-back rule: members at risk (P(alive) below the threshold) ranked by the expected value
of a contact = P(alive) × CLV if retained, i.e. the chance they are still a customer who can
be won over, times what they are worth if they stay. Members without marketing consent
(False or unknown: consent is opt-in) are left out and counted; the list is capped at the
contact budget. Data without a consent field (no `marketing_consent` column, or one with no
answer in it) lets no one be contacted: each list then counts who it would hold, and what
they are worth, if consent were collected (`consent_field` False). Each row carries the member's top categories and usual store, for a
personal message. The emailed report shows only counts and totals, never these rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd

from retention_lib.core.spreadsheets import write_csv, write_xlsx
from retention_lib.data import aggregate, engine

FAVOURITE_WINDOW = pd.DateOffset(months=6)
HOLIDAY_TIERS = ("core", "key")


@dataclass
class ActionList:
    name: str
    rows: pd.DataFrame
    counts: dict = field(default_factory=dict)

    def write(self, csv_path: Path, xlsx_path: Path) -> list[Path]:
        # client text (names, stores, categories) must not run as formulas when opened
        return [write_csv(self.rows, csv_path), write_xlsx(self.rows, xlsx_path, sheet=self.name)]


def save(run, lists: list[ActionList]) -> list[str]:
    """Each list as CSV and Excel under the run folder's actions/; returns the file names."""
    written = []
    for lst in lists:
        written += [p.name for p in lst.write(run.path(f"{lst.name}_csv"), run.path(f"{lst.name}_xlsx"))]
    return written


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


def winback(scores: pd.DataFrame, customers: pd.DataFrame | None, favourites_: pd.DataFrame,
            budget: int) -> ActionList:
    """`scores` has p_alive, at_risk, clv and clv_if_alive per customer_id (index).

    Ranked by P(alive) × CLV if retained; in a month without the churn model (P(alive) unknown)
    by CLV if retained alone. Ties: the higher P(alive), then the customer id."""
    at_risk = scores[scores["at_risk"]].copy()
    by_model = bool(at_risk["p_alive"].notna().all())
    at_risk["contact_value"] = at_risk["clv_if_alive"] * (at_risk["p_alive"] if by_model else 1.0)
    ranked = (at_risk.rename_axis("customer_id").reset_index()
              .sort_values(["contact_value", "p_alive", "customer_id"], ascending=[False, False, True],
                           kind="mergesort").set_index("customer_id"))
    consent = consent_mask(customers, ranked.index)
    eligible = ranked[consent]
    chosen = eligible.head(budget)
    # what the list would hold if every member at risk had said yes
    if_consented = ranked.head(budget)
    rows = (contact_columns(customers, chosen.index)
            .join(favourites_.reindex(chosen.index))
            .join(chosen[["p_alive", "clv_if_alive", "contact_value", "newly_at_risk"]]))
    rows.insert(0, "rank", range(1, len(rows) + 1))
    counts = {"consent_field": has_consent_field(customers),
              "at_risk": len(at_risk), "without_consent": int((~consent).sum()),
              "eligible": len(eligible), "over_budget": max(0, len(eligible) - budget),
              "listed": len(rows), "budget": budget,
              "ranked_by": "p_alive_x_clv_if_alive" if by_model else "clv_if_alive",
              "listed_contact_value": float(chosen["contact_value"].sum()),
              "listed_if_consented": len(if_consented),
              "contact_value_if_consented": float(if_consented["contact_value"].sum())}
    return ActionList("winback", rows.reset_index(), counts)


def birthdays(customers: pd.DataFrame | None, month: pd.Period, active: pd.Index) -> ActionList:
    """Consenting, still-active members whose birthday falls in `month`."""
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
