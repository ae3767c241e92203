"""A month's run folder: the validated data cut at the month's end, and its artifacts.

Notebook 01 prepares it; every later notebook opens it. Preparing is cached in the
folder, so each notebook also runs on its own in JupyterLab.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from . import aggregate
from .config import PROJECT_ROOT, Config, load_config
from .loading import load_source
from .validation import ValidationError

DATA_DIR, ARTIFACTS_DIR = "data", "artifacts"
PREPARED = "prepared.json"
# The time column that decides which month a row belongs to.
TIME_COLUMN = {"transactions": "timestamp", "customers": "join_date", "surveys": "submitted_at",
               "complaints": "opened_at", "campaigns": "sent_at"}


def last_complete_month(last_timestamp: pd.Timestamp) -> pd.Period:
    """The month of the last data, unless the data stops before that month's last day."""
    month = pd.Period(last_timestamp, "M")
    if pd.Timestamp(last_timestamp).normalize() < month.end_time.normalize():
        month -= 1
    return month


def default_run_dir(config: Config, month: pd.Period) -> Path:
    """Where notebooks opened in JupyterLab keep their run: apart from published months."""
    return PROJECT_ROOT / "reports" / "lab" / f"{config.slug}-{month}"


@dataclass
class Run:
    config: Config
    month: pd.Period
    run_dir: Path

    @property
    def start(self) -> pd.Timestamp:
        return self.month.start_time

    @property
    def end(self) -> pd.Timestamp:
        """Exclusive: the first instant after the month."""
        return (self.month + 1).start_time

    def table(self, name: str) -> pd.DataFrame | None:
        path = self.run_dir / DATA_DIR / f"{name}.parquet"
        return pd.read_parquet(path) if path.exists() else None

    def has(self, name: str) -> bool:
        return (self.run_dir / DATA_DIR / f"{name}.parquet").exists()

    def artifact(self, name: str) -> Path:
        path = self.run_dir / ARTIFACTS_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def read_json(self, name: str) -> dict | None:
        path = self.run_dir / ARTIFACTS_DIR / name
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def write_json(self, name: str, payload) -> Path:
        path = self.artifact(name)
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        return path


def open_run(config: str | Path | Config | None = None, month: str | None = None,
             run_dir: str | Path | None = None, *, now: pd.Timestamp | None = None) -> Run:
    """Open (preparing on first use) the run for `month` of `config`."""
    cfg = config if isinstance(config, Config) else load_config(config)
    if run_dir:
        marker = Path(run_dir) / PREPARED
        if marker.exists():
            meta = json.loads(marker.read_text(encoding="utf-8"))
            if meta["config"] == str(cfg.path) and (not month or meta["month"] == str(month)):
                return Run(cfg, pd.Period(meta["month"], "M"), Path(run_dir))
    return prepare_run(cfg, month, run_dir, now=now)


def prepare_run(cfg: Config, month: str | None, run_dir: str | Path | None, *,
                now: pd.Timestamp | None = None) -> Run:
    loaded = load_source(cfg, now=now)
    lines = loaded.tables["transactions"]
    tx_file = cfg.tables["transactions"].path
    if lines.empty:
        raise ValidationError(tx_file, None, "empty_table", "no usable transaction lines")
    period = pd.Period(month, "M") if month else last_complete_month(lines["timestamp"].max())
    run = Run(cfg, period, Path(run_dir) if run_dir else default_run_dir(cfg, period))
    in_month = lines["timestamp"].between(run.start, run.end, inclusive="left")
    if not in_month.any():
        raise ValidationError(
            tx_file, "timestamp", "month_without_data",
            f"no transactions in {period}; the data covers {lines['timestamp'].min():%Y-%m-%d} "
            f"to {lines['timestamp'].max():%Y-%m-%d}")

    data_dir = run.run_dir / DATA_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    after_month = {}
    for name, frame in loaded.tables.items():
        col = TIME_COLUMN[name]
        late = frame[col] >= run.end
        after_month[name] = int(late.sum())
        frame = frame.loc[~late].reset_index(drop=True)
        if name == "complaints":
            frame = _as_of(frame, run.end)
        frame.to_parquet(data_dir / f"{name}.parquet", index=False)
    kept_lines = lines.loc[lines["timestamp"] < run.end]
    baskets = aggregate.baskets_from_lines(kept_lines)
    baskets.to_parquet(data_dir / "baskets.parquet", index=False)
    loaded.rejects.to_csv(run.run_dir / "rejects.csv", index=False, encoding="utf-8")

    customers = loaded.tables.get("customers")
    member_ids = set(kept_lines["customer_id"].dropna().unique())
    unknown = len(member_ids - set(customers["customer_id"])) if customers is not None else None
    run.write_json("data_quality.json", {
        "source": cfg.name,
        "simulated": cfg.simulated,
        "currency": cfg.currency,
        "month": str(period),
        "data_end": loaded.data_end,
        "prepared_at": datetime.now().isoformat(timespec="seconds"),
        "tables": {name: rep.to_dict() | {"rows_after_month": after_month[name]}
                   for name, rep in loaded.reports.items()},
        "absent_tables": [t for t in ("customers", "surveys", "complaints", "campaigns")
                          if t not in loaded.tables],
        "rejected_rows": len(loaded.rejects),
        "first_timestamp": lines["timestamp"].min(),
        "last_timestamp": lines["timestamp"].max(),
        "member_ids_not_in_customers": unknown,
    })
    (run.run_dir / PREPARED).write_text(json.dumps({"config": str(cfg.path), "month": str(period)}),
                                        encoding="utf-8")
    return run


def _as_of(complaints: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Complaints closed after the month's end were still open at the end."""
    later = complaints["closed_at"] >= end
    out = complaints.copy()
    out.loc[later, "closed_at"] = pd.NaT
    out.loc[later, "resolved"] = False
    return out
