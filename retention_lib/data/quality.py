"""What was loaded, what was rejected and why, and how well the month is covered."""
from __future__ import annotations

import pandas as pd

from retention_lib.data import aggregate, engine
from retention_lib.core.messages import Message
from retention_lib.core.run import Run


NULL_LIKE = "customer ids read as no customer"


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
        rows.append({"table": name, "file": t["file"].rsplit("/", 1)[-1], "rows read": t["rows_read"],
                     "rows rejected": t["rows_read"] - t["rows_kept"],
                     "rows kept": t["rows_kept"], "rows after the month (not used)": t["rows_after_month"],
                     NULL_LIKE: null_like_text(t.get("null_like_ids")),
                     "ignored columns": ", ".join(t["ignored_columns"]) or "—"})
    for name in dq["absent_tables"]:
        rows.append({"table": name, "file": "not supplied", "rows read": 0, "rows rejected": 0,
                     "rows kept": 0, "rows after the month (not used)": 0, NULL_LIKE: "—",
                     "ignored columns": "—"})
    return pd.DataFrame(rows)


def rejects_by_reason(run: Run) -> pd.DataFrame:
    path = run.path("rejects")
    rejects = pd.read_csv(path, dtype=str) if path.exists() and path.stat().st_size else pd.DataFrame()
    cols = ["table", "column", "rule", "reason", "rows", "example rows"]
    if rejects.empty:
        return pd.DataFrame(columns=cols)
    grouped = rejects.fillna({"column": ""}).groupby(["table", "column", "rule", "reason"], sort=False)
    out = grouped["row"].agg(rows="size", example_rows=lambda r: ", ".join(r.head(5))).reset_index()
    return out.rename(columns={"example_rows": "example rows"}).sort_values("rows", ascending=False, kind="stable")


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
    }
