"""The month's numbers against each other, before it is published: every count the report, the email and the
store pages quote must agree with the month's lifecycle facts (`lifecycle` artifact), and those must obey their
identities. A number that contradicts another is a bug, so a broken check fails the run.

Checked, for all stores and each home store:
- stock and flow (lifecycle.identities), and the stores sum to the chain, state by state;
- the KPI board's lapsed, base at the start and end and churn rate are the lifecycle's;
- the churn headline's at risk and newly at risk are the lifecycle's (at risk within the active);
- the CLV summary's members by state are the lifecycle's;
- each contact list's candidates are its states' members, its rows per store add up to its rows, its file has
  those rows, and the win-back file holds lapsed and dormant members only;
- the value tiers hold the base and the other rows are the lapsed, dormant and lost;
- the stored value (储值沉淀, when the member table has it): members by state and home store are the lifecycle's,
  the stores sum to the chain and in play is at risk + lapsed + dormant (stored_value.identities);
- each store page's states (and stored value) are the store's, and every action to members quotes its list's rows
  for the store.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from retention_lib.analytics import lifecycle, stored_value
from retention_lib.analytics.actions import LIST_STATES
from retention_lib.analytics.store_pages import ACTION_LISTS
from retention_lib.core import stages
from retention_lib.report import action_files


def _read(folder: Path, key: str):
    path = Path(folder) / stages.artifact(key).path
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8")) if path.suffix == ".json" else path


def _kpi(board: dict, name: str):
    row = next((r for r in board["board"] if r["kpi"] == name), None)
    v = row and row.get("value")
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def check(folder: Path) -> list[str]:
    """Every contradiction found in the month folder's artifacts, in words (empty: the numbers agree)."""
    facts = _read(folder, "lifecycle")
    if facts is None:
        return []
    broken: list[str] = []

    def same(what: str, quoted, fact) -> None:
        if quoted is not None and fact is not None and not math.isclose(float(quoted), float(fact), abs_tol=1e-9):
            broken.append(f"{what}: {quoted} quoted, {fact} in the lifecycle")

    scopes = pd.DataFrame.from_dict(facts["scopes"], orient="index")
    broken += lifecycle.identities(scopes)
    total = scopes.loc[facts["total"]]
    stores = scopes.drop(index=facts["total"])
    for col in scopes.columns:
        same(f"stores summed, {col}", stores[col].sum(), total[col])
    base = sum(total[s] for s in lifecycle.BASE_STATES)

    board = _read(folder, "kpi_board")
    if board and not board.get("warm_up"):
        same("KPI board, lapsed this month", _kpi(board, "lapsed_customers"), total["lapsed_event"])
        same("KPI board, base at the month's start", _kpi(board, "active_base_start"), total["base_start"])
        same("KPI board, base at the month's end", _kpi(board, "base_end"), total["base_end"])
        if total["base_start"]:
            same("KPI board, churn rate", _kpi(board, "churn_rate"), total["lapsed_event"] / total["base_start"])

    churned = _read(folder, "churn_summary")
    if churned:
        h = churned["headline"]
        same("churn, at risk", h["at_risk"], total["at_risk"])
        same("churn, newly at risk", h["newly_at_risk"], total["newly_at_risk"])
        same("churn, active", h["active"], total["active"] + total["at_risk"])
        if h["newly_at_risk"] > h["at_risk"]:
            broken.append(f"churn: {h['newly_at_risk']} newly at risk of {h['at_risk']} at risk")

    value = _read(folder, "clv_summary")
    if value:
        same("CLV, members at risk", value["at_risk_members"], total["at_risk"])
        same("CLV, lapsed and dormant", value["winback_members"], total["lapsed"] + total["dormant"])
        same("CLV, lost", value["lost_members"], total["lost"])
        for g in value["groups"]:
            same(f"CLV table, {g['state']}", g["members"], total[g["state"]])

    actions = _read(folder, "actions_summary")
    for name, states in LIST_STATES.items():
        counts = (actions or {}).get(name)
        if not counts:
            continue
        same(f"{name} list, candidates", counts["candidates"], sum(total[s] for s in states))
        if sum(counts["by_store"].values()) != counts["listed"]:
            broken.append(f"{name} list: {counts['listed']} rows, {sum(counts['by_store'].values())} by store")
        if counts.get("consent_field", True):   # every candidate is listed, held out or left out, once
            same(f"{name} list, listed + held out + over budget + without consent", counts["candidates"],
                 counts["listed"] + counts.get("held_out", 0) + counts["over_budget"] + counts["without_consent"])
        path = _read(folder, f"{name}_csv")
        if path is not None:
            rows = action_files.read(path)   # internal column names and state keys, in any language
            if len(rows) != counts["listed"]:
                broken.append(f"{name} list: {counts['listed']} rows counted, {len(rows)} in {path.name}")
            if "state" in rows and not rows["state"].isin(states).all():
                broken.append(f"{name} list: states {sorted(set(rows['state']) - set(states))} in {path.name}")

    seg = _read(folder, "segments_summary")
    if seg:
        tiers = {t["tier"]: t["members"] for t in seg["tiers"]}
        same("tiers, living members", sum(v for k, v in tiers.items() if k not in lifecycle.STATES), base)
        for s in ("lapsed", "dormant", "lost"):
            same(f"tier table, {s}", tiers.get(s, 0), total[s])

    held = _read(folder, "stored_value")
    if held and held.get("available"):
        broken += stored_value.identities(held)
        for scope, rows in held["scopes"].items():
            if scope in facts["scopes"]:
                for s in lifecycle.STATES:
                    same(f"stored value {scope}, {s}", rows[s]["members"], facts["scopes"][scope][s])
            else:
                broken.append(f"stored value: {scope} is no scope of the lifecycle")

    pages = _read(folder, "store_pages")
    for page in (pages or {}).get("stores", []) + (pages or {}).get("more_pages", []):
        store = page["store_id"]
        if page.get("states") and store in facts["scopes"]:
            for s, n in page["states"].items():
                same(f"store page {store}, {s}", n, facts["scopes"][store][s])
        quoted = page.get("stored_value")
        if quoted and held and held.get("available") and store in held["scopes"]:
            for f, v in quoted.items():
                same(f"store page {store}, stored value {f}", v, held["scopes"][store][stored_value.IN_PLAY_ROW][f])
        for action in page["actions"]:
            name = ACTION_LISTS.get(action["key"])
            if name:
                listed = ((actions or {}).get(name) or {}).get("by_store", {}).get(store, 0)
                same(f"store page {store}, {action['key']}", action["params"]["n"], listed)
    return broken
