"""储值沉淀: the stored-value balance (储值余额) and points (积分) held by members, by lifecycle state and home store.

A member who drifts away with money on their card is a liability and the best win-back hook. When the
customers table has `stored_value` and/or `points` (both optional, as the member table was exported), this
counts, at the report month's end, per lifecycle state (analytics/lifecycle.py) and per home store:

- `members` in the state, `with_balance` (stored_value > 0) and `balance` (the sum of the positive
  balances, to the cent: money owed to members), `with_points` (points > 0) and `points` (their sum);
- **in play** (`IN_PLAY`): at risk, lapsed this month and dormant together, the balance still worth a
  win-back message; the **lost** are shown apart (money owed to people gone).

A member of the lifecycle missing from the customers table, or with a blank balance, holds nothing here;
customers without a purchase by the month's end have no state and are counted apart (`no_purchase`).
The stores sum to the chain (`identities`, checked by app/consistency.py before publishing).
Without either column the artifact says so (`available` False, with the reason) and the report is silent
but for one note.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from retention_lib.analytics.churn import TOTAL   # the lifecycle's scope for all stores
from retention_lib.analytics.lifecycle import STATES
from retention_lib.analytics.value import IN_PLAY
from retention_lib.core.messages import Message

COLUMNS = ("stored_value", "points")
IN_PLAY_ROW = "in_play"          # at risk + lapsed + dormant
FIGURES = ("members", "with_balance", "balance", "with_points", "points")


def columns_of(customers: pd.DataFrame | None) -> tuple[str, ...]:
    """Which of COLUMNS the customers table has, with at least one value."""
    if customers is None:
        return ()
    return tuple(c for c in COLUMNS if c in customers and customers[c].notna().any())


def holdings(members: pd.DataFrame, customers: pd.DataFrame | None) -> pd.DataFrame:
    """Per member of the lifecycle (`members`: state and home_store, indexed by customer_id): state, home
    store and the customers table's stored_value and points (0 when missing or blank; NaN columns when the
    table does not have them)."""
    have = columns_of(customers)
    out = pd.DataFrame({"state": members["state"].astype(str), "home_store": members["home_store"].astype(str)},
                       index=members.index)
    people = customers.drop_duplicates("customer_id").set_index("customer_id") if have else None
    for c in COLUMNS:
        out[c] = (pd.to_numeric(people[c], errors="coerce").reindex(out.index).fillna(0.0).astype(float)
                  if c in have else np.nan)
    return out


def _figures(rows: pd.DataFrame, have: tuple[str, ...]) -> dict:
    sv, pts = rows["stored_value"], rows["points"]
    balance, points = "stored_value" in have, "points" in have
    return {"members": int(len(rows)),
            "with_balance": int((sv > 0).sum()) if balance else None,
            "balance": round(float(sv[sv > 0].sum()), 2) if balance else None,
            "with_points": int((pts > 0).sum()) if points else None,
            "points": float(pts[pts > 0].sum()) if points else None}


def _scope(rows: pd.DataFrame, have: tuple[str, ...]) -> dict:
    out = {s: _figures(rows[rows["state"] == s], have) for s in STATES}
    out[IN_PLAY_ROW] = _figures(rows[rows["state"].isin(IN_PLAY)], have)
    return out


def facts(members: pd.DataFrame, customers: pd.DataFrame | None, month, total: str = TOTAL) -> dict:
    """The month's stored-value facts (the `stored_value` artifact): per scope (each home store, then
    `total`), per state and in play, the FIGURES; `no_purchase`: customers without a purchase by the month's
    end. Without a stored_value or points column: `available` False and the reason."""
    month = str(pd.Period(month, "M"))
    have = columns_of(customers)
    if not have:
        return {"month": month, "available": False, "columns": [], "reason": Message("stored_value.no_column")}
    held = holdings(members, customers)
    scopes = {str(store): _scope(rows, have) for store, rows in held.groupby("home_store", sort=True)}
    scopes[total] = _scope(held, have)
    outside = customers[~customers["customer_id"].isin(held.index)]
    loose = pd.DataFrame({c: pd.to_numeric(outside[c], errors="coerce").fillna(0.0) if c in have else np.nan
                          for c in COLUMNS}, index=outside.index)
    return {"month": month, "available": True, "columns": list(have), "total": total, "states": list(STATES),
            "in_play_states": list(IN_PLAY), "scopes": scopes, "no_purchase": _figures(loose, have)}


def table(held: dict, scope: str | None = None) -> pd.DataFrame:
    """The at-risk, lapsed and dormant rows, their sum (IN_PLAY_ROW) and the lost, for a scope (default: all
    stores): one row per state with members, and those with a balance and its sum, then the points (with how
    many hold them only when the data has no balance), of the columns the data has."""
    rows = held["scopes"][scope or held["total"]]
    order = [*held["in_play_states"], IN_PLAY_ROW, "lost"]
    frame = pd.DataFrame([{"state": s, **rows[s]} for s in order])
    money = "stored_value" in held["columns"]
    keep = ["state", "members"] + (["with_balance", "balance"] if money else []) + (
        (["points"] if money else ["with_points", "points"]) if "points" in held["columns"] else [])
    return frame[keep]


def by_store(held: dict) -> pd.DataFrame:
    """Per home store (not the chain), the in-play figures, the largest balance (else points) first."""
    rows = [{"store": s, **v[IN_PLAY_ROW]} for s, v in held["scopes"].items() if s != held["total"]]
    frame = pd.DataFrame(rows, columns=["store", *FIGURES])
    by = "balance" if "stored_value" in held["columns"] else "points"
    return frame.sort_values([by, "store"], ascending=[False, True], kind="mergesort", ignore_index=True)


def identities(held: dict | None) -> list[str]:
    """What fails of: the stores sum to the chain, per state and in play; in play is at risk + lapsed +
    dormant; no more members hold a balance (points) than are in the row (empty: all hold)."""
    if not held or not held.get("available"):
        return []
    broken = []
    total = held["scopes"][held["total"]]
    stores = [v for s, v in held["scopes"].items() if s != held["total"]]
    for state in (*held["states"], IN_PLAY_ROW):
        for f in FIGURES:
            chain = total[state][f]
            if chain is None:
                continue
            summed = sum(v[state][f] for v in stores)
            if not math.isclose(summed, chain, rel_tol=1e-12, abs_tol=0.005 * len(stores) + 1e-9):   # cents, rounded
                broken.append(f"stored value, {state} {f}: stores sum to {summed}, all stores {chain}")
    for scope, v in held["scopes"].items():
        for f in FIGURES:
            if v[IN_PLAY_ROW][f] is None:
                continue
            parts = sum(v[s][f] for s in held["in_play_states"])
            if not math.isclose(parts, v[IN_PLAY_ROW][f], rel_tol=1e-12, abs_tol=0.015 + 1e-9):
                broken.append(f"stored value, {scope}: in play {f} {v[IN_PLAY_ROW][f]} is not "
                              f"{' + '.join(held['in_play_states'])} = {parts}")
        for state, row in v.items():
            for f in ("with_balance", "with_points"):
                if row[f] is not None and row[f] > row["members"]:
                    broken.append(f"stored value, {scope}, {state}: {f} {row[f]} of {row['members']} members")
    return broken


def for_month(run, scores: pd.DataFrame) -> dict:
    """The month's facts from the churn scores' states and home stores (notebook 03) and the run's
    customers table."""
    return facts(scores, run.table("customers"), run.month)


def save(run, held: dict) -> None:
    run.write("stored_value", held)
