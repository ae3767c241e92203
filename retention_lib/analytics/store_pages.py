"""A page per store: each store's headline KPIs, its at-risk members' value, its complaints and up to
three actions for the month, drawn from its own numbers. Aggregates only: no customer id, name or phone.

- **Stores**: those the KPI board's store table lists one by one (`kpis.store_table`: the
  `store_table_top` stores with the most revenue); the others are summed in one line (`rest`). A store
  of `email.stores` beyond them gets a page too (`more_pages`), for its manager's email.
- **KPIs** (`STORE_KPIS`) are the KPI board's per-store figures (`kpis_monthly`, `kpis.board`), month
  on month and year on year: members by home store (analytics/lifecycle.py), revenue and the
  average basket where the purchase was made.
- **Lifecycle**: the store's members by state at the month's end (the lifecycle's home store: the
  same rule), from the month's lifecycle facts; the at-risk members' value at stake is CLV if retained −
  CLV (analytics/value.py). The stores add up to the chain's.
- **Stored value** (when the member table has a balance or points): the store's members at risk, lapsed or
  dormant who hold a balance, and its sum (analytics/stored_value.py, the same home store); None without.
- **Complaints** (when the data has them): the store's complaints opened in the month per 1,000 of
  its purchase baskets (`satisfaction_summary` → complaints by store), against the chain's rate,
  and the category complained about most at the store (ties: by name).
- **Actions**: `RULES`, in their order; each rule that the store's numbers meet gives one action (a
  catalogue template filled with those numbers); the first `ACTIONS` are kept. Fewer only when fewer
  rules are met (`short` says so). An action to members names the list file that holds them and
  quotes how many of the store's members are on it (the list's `by_store`, after consent and the
  contact budget); with nobody on that list there is no such action. The rules: churn above the
  chain's → call its members on the retain list; else members on the retain list → call them;
  complaints above the chain's rate (MIN_COMPLAINTS or more) → review the top category (or all of them
  when no category stands out); the average basket, revenue or new members down on a year ago
  (BASKET_DROP, REVENUE_DROP, NEW_DROP with NEW_DROP_MIN) → check prices and range, look at what fell,
  offer membership; more members lapsed than last month (LAPSED_RISE, LAPSED_RISE_MIN) → win-back offer
  to its members on the win-back list; then the month's routine: the top complaint category
  (MIN_TOP_COMPLAINTS), the win-back list, the welcome list (a second-visit offer to new members).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retention_lib.analytics import kpis, stored_value as stored
from retention_lib.analytics.actions import LIST_STATES
from retention_lib.analytics.lifecycle import HOME_STORE_MONTHS, STATES
from retention_lib.core.messages import Message
from retention_lib.core.run import Run

STORE_KPIS = ("active_customers", "new_customers", "lapsed_customers", "churn_rate", "revenue", "avg_basket_value")
ACTIONS = 3
MIN_COMPLAINTS = 3          # a complaint rate above the chain's needs at least this many complaints
ABOVE_BY = 1.10             # "above the chain's" rate: at least 10% above it, so the two shown rates differ
MIN_TOP_COMPLAINTS = 2      # a category to review needs at least this many complaints
BASKET_DROP = -0.03         # the average basket down more than 3% on a year ago
REVENUE_DROP = -0.05        # revenue down more than 5% on a year ago
NEW_DROP = -0.10            # new members down more than 10% on a year ago ...
NEW_DROP_MIN = 5            # ... and by at least this many members
LAPSED_RISE = 0.10          # more members lapsed than last month: by more than 10% ...
LAPSED_RISE_MIN = 3         # ... and by at least this many members
LISTS = tuple(LIST_STATES)   # the contact lists a store page's actions name
# an action's message key → the contact list whose rows for the store it quotes as `n`
ACTION_LISTS = {"store.action.retain": "retain", "store.action.retain.churn": "retain",
                "store.action.winback": "winback", "store.action.winback.rise": "winback",
                "store.action.welcome": "welcome"}


@dataclass
class StorePages:
    month: str
    previous_month: str
    year_ago_month: str
    chain: dict                          # the chain's figures the rules compare with
    stores: list[dict] = field(default_factory=list)
    more_pages: list[dict] = field(default_factory=list)   # stores beyond the top ones whose managers get an email
    rest: dict | None = None             # the stores not shown one by one, summed
    at_risk_method: str | None = None    # model | lapse_rule (how at risk was judged)
    has_value: bool = False              # CLV scores exist: the value at stake is known
    has_complaints: bool = False

    def to_dict(self) -> dict:
        return {"month": self.month, "previous_month": self.previous_month, "year_ago_month": self.year_ago_month,
                "home_store_months": HOME_STORE_MONTHS, "at_risk_method": self.at_risk_method,
                "has_value": self.has_value, "has_complaints": self.has_complaints, "chain": self.chain,
                "stores": self.stores, "rest": self.rest, "more_pages": self.more_pages}


# --------------------------------------------------------------------------- figures
def at_risk_by_store(scores: pd.DataFrame) -> pd.DataFrame:
    """Per home store: members at risk, newly at risk, and their CLV and value at stake (when `scores`
    has CLV), from the scores' lifecycle state and home store."""
    s = scores[scores["state"] == "at_risk"]
    has_value = "clv" in s and "clv_if_alive" in s
    s = s.assign(store_id=s["home_store"].astype(str), value_at_stake=(s["clv_if_alive"] - s["clv"]) if has_value
                 else np.nan, clv=s["clv"] if has_value else np.nan)
    out = s.groupby("store_id", sort=True).agg(at_risk=("state", "size"), newly_at_risk=("newly_at_risk", "sum"),
                                               clv=("clv", "sum"), value_at_stake=("value_at_stake", "sum"))
    if not has_value:
        out[["clv", "value_at_stake"]] = np.nan
    return out.astype({"at_risk": "int64", "newly_at_risk": "int64"})


