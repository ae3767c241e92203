"""What was loaded, what was rejected and why, and how well the month is covered; and what in the
data looks wrong: months of history that changed since the last report, customer ids that hold too
many baskets to be one person, baskets far outside their store's amounts, months without any
transaction, and stored-value top-ups (not sales).

The checks run when a month's folder is prepared (data/prepare.py writes them into data_quality.json,
the pipeline says them on the console) as Ibis expressions on the run's engine; only counts and the
few flagged rows come back.

Rules:
- **Suspect ids.** A customer id holding more than `settings.suspect_id_basket_share` (2%) of all
  baskets to the month's end, and more than SUSPECT_TIMES (20) times the baskets of the member at the
  99th percentile among the other members. One shopper in fifty baskets is far beyond a person even
  in a small store; the second condition keeps a store of a few dozen members, where an ordinary
  regular may hold 2%, from being flagged: a walk-in placeholder takes every cashier's anonymous sale
  and ends hundreds of times above the heaviest real members (the demo store's heaviest member holds
  0.13% of baskets, 1.7 times the 99th percentile; the Complete Journey's 0.5%, 2.3 times).
- **Outlier baskets.** A basket whose net amount, either way, is more than OUTLIER_TIMES (10) times the
  99.9th percentile of its store's purchase baskets (the whole data's percentile for a store with
  fewer than OUTLIER_MIN_BASKETS baskets, whose 99.9th percentile would be its own largest basket).
  Basket amounts are roughly log-normal; ten times the 99.9th percentile is some six standard
  deviations of log amount above the median, which no real basket reaches by chance, while a bulk
  order for a company is still flagged only, not removed. A mis-keyed amount (a barcode as the price,
  fen as yuan) is found; the demo store's and the Complete Journey's largest baskets are under 5
  times their store's percentile. The percentile is the store's own, so neither its size nor its
  currency matters.
- **Set aside** (`settings.max_basket_amount`, off by default): validation sets aside every line of a
  basket whose lines add up to more than the amount (rule basket_over_cap, in rejects.csv); the data
  quality section counts them.
- **Gaps.** A month between the first month of data and the reported month without a transaction.
"""
from __future__ import annotations

import json

import ibis
import pandas as pd

from retention_lib.data import aggregate, engine, history
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.core.schema import NO_MONTH

SUSPECT_QUANTILE = 0.99
SUSPECT_TIMES = 20
OUTLIER_QUANTILE = 0.999
OUTLIER_TIMES = 10
OUTLIER_MIN_BASKETS = 1000
LISTED = 5   # the largest flagged or set-aside baskets listed by name
FLAGS = ("history_changes", "suspect_ids", "outlier_baskets", "gap_months", "set_aside_baskets", "topups")


NULL_LIKE = "null_like_ids"
TOPUP_ROWS = "topup_rows"


