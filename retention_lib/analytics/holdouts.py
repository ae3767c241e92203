"""A random holdout on every contact list, and next month's measure of what the list did.

When a run writes a contact list, a share of the members it would contact (`holdout_share`) is held
out at random and not contacted; a list of fewer than `holdout_min_members` keeps no holdout (too few
to measure anything) and says so. The draw is per home store, so each store's list has its own
control group, and reproducible: its seed comes from the config, the month and the list, so the same
run gives the same split. Contacted and held-out members go to the ledger (analytics/ledger) when the
month is published.

A list is handed out when its month's report is (the first day of the next month); a later run whose
data covers `list_window_weeks` after that measures it as a randomised campaign (analytics/campaigns):
the share of contacted and held-out members who bought again in the window, its difference with
Newcombe's interval, spend per member and the extra revenue it implies — per list, and per home store.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention_lib.analytics import campaigns

CONTACTED, HELD_OUT = "contacted", "held_out"
TOTAL = ""   # the store of a list's chain-wide result
# an interval wider than this (in share of members) says nothing a manager can act on
TOO_WIDE = 0.30
LEDGER_COLUMNS = ["made_in", "list", "customer_id", "home_store", "group", "sent_at"]
RESULT_COLUMNS = ["made_in", "list", "store", "sent_at", "window_weeks", "contacted", "held_out",
                  "contacted_returned", "held_out_returned", "difference", "low", "high", "extra_members",
                  "spend_difference", "extra_revenue", "extra_revenue_low", "extra_revenue_high", "verdict"]


@dataclass(frozen=True)
class Holdout:
    share: float        # of the members a list would contact
    min_members: int    # a smaller list keeps none
    seed: int

    @classmethod
    def for_list(cls, slug: str, month, name: str, share: float, min_members: int) -> "Holdout":
        digest = hashlib.sha256(f"{slug}|{month}|{name}".encode()).digest()
        return cls(float(share), int(min_members), int.from_bytes(digest[:8], "big"))

    def split(self, ids: pd.Index, stores: pd.Series | None = None) -> tuple[pd.Series, str | None]:
        """(held out: True per id, why none is kept or None). Within each store (all ids as one when
        `stores` is None), round(share × n) members drawn at random, ids in sorted order first so the
        draw depends on who is listed, not on how they were ranked."""
        held = pd.Series(False, index=ids)
        if self.share <= 0:
            return held, "no_share"
        if len(ids) < self.min_members:
            return held, "too_few"
        rng = np.random.default_rng(self.seed)
        groups = (pd.Series(TOTAL, index=ids) if stores is None else stores.reindex(ids).astype(str).fillna(TOTAL))
        for _, members in sorted(groups.groupby(groups, sort=True).groups.items()):
            members = pd.Index(sorted(members.astype(str)))
            k = int(round(self.share * len(members)))
            if k:
                held.loc[members[rng.permutation(len(members))[:k]]] = True
        return held, None


def sent_at(month) -> pd.Timestamp:
    """When a month's lists reach the stores: the first day of the next month."""
    return (pd.Period(month, "M") + 1).start_time


def ledger_rows(name: str, month, contacted: pd.DataFrame, held_out: pd.DataFrame) -> pd.DataFrame:
    """A list's members for the ledger: `contacted` and `held_out` with customer_id and home_store."""
    parts = [f.assign(group=g) for f, g in ((contacted, CONTACTED), (held_out, HELD_OUT)) if len(f)]
    if not parts:
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    rows = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({"made_in": str(pd.Period(month, "M")), "list": name,
                         "customer_id": rows["customer_id"].astype(str),
                         "home_store": rows["home_store"].astype(str) if "home_store" in rows else TOTAL,
                         "group": rows["group"], "sent_at": sent_at(month)})[LEDGER_COLUMNS]


def list_members(lists, month) -> pd.DataFrame:
    """The ledger rows of a month's contact lists (analytics/actions.ActionList: name, rows, held_out)."""
    parts = [ledger_rows(lst.name, month, lst.rows, lst.held_out) for lst in lists]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LEDGER_COLUMNS)


def measured(book: pd.DataFrame, baskets, as_of: pd.Timestamp, window_weeks: int) -> pd.DataFrame:
    """Every list in `book` (the ledger's list members) with a holdout whose window has ended by `as_of`:
    per list and month, chain-wide (store TOTAL) and per home store, the contacted and held-out members,
    the share of each who bought again in the window, the difference (lo, hi), spend per member and
    the extra revenue implied (with its interval); `verdict` is worked, no_effect,
    fewer (fewer came back when contacted) or too_few (an interval too wide to say anything)."""
    rows = []
    if book is None or book.empty:
        return pd.DataFrame(rows, columns=RESULT_COLUMNS)
    for (made_in, name), members in book.groupby(["made_in", "list"], sort=True):
        if not (members["group"] == HELD_OUT).any():
            continue
        sent = pd.Timestamp(members["sent_at"].iloc[0])
        if sent + pd.Timedelta(weeks=window_weeks) > as_of:
            continue
        out = campaigns.outcomes(members.assign(group=members["group"].map(
            {CONTACTED: "treatment", HELD_OUT: "control"}), sent_at=sent), baskets, window_weeks)
        out = out.join(members.set_index("customer_id")["home_store"])
        scopes = [(TOTAL, out)]
        if out["home_store"].nunique() > 1:
            scopes += list(out.groupby("home_store", sort=True))
        for store, part in scopes:
            rows.append({"made_in": made_in, "list": name, "store": store, "sent_at": sent,
                         "window_weeks": window_weeks, **_compare(part)})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def _compare(out: pd.DataFrame) -> dict:
    t, c = out[out["group"] == "treatment"], out[out["group"] == "control"]
    base = {"contacted": len(t), "held_out": len(c),
            "contacted_returned": float(t["reactivated"].mean()) if len(t) else np.nan,
            "held_out_returned": float(c["reactivated"].mean()) if len(c) else np.nan}
    if len(t) < 2 or len(c) < 2:
        return {**base, "difference": np.nan, "low": np.nan, "high": np.nan, "extra_members": np.nan,
                "spend_difference": np.nan, "extra_revenue": np.nan, "extra_revenue_low": np.nan,
                "extra_revenue_high": np.nan, "verdict": "too_few"}
    d, lo, hi = campaigns.difference(t, c, "reactivated")
    s, s_lo, s_hi = campaigns.difference(t, c, "spend")
    verdict = "too_few" if hi - lo > TOO_WIDE else "worked" if lo > 0 else "fewer" if hi < 0 else "no_effect"
    return {**base, "difference": float(d), "low": float(lo), "high": float(hi),
            "extra_members": float(d * len(t)), "spend_difference": float(s),
            "extra_revenue": float(s * len(t)), "extra_revenue_low": float(s_lo * len(t)),
            "extra_revenue_high": float(s_hi * len(t)), "verdict": verdict}
