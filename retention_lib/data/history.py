"""Which months of history changed since the last published report of the same config.

A re-export can change months an earlier report already covered (a month loaded twice, a month
corrected by the POS vendor). The data store keeps each month of transaction lines as a file named
by its content, and every run records those files with their sha256 (data/snapshot.json), so a
changed month is a month whose lines' sha256 differs from the one the earlier report read.

The earlier report is the latest published month folder before this run's month in the same
reports folder (<reports>/<YYYY-MM>/ with manifest.json), made from the same config file. Its
revenue per month is read from its KPI artifact (artifacts/kpis_monthly.parquet, all stores); when
that is missing, from its own baskets partitions if the store still has them. This run's revenue
of those months is summed on the engine from this run's baskets, the same way (exact money sums).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from retention_lib.core import stages
from retention_lib.core.paths import LAB_DIR
from retention_lib.data import aggregate, engine

MONTH_FOLDER = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# The KPI artifact's all-stores scope (analytics.kpis.TOTAL: the data layer may not import analytics;
# a test keeps the two equal).
ALL_STORES = "All stores"


def reports_folder(run_dir: Path) -> Path:
    """The reports folder a run folder belongs to: <reports>/.tmp-… while the pipeline runs,
    <reports>/<YYYY-MM> once published, <reports>/lab/<config>-<month> for a notebook's run."""
    parent = Path(run_dir).resolve().parent
    return parent.parent if parent.name == LAB_DIR else parent


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def latest_published(reports: Path, config_path: str, month: pd.Period) -> Path | None:
    """The latest published month folder before `month` made from the config file `config_path`."""
    if not reports.is_dir():
        return None
    for folder in sorted((p for p in reports.iterdir() if MONTH_FOLDER.match(p.name)), reverse=True):
        if folder.name >= str(month) or not (folder / stages.RUN_FILES["manifest"].path).exists():
            continue
        prepared = _read_json(folder / stages.RUN_FILES["prepared"].path) or {}
        manifest = _read_json(folder / stages.RUN_FILES["manifest"].path) or {}
        made_from = prepared.get("config") or manifest.get("config", {}).get("path")
        if made_from == config_path and (folder / stages.artifact("snapshot").path).exists():
            return folder
    return None


def _by_month(snap: dict, table: str) -> dict[str, dict]:
    return {p["month"]: p for p in snap["tables"].get(table, []) if p["rows"]}


def revenue_by_month(con, files: list[Path], months: list[str]) -> dict[str, float]:
    """Revenue (net sales of every basket) of each of `months` in baskets partition files, summed
    exactly on the engine `con` as the KPI board sums it; a month without a basket has 0."""
    out = {m: 0.0 for m in months}
    if not files:
        return out
    b = engine.scan(con, files)
    month = b.timestamp.strftime("%Y-%m")
    agg = b.filter(month.isin(months)).group_by(month=month).aggregate(
        revenue=aggregate.money(b.amount).sum().cast("float64"))
    for row in engine.backend_of(b).to_pyarrow(agg.order_by("month")).to_pylist():
        out[row["month"]] = float(row["revenue"] or 0.0)
    return out


def _revenue_before(con, folder: Path, old: dict, months: list[str]) -> dict[str, float | None]:
    """Each month's revenue as the published report showed it (its KPI artifact), else from its own
    baskets partitions while the store still has them, else None."""
    path = folder / stages.artifact("kpis_monthly").path
    if path.exists():
        monthly = pd.read_parquet(path, columns=["scope", "month", "revenue"])
        total = monthly[monthly["scope"] == ALL_STORES].set_index("month")["revenue"]
        return {m: float(total.get(m)) if pd.notna(total.get(m)) else 0.0 for m in months}
    parts = _by_month(old, "baskets")
    files = [Path(old["store"]) / parts[m]["file"] for m in months if m in parts]
    if not all(f.exists() for f in files):
        return {m: None for m in months}
    return revenue_by_month(con, files, months)


def changes(con, run_dir: Path, config_path: str, month: pd.Period, snap: dict) -> dict | None:
    """The months up to the latest earlier published report's month whose transaction lines differ
    from the ones that report read, each with its lines and revenue before (as that report showed
    them) and now (revenue summed on the engine `con`). None when no earlier report of this config is
    published in the reports folder."""
    folder = latest_published(reports_folder(run_dir), config_path, month)
    if folder is None:
        return None
    old = _read_json(folder / stages.artifact("snapshot").path)
    if not old:
        return None
    last = old.get("month", folder.name)
    before, now = _by_month(old, "transactions"), _by_month(snap, "transactions")
    changed = sorted(m for m in before.keys() | now.keys()
                     if m <= last and (before.get(m) or {}).get("sha256") != (now.get(m) or {}).get("sha256"))
    out = {"report_month": folder.name, "report_folder": str(folder), "months": []}
    if not changed:
        return out
    was = _revenue_before(con, folder, old, changed)
    baskets = _by_month(snap, "baskets")
    is_ = revenue_by_month(con, [Path(snap["store"]) / baskets[m]["file"] for m in changed if m in baskets], changed)
    for m in changed:
        out["months"].append({"month": m, "lines_before": int(before[m]["rows"]) if m in before else 0,
                              "lines_after": int(now[m]["rows"]) if m in now else 0,
                              "revenue_before": was[m], "revenue_after": is_[m]})
    return out