def null_like_text(counts: dict[str, int] | None) -> str:
    """'NULL: 2,149; N/A: 3' — the placeholder ids a table held, most frequent first."""
    if not counts:
        return "—"
    return "; ".join(f"{token or '(blank)'}: {n:,}"
                     for token, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def loaded_tables(run: Run) -> pd.DataFrame:
    dq = run.read("data_quality")
    rows = []
    for name, t in dq["tables"].items():
        rows.append({"table": name, "file": t["file"].rsplit("/", 1)[-1], "rows_read": t["rows_read"],
                     "rows_rejected": sum(t["rejected_by_rule"].values()), TOPUP_ROWS: t.get("topup_rows", 0),
                     "rows_kept": t["rows_kept"], "rows_after_month": t["rows_after_month"],
                     NULL_LIKE: null_like_text(t.get("null_like_ids")),
                     "ignored_columns": ", ".join(t["ignored_columns"]) or "—"})
    for name in dq["absent_tables"]:   # file None: not supplied
        rows.append({"table": name, "file": None, "rows_read": 0, "rows_rejected": 0,
                     "rows_kept": 0, "rows_after_month": 0, NULL_LIKE: "—", "ignored_columns": "—"})
    out = pd.DataFrame(rows)
    return out if out[TOPUP_ROWS].any() else out.drop(columns=TOPUP_ROWS)


def rejects_by_reason(run: Run) -> pd.DataFrame:
    path = run.path("rejects")
    rejects = pd.read_csv(path, dtype=str) if path.exists() and path.stat().st_size else pd.DataFrame()
    cols = ["table", "column", "rule", "reason", "rows", "example_rows"]
    if rejects.empty:
        return pd.DataFrame(columns=cols)
    grouped = rejects.fillna({"column": ""}).groupby(["table", "column", "rule", "reason"], sort=False)
    out = grouped["row"].agg(rows="size", example_rows=lambda r: ", ".join(r.head(5))).reset_index()
    return out.sort_values("rows", ascending=False, kind="stable")


def month_coverage(run: Run) -> pd.DataFrame:
    """Baskets and revenue per day and store in the reported month, zero days included."""
    baskets = engine.run_table(run, "baskets")
    in_month = baskets.filter((baskets.timestamp >= run.start.to_pydatetime())
                              & (baskets.timestamp < run.end.to_pydatetime()))
    daily = aggregate.daily_coverage(in_month)
    days = pd.date_range(run.start, run.end - pd.Timedelta(days=1), freq="D")
    stores = sorted(daily["store_id"].unique())
    full = pd.MultiIndex.from_product([days, stores], names=["date", "store_id"])
    return (daily.set_index(["date", "store_id"]).reindex(full, fill_value=0).reset_index())


def membership_by_month(run: Run, months: int = 13) -> pd.DataFrame:
    monthly = aggregate.monthly_membership(engine.run_table(run, "baskets"))
    monthly = monthly[monthly["month"] <= str(run.month)].tail(months).reset_index(drop=True)
    total = monthly["member_revenue"] + monthly["non_member_revenue"]
    monthly["member_revenue_share"] = (monthly["member_revenue"] / total).where(total > 0)
    return monthly


def facts(run: Run) -> dict:
    """Headline data-quality facts for the report's footnote."""
    dq = run.read("data_quality")
    coverage = month_coverage(run)
    per_day = coverage.groupby("date")["baskets"].sum()
    store_days_empty = int((coverage["baskets"] == 0).sum())
    monthly = membership_by_month(run, 1).iloc[-1]
    return {
        "source": dq["source"], "simulated": dq["simulated"], "month": dq["month"],
        "lines_read": dq["tables"]["transactions"]["rows_read"],
        "rows_rejected": dq["rejected_rows"],
        "tables_absent": dq["absent_tables"],
        "days_in_month": len(per_day), "days_without_baskets": int((per_day == 0).sum()),
        "store_days_without_baskets": store_days_empty,
        "member_baskets": int(monthly["member_baskets"]),
        "non_member_baskets": int(monthly["non_member_baskets"]),
        "member_revenue_share": float(monthly["member_revenue_share"]),
        # Transaction lines whose customer id was a placeholder (NULL, N/A, ...): non-member baskets.
        "null_like_customer_ids": dq["tables"]["transactions"].get("null_like_ids", {}),
        "data_from": dq["first_timestamp"], "data_to": dq["last_timestamp"],
        # What each field the source filled from something else means for the report (a note per field).
        "substituted": [Message(f"dq.substituted.{f}", stands_in=by) for f, by in dq.get("substituted", {}).items()],
        # what looks wrong (flags, written when the folder was prepared); the section says each
        **flag_facts(dq),
    }


def flag_facts(dq: dict) -> dict:
    """The flags of data_quality.json (what looks wrong), with the month and currency they are said in."""
    return {"month": dq["month"], "currency": dq.get("currency"), **{key: dq.get(key) for key in FLAGS}}


# --------------------------------------------------------------------------- what looks wrong
def _rows(table) -> list[dict]:
    return engine.backend_of(table).to_pyarrow(table).to_pylist()


def _month_of(column):
    return column.strftime("%Y-%m")


def null_ids_line(current: tuple[str, ...], ids: list[str]) -> str:
    """The config line that makes `ids` non-members: the configured list replaces the default, so it
    repeats the ids that mean no member now (`current`) and adds the new ones."""
    listed = list(current) + [i for i in ids if i not in current]
    return f"settings: {{null_customer_ids: {json.dumps(listed, ensure_ascii=False)}}}"


def suspect_ids(baskets, share: float, null_ids: tuple[str, ...] = ()) -> dict:
    """Customer ids that hold too many baskets to be one shopper (module docstring), with the config
    line that would make them non-members. `baskets` is an Ibis table (the run's) or a frame."""
    b = engine.as_table(baskets)
    total = _rows(b.aggregate(n=b.count()))[0]["n"]
    members = b.filter(b.is_member & b.customer_id.notnull())
    per = members.group_by("customer_id").aggregate(baskets=members.count())
    limit = share * total
    over = _rows(per.filter(per.baskets > limit).order_by([ibis.desc("baskets"), "customer_id"]))
    out = {"share": share, "times": SUSPECT_TIMES, "quantile": SUSPECT_QUANTILE, "baskets": total, "ids": []}
    if not over:
        return out
    others = per.filter(per.baskets <= limit)
    p99 = _rows(others.aggregate(q=others.baskets.quantile(SUSPECT_QUANTILE)))[0]["q"]
    if p99 is None:   # every member is above the share: nobody to compare with
        return out
    out["p99_member_baskets"] = float(p99)
    out["ids"] = [{"customer_id": r["customer_id"], "baskets": int(r["baskets"]), "share": r["baskets"] / total,
                   "times_p99": r["baskets"] / p99 if p99 else None}
                  for r in over if r["baskets"] > SUSPECT_TIMES * p99]
    if out["ids"]:
        out["config_line"] = null_ids_line(tuple(null_ids), [r["customer_id"] for r in out["ids"]])
    return out


def outlier_baskets(baskets, month: pd.Period) -> dict:
    """Baskets far outside their store's own amounts (module docstring): how many (in all and in
    `month`) and the LISTED largest, each with its month, store, amount and the store's limit."""
    b = engine.as_table(baskets)
    out = {"quantile": OUTLIER_QUANTILE, "times": OUTLIER_TIMES, "min_baskets": OUTLIER_MIN_BASKETS,
           "count": 0, "in_month": 0, "largest": []}
    p = b.filter(b.is_purchase)
    chain = _rows(p.aggregate(q=p.amount.quantile(OUTLIER_QUANTILE)))[0]["q"]
    if chain is None:
        return out
    per = p.group_by("store_id").aggregate(n=p.count(), q=p.amount.quantile(OUTLIER_QUANTILE))
    limits = per.select("store_id", ceiling=OUTLIER_TIMES * ibis.cases((per.n >= OUTLIER_MIN_BASKETS, per.q),
                                                                     else_=ibis.literal(float(chain))))
    j = b.join(limits, "store_id")
    flagged = j.filter(j.amount.abs() > j.ceiling)
    inside = _month_of(flagged.timestamp) == str(month)
    counts = _rows(flagged.aggregate(n=flagged.count(), in_month=flagged.count(where=inside)))[0]
    out["count"], out["in_month"] = int(counts["n"]), int(counts["in_month"] or 0)
    if out["count"]:
        largest = flagged.order_by([ibis.desc(flagged.amount.abs()), "basket_id", "is_member"]).limit(LISTED)
        out["largest"] = [{"basket_id": r["basket_id"], "store_id": r["store_id"], "month": r["month"],
                           "date": pd.Timestamp(r["timestamp"]).date().isoformat(), "amount": r["amount"],
                           "limit": r["ceiling"]}
                          for r in _rows(largest.select("basket_id", "store_id", "timestamp", "amount", "ceiling",
                                                        month=_month_of(largest.timestamp)))]
    return out


def gap_months(snap: dict, month: pd.Period) -> list[str]:
    """Months from the first month of transactions to `month` without a transaction line."""
    held = {p["month"] for p in snap["tables"]["transactions"] if p["rows"] and p["month"] != NO_MONTH}
    if not held:
        return []
    return [str(m) for m in pd.period_range(min(held), month, freq="M") if str(m) not in held]


def topups(run: Run) -> dict | None:
    """The month's stored-value top-ups (the `topups` table: money paid onto members' cards, not a
    sale) per store: how many and how much. None when the run has no such table."""
    files = run.table_files("topups")
    if not files:
        return None
    t = engine.run_table(run, "topups")
    t = t.filter((t.timestamp >= run.start.to_pydatetime()) & (t.timestamp < run.end.to_pydatetime()))
    per = t.group_by(store_id=t.store_id.cast("string")).aggregate(
        topups=t.count(), amount=aggregate.money(t.amount).sum().cast("float64"))
    stores = [{"store_id": r["store_id"], "topups": int(r["topups"]), "amount": float(r["amount"] or 0.0)}
              for r in _rows(per.order_by("store_id"))]
    return {"month": str(run.month), "topups": sum(r["topups"] for r in stores),
            "amount": float(sum(r["amount"] for r in stores)), "stores": stores}


def set_aside_baskets(cap: float | None, rejects: pd.DataFrame) -> dict | None:
    """The baskets validation set aside above settings.max_basket_amount (rule basket_over_cap, one
    reject per line, the basket's id as its value): their count and lines; None without a cap."""
    if cap is None:
        return None
    over = rejects[rejects["rule"] == "basket_over_cap"]
    return {"cap": float(cap), "count": int(over["value"].nunique()), "lines": len(over)}


def flags(run: Run, rejects: pd.DataFrame) -> dict:
    """Everything that looks wrong in the run's data (module docstring), for data_quality.json; `rejects`:
    the rows validation set aside."""
    cfg = run.config
    snap = run.snapshot()
    baskets = engine.run_table(run, "baskets")
    con = engine.connect(cfg.engine, cfg.store_dir / ".spill")
    return {
        "history_changes": history.changes(con, run.run_dir, str(cfg.path), run.month, snap),
        "suspect_ids": suspect_ids(baskets, run.setting("suspect_id_basket_share"),
                                   tuple(run.setting("null_customer_ids"))),
        "outlier_baskets": outlier_baskets(baskets, run.month),
        "gap_months": gap_months(snap, run.month),
        "set_aside_baskets": set_aside_baskets(run.setting("max_basket_amount"), rejects),
        "topups": topups(run),
    }


def console_messages(dq: dict, currency: str) -> list[Message]:
    """What the run says on the console about its data's flags (data_quality.json), one line each."""
    out = []
    changes = dq.get("history_changes") or {}
    for m in changes.get("months", []):
        out.append(Message("console.dq.changed", month=m["month"], report_month=changes["report_month"],
                           lines_before=m["lines_before"], lines_after=m["lines_after"],
                           revenue_before=m["revenue_before"], revenue_after=m["revenue_after"], currency=currency))
    suspects = dq.get("suspect_ids") or {}
    for r in suspects.get("ids", []):
        out.append(Message("console.dq.suspect_id", customer_id=r["customer_id"], share=r["share"],
                           baskets=r["baskets"]))
    if suspects.get("ids"):
        out.append(Message("console.dq.suspect_fix", config_line=suspects["config_line"]))
    aside = dq.get("set_aside_baskets")
    if aside and aside["count"]:
        out.append(Message("console.dq.set_aside", n=aside["count"], cap=aside["cap"], lines=aside["lines"],
                           currency=currency))
    outliers = dq.get("outlier_baskets") or {}
    if outliers.get("count"):
        top = outliers["largest"][0]
        out.append(Message("console.dq.outliers", n=outliers["count"], amount=top["amount"], store=top["store_id"],
                           date=top["date"], currency=currency))
    if dq.get("gap_months"):
        out.append(Message("console.dq.gaps", n=len(dq["gap_months"]), months=", ".join(dq["gap_months"])))
    return out