def top_categories(complaints: pd.DataFrame | None, month: str | pd.Period) -> dict[str, tuple[str, int]]:
    """Per store: the category with the most complaints opened in the month and its count, when it has at
    least MIN_TOP_COMPLAINTS and more than any other category (else none stands out); complaints without a
    category are not counted here."""
    if complaints is None or complaints.empty or "store_id" not in complaints:
        return {}
    month = pd.Period(month, "M")
    opened = pd.to_datetime(complaints["opened_at"])
    c = complaints[(opened >= month.start_time) & (opened < (month + 1).start_time) & complaints["store_id"].notna()
                   & complaints["category"].notna()]
    counts = (c.assign(category=c["category"].astype(str), store_id=c["store_id"].astype(str))
              .groupby(["store_id", "category"]).size().rename("n").reset_index()
              .sort_values(["store_id", "n", "category"], ascending=[True, False, True]))
    out = {}
    for store, rows in counts.groupby("store_id", sort=True):
        n = rows["n"].tolist()
        if n[0] >= MIN_TOP_COMPLAINTS and (len(n) == 1 or n[0] > n[1]):
            out[str(store)] = (rows["category"].iloc[0], int(n[0]))
    return out


def _finite(v) -> float | None:
    return float(v) if v is not None and pd.notna(v) and np.isfinite(float(v)) else None


def _kpi_rows(monthly: pd.DataFrame, month: str, scope: str) -> list[dict]:
    b = kpis.board(monthly, month, scope)
    b = b[b["kpi"].isin(STORE_KPIS)].set_index("kpi").reindex([k for k in STORE_KPIS if k in set(b["kpi"])])
    cols = ("value", "previous", "mom_abs", "mom_rel", "year_ago", "yoy_abs", "yoy_rel")
    return [{"kpi": k, "kind": r["kind"], **{c: _finite(r[c]) for c in cols}} for k, r in b.iterrows()]


