"""The lists' holdouts and their measured results as a reader sees them, in the report's actions section
and notebook 07: this month's holdout in a sentence, last month's lists in a sentence each (contacted
against held out, in words a manager acts on), and a table per list and home store."""
from __future__ import annotations

from typing import Callable

import pandas as pd

from retention_lib.analytics import holdouts
from retention_lib.report.measures import interval
from retention_lib.report.text import count, headers, label, percent, say, say_html

LISTS = ("retain", "winback", "welcome")


def _name(name: str) -> str:
    return say(f"holdouts.list.{name}")


def kept_sentences(summary: dict, share: float, minimum: int, html: bool = True) -> list[str]:
    """This month's holdout: how many are held out of each list, and the lists too small to keep one."""
    fill: Callable = say_html if html else say
    counts = {n: summary[n] for n in LISTS if summary.get(n) and summary[n].get("consent_field", True)}
    if not counts:
        return []
    if share <= 0:
        return [fill("holdouts.off")]
    kept = {n: c["held_out"] for n, c in counts.items() if c.get("held_out")}
    small = [n for n, c in counts.items() if c.get("holdout_reason") == "too_few" and c.get("listed")]
    out = []
    if kept:
        parts = [say("holdouts.kept.list", n=v, name=_name(n)) for n, v in kept.items()]
        out.append(fill("holdouts.kept", held_out=sum(kept.values()), share=share, lists=parts))
    if small:
        out.append(fill("holdouts.too_few", n=len(small), names=[_name(n) for n in small], minimum=minimum))
    return out


def result_sentences(results: pd.DataFrame, made_in, currency: str, html: bool = True) -> list[str]:
    """Each list made in `made_in`, chain-wide: contacted against held out, and what it means."""
    fill: Callable = say_html if html else say
    rows = _of_month(results, made_in)
    chain = rows[rows["store"] == holdouts.TOTAL]
    if chain.empty:
        return [fill("holdouts.results.none_yet", month=made_in)]
    first = chain.iloc[0]
    out = [fill("holdouts.results.intro", month=made_in, weeks=int(first["window_weeks"]), sent=first["sent_at"])]
    for _, r in chain.iterrows():
        verdict = r["verdict"]
        params = {"name": _name(r["list"]), **_groups(r), "lo": r["low"], "hi": r["high"]}
        if verdict == "worked":
            revenue = (say("holdouts.result.revenue", revenue=r["extra_revenue"], currency=currency)
                       if r["extra_revenue_low"] > 0 else "")
            params |= {"extra": r["extra_members"], "lo": r["low"] * r["contacted"],
                       "hi": r["high"] * r["contacted"], "revenue": revenue}
        out.append(fill(f"holdouts.result.{verdict}", **params))
    return out


def done_sentences(follow_up: dict, results: pd.DataFrame | None, html: bool = True) -> list[str]:
    """The store actions the register says were done and that named a list: what the list did in that
    store (its measured result), or that it could not be measured."""
    fill: Callable = say_html if html else say
    out = []
    for done in follow_up.get("done_lists") or []:
        if not done.get("list"):
            continue
        rows = _of_month(results, done["month"])
        row = rows[(rows["list"] == done["list"]) & (rows["store"] == str(done["store"]))] if len(rows) else rows
        if row.empty:   # a one-store list is measured chain-wide only
            row = rows[(rows["list"] == done["list"]) & (rows["store"] == holdouts.TOTAL)] if len(rows) else rows
        params = {"store": done["store"], "name": _name(done["list"]), "month": done["month"]}
        if row.empty:
            out.append(fill("holdouts.done.unmeasured", **params))
            continue
        r = row.iloc[0]
        out.append(fill("holdouts.done.result", **params, **_groups(r), verdict=label("holdouts.verdict", r["verdict"])))
    return out


def results_table(results: pd.DataFrame, made_in) -> pd.DataFrame:
    """The lists made in `made_in`, chain-wide then per home store, for the report's table."""
    rows = _of_month(results, made_in)
    shown = pd.DataFrame({
        "list": [_name(n) for n in rows["list"]],
        "store": [say("store.all") if s == holdouts.TOTAL else s for s in rows["store"]],
        "contacted": [count(v) for v in rows["contacted"]],
        "contacted_returned": [percent(v, 0) for v in rows["contacted_returned"]],
        "held_out": [count(v) for v in rows["held_out"]],
        "held_out_returned": [percent(v, 0) for v in rows["held_out_returned"]],
        "difference": [interval("rate", lo, hi, change_of=True) for lo, hi in zip(rows["low"], rows["high"])],
        "verdict": [label("holdouts.verdict", v) for v in rows["verdict"]],
    })
    return headers(shown, "holdouts.table")


def _groups(r) -> dict:
    """A measured list's two groups as the sentences name them."""
    return {k: r[k] for k in ("contacted", "held_out", "contacted_returned", "held_out_returned")}


def _of_month(results: pd.DataFrame, made_in) -> pd.DataFrame:
    if results is None or results.empty:
        return pd.DataFrame(columns=holdouts.RESULT_COLUMNS)
    rows = results[results["made_in"] == str(pd.Period(made_in, "M"))]
    order = {n: i for i, n in enumerate(LISTS)}
    return rows.sort_values(["list", "store"], key=lambda c: c.map(order) if c.name == "list" else c,
                            kind="stable")