def _complaint_figures(summary: dict | None, store: str, top: dict) -> dict | None:
    if not summary or not summary.get("complaints"):
        return None
    rows = {str(r["store_id"]): r for r in summary["complaints"]["by_store"]}
    r = rows.get(store, {"complaints": 0, "baskets": 0, "per_1000_baskets": None})
    category, n = top.get(store, (None, 0))
    return {"complaints": int(r["complaints"]), "baskets": int(r["baskets"]), "rate": _finite(r["per_1000_baskets"]),
            "top_category": category, "top_category_complaints": n}


# --------------------------------------------------------------------------- actions
def _kpi(page: dict, name: str) -> dict:
    return next((r for r in page["kpis"] if r["kpi"] == name), {})


def _listed(page, name: str) -> int:
    return int((page.get("lists") or {}).get(name, 0))


def _churn_above(page, chain):
    churn, n = _kpi(page, "churn_rate").get("value"), _listed(page, "retain")
    if churn is None or chain.get("churn_rate") is None or n <= 0 or churn < ABOVE_BY * chain["churn_rate"]:
        return None
    return Message("store.action.retain.churn", churn=churn, chain=chain["churn_rate"], n=n, store=page["store_id"])


def _call_at_risk(page, chain):
    n = _listed(page, "retain")
    if n <= 0 or _churn_above(page, chain) is not None:
        return None   # the churn action already calls them
    return Message("store.action.retain", n=n, at_risk=(page["at_risk"] or {}).get("at_risk", 0),
                   store=page["store_id"])


def _complaints_above(page, chain):
    c = page["complaints"]
    if not c or c["rate"] is None or chain.get("complaint_rate") is None or c["complaints"] < MIN_COMPLAINTS:
        return None
    if c["rate"] < ABOVE_BY * chain["complaint_rate"]:
        return None
    if not c["top_category"]:
        return Message("store.action.complaints_above.all", rate=c["rate"], chain=chain["complaint_rate"],
                       n=c["complaints"])
    return Message("store.action.complaints_above", rate=c["rate"], chain=chain["complaint_rate"],
                   n=c["top_category_complaints"], category=c["top_category"], total=c["complaints"])


def _drop(page, name, limit):
    r = _kpi(page, name)
    rel = r.get("yoy_rel")
    return r if rel is not None and rel < limit else None


def _basket_down(page, chain):
    r = _drop(page, "avg_basket_value", BASKET_DROP)
    return r and Message("store.action.basket_down", value=r["value"], year_ago=r["year_ago"], change=r["yoy_rel"],
                         currency=chain["currency"])


def _revenue_down(page, chain):
    r = _drop(page, "revenue", REVENUE_DROP)
    return r and Message("store.action.revenue_down", value=r["value"], year_ago=r["year_ago"], change=r["yoy_rel"],
                         currency=chain["currency"])


def _new_down(page, chain):
    r = _drop(page, "new_customers", NEW_DROP)
    if not r or r["yoy_abs"] > -NEW_DROP_MIN:
        return None
    return Message("store.action.new_down", n=r["value"], year_ago=r["year_ago"])


def _lapsed_up(page, chain):
    r, n = _kpi(page, "lapsed_customers"), _listed(page, "winback")
    if r.get("mom_abs") is None or r.get("mom_rel") is None or n <= 0:
        return None
    if r["mom_abs"] < LAPSED_RISE_MIN or r["mom_rel"] <= LAPSED_RISE:
        return None
    return Message("store.action.winback.rise", lapsed=r["value"], previous=r["previous"], n=n, store=page["store_id"])


def _complaints_top(page, chain):
    c = page["complaints"]
    if not c or not c["top_category"] or _complaints_above(page, chain) is not None:
        return None   # too few to point at a category, or the rate action already does
    return Message("store.action.complaints_top", n=c["top_category_complaints"], category=c["top_category"],
                   total=c["complaints"])


def _win_back(page, chain):
    n = _listed(page, "winback")
    if n <= 0 or _lapsed_up(page, chain) is not None:
        return None
    states = page.get("states") or {}
    return Message("store.action.winback", n=n, pool=states.get("lapsed", 0) + states.get("dormant", 0),
                   store=page["store_id"])


def _welcome_new(page, chain):
    n = _listed(page, "welcome")
    if n <= 0 or _new_down(page, chain) is not None:
        return None
    return Message("store.action.welcome", n=n, store=page["store_id"])


# In order: the first ACTIONS that a store's numbers meet are its actions. The last three are the
# month's routine (its complaints, lapsed and new members) when the store's numbers flag nothing sharper.
RULES = (_churn_above, _call_at_risk, _complaints_above, _basket_down, _revenue_down, _new_down, _lapsed_up,
         _complaints_top, _win_back, _welcome_new)


def actions(page: dict, chain: dict) -> list[Message]:
    """The store's actions for the month: the first ACTIONS rules its numbers meet, in RULES' order."""
    found = (rule(page, chain) for rule in RULES)
    return [m for m in found if m][:ACTIONS]


# --------------------------------------------------------------------------- the view
def _stored_of(held: dict | None, store: str) -> dict | None:
    """A store's members at risk, lapsed or dormant and what they hold (the stored-value facts' in-play row:
    None for a column the data does not have); None without a balance or points in the data."""
    if held is None:
        return None
    row = held["scopes"].get(store, {}).get(stored.IN_PLAY_ROW)
    if row is None:   # a store home to no member
        money, points = "stored_value" in held["columns"], "points" in held["columns"]
        row = {"members": 0, "with_balance": 0 if money else None, "balance": 0.0 if money else None,
               "with_points": 0 if points else None, "points": 0.0 if points else None}
    return dict(row)


def _risk_of(risk: pd.DataFrame, store: str, has_value: bool) -> dict:
    """A store's at-risk figures; a store home to no member at risk has none."""
    if store not in risk.index:
        return {"at_risk": 0, "newly_at_risk": 0, "clv": 0.0 if has_value else None,
                "value_at_stake": 0.0 if has_value else None}
    r = risk.loc[store]
    return {"at_risk": int(r["at_risk"]), "newly_at_risk": int(r["newly_at_risk"]),
            "clv": _finite(r["clv"]) if has_value else None,
            "value_at_stake": _finite(r["value_at_stake"]) if has_value else None}


def pages(monthly: pd.DataFrame, month: str | pd.Period, top: int | None, *, scores: pd.DataFrame | None,
          lifecycle: dict | None, lists: dict | None, satisfaction: dict | None, complaints: pd.DataFrame | None,
          currency: str = "", at_risk_method: str | None = None, also: tuple[str, ...] = (),
          stored_value: dict | None = None) -> StorePages:
    """The store pages of a month from the KPI table, the members' churn (and CLV) scores with their lifecycle
    states and home stores, the month's lifecycle facts (`lifecycle` artifact), the contact lists' counts per
    home store (`lists`: name → counts, as notebook 07 saved them), the satisfaction summary and the
    complaints table (see the module docstring). `also`: stores beyond the top ones that need a page too
    (their managers get an email), in `more_pages`. `stored_value`: the month's stored-value facts (the
    `stored_value` artifact), when the member table has a balance or points."""
    month = str(pd.Period(month, "M"))
    table = kpis.store_table(monthly, month, top)
    shown = [s for s in table.index if s not in (kpis.TOTAL, kpis.MORE_STORES)]
    risk = at_risk_by_store(scores) if scores is not None else pd.DataFrame()
    chain_board = {r["kpi"]: r for r in _kpi_rows(monthly, month, kpis.TOTAL)}
    has_complaints = bool(satisfaction and satisfaction.get("complaints"))
    has_value = scores is not None and "clv" in scores
    scopes = (lifecycle or {}).get("scopes", {})
    held = stored_value if stored_value and stored_value.get("available") else None
    chain = {"currency": currency, "churn_rate": chain_board.get("churn_rate", {}).get("value"),
             "avg_basket_value": chain_board.get("avg_basket_value", {}).get("value"),
             "complaint_rate": _finite(satisfaction["complaints"]["rate"]["per_1000_baskets"]) if has_complaints
             else None,
             "at_risk": int(risk["at_risk"].sum()) if scores is not None else None,
             "value_at_stake": float(risk["value_at_stake"].sum()) if has_value else None,
             "can_contact": any((lists or {}).get(n, {}).get("consent_field", False) for n in LISTS)}
    top_cats = top_categories(complaints, month) if has_complaints else {}
    out = StorePages(month, str(pd.Period(month, "M") - 1), str(pd.Period(month, "M") - 12), chain,
                     at_risk_method=at_risk_method, has_value=has_value,
                     has_complaints=has_complaints)

    def page_of(store: str) -> dict:
        states = scopes.get(store)
        page = {"store_id": store, "kpis": _kpi_rows(monthly, month, store),
                "states": {k: states[k] for k in STATES} if states else None,
                "at_risk": _risk_of(risk, store, has_value) if scores is not None else None,
                "lists": {n: int((lists or {}).get(n, {}).get("by_store", {}).get(store, 0)) for n in LISTS},
                "complaints": _complaint_figures(satisfaction, store, top_cats),
                "stored_value": _stored_of(held, store)}
        found = actions(page, chain)
        return {**page, "actions": found, "short": len(found) < ACTIONS}

    out.stores = [page_of(str(s)) for s in shown]
    listed = set(monthly.loc[monthly["active_customers"].notna() & (monthly["month"] == month), "scope"]) - {kpis.TOTAL}
    out.more_pages = [page_of(s) for s in sorted(set(map(str, also)) - set(shown)) if s in listed]
    if kpis.MORE_STORES in table.index:
        rest = table.loc[kpis.MORE_STORES]
        others = [s for s in risk.index if s not in shown]
        out.rest = {"stores": int(rest["stores"]), "active_customers": _finite(rest["active_customers"]),
                    "revenue": _finite(rest["revenue"]),
                    "at_risk": int(risk.loc[others, "at_risk"].sum()) if scores is not None else None}
    return out


def for_month(run: Run) -> StorePages | None:
    """The month's store pages from the artifacts of notebooks 02 to 07 (churn and CLV scores when
    their parts are available), with a page for every store of `email.stores`; None without the KPI board."""
    monthly = run.read("kpis_monthly")
    if monthly is None:
        return None
    scores = run.read("churn_scores")
    if scores is not None and run.has("clv_scores"):
        scores = scores.join(run.read("clv_scores")[["clv", "clv_if_alive"]])
    summary = run.read("churn_summary")
    lists = run.read("actions_summary") if run.has("actions_summary") else None
    return pages(monthly, run.month, run.setting("store_table_top"), scores=scores,
                 lifecycle=run.read("lifecycle") if run.has("lifecycle") else None, lists=lists,
                 satisfaction=run.read("satisfaction_summary"), complaints=run.table("complaints"),
                 currency=run.config.currency, at_risk_method=summary["headline"]["method"] if summary else None,
                 also=tuple(run.config.store_recipients),
                 stored_value=run.read("stored_value") if run.has("stored_value") else None)


def save(run: Run, view: StorePages | None) -> None:
    """The `store_pages` artifact; without a view (no KPI board) the part is unavailable, for the KPI board's reason."""
    if view is None:
        run.unavailable("store_pages", run.reason("kpis"))
        return
    run.available("store_pages")
    run.write("store_pages", view.to_dict())
