"""Preparing a month's run folder: load and validate the source, cut it at the month's end,
net lines into baskets, and write the data-quality facts. Notebooks open a run with `open_run`,
which prepares it on first use and reuses the folder afterwards."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from retention_lib.core import stages
from retention_lib.core.config import Config, load_config
from retention_lib.core.paths import LAB_DIR, REPORTS_DIR
from retention_lib.core.run import Run
from retention_lib.core.schema import SUBSTITUTED
from retention_lib.core.spreadsheets import write_csv
from retention_lib.data import aggregate
from retention_lib.data.loading import load_source
from retention_lib.data.validation import ValidationError

# The time column that decides which month a row belongs to.
TIME_COLUMN = {"transactions": "timestamp", "customers": "join_date", "surveys": "submitted_at",
               "complaints": "opened_at", "campaigns": "sent_at"}


def substituted_fields(cfg: Config) -> dict[str, str]:
    """{"table.column": what stands in} for the canonical fields the source fills from something else."""
    if cfg.source == "completejourney":
        from retention_lib.data.sources.completejourney import SUBSTITUTED as declared
        return dict(declared)
    return {}


def last_complete_month(last_timestamp: pd.Timestamp) -> pd.Period:
    """The month of the last data, unless the data stops before that month's last day."""
    month = pd.Period(last_timestamp, "M")
    if pd.Timestamp(last_timestamp).normalize() < month.end_time.normalize():
        month -= 1
    return month


def default_run_dir(config: Config, month: pd.Period) -> Path:
    """Where notebooks opened in JupyterLab keep their run: apart from published months."""
    return REPORTS_DIR / LAB_DIR / f"{config.slug}-{month}"


def open_run(config: str | Path | Config | None = None, month: str | None = None,
             run_dir: str | Path | None = None, *, now: pd.Timestamp | None = None) -> Run:
    """Open (preparing on first use) the run for `month` of `config`.

    A published month is never changed: a notebook re-run on one (its parameters point at the
    published folder) works on a copy in <reports>/lab/ and says so."""
    cfg = config if isinstance(config, Config) else load_config(config)
    if run_dir and (Path(run_dir) / stages.RUN_FILES["manifest"].path).exists():
        return _lab_copy(cfg, Path(run_dir))
    if run_dir:
        marker = Path(run_dir) / stages.RUN_FILES["prepared"].path
        if marker.exists():
            meta = json.loads(marker.read_text(encoding="utf-8"))
            if meta["config"] == str(cfg.path) and (not month or meta["month"] == str(month)):
                # the run's language (retention run --lang), not only the config's
                return Run(cfg.in_language(meta.get("language")), pd.Period(meta["month"], "M"), Path(run_dir))
    return prepare_run(cfg, month, run_dir, now=now)


def _lab_copy(cfg: Config, published: Path) -> Run:
    meta = json.loads((published / stages.RUN_FILES["prepared"].path).read_text(encoding="utf-8"))
    month = pd.Period(meta["month"], "M")
    cfg = cfg.in_language(meta.get("language"))
    lab = published.resolve().parent / LAB_DIR / f"{cfg.slug}-{month}"   # beside the published months
    if not (lab / stages.RUN_FILES["prepared"].path).exists():
        shutil.rmtree(lab, ignore_errors=True)
        shutil.copytree(published, lab, ignore=shutil.ignore_patterns("*.ipynb", "outbox", "manifest.json",
                                                                     "run.log", "report.html"))
    return Run(cfg, month, lab, note=f"{published} is a published month and stays as it is: this notebook "
                                     f"reads and writes a copy in {lab}.")


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

    substituted = {f: by for f, by in sorted(substituted_fields(cfg).items()) if f.split(".")[0] in loaded.tables}
    after_month = {}
    for name, frame in loaded.tables.items():
        col = TIME_COLUMN[name]
        late = frame[col] >= run.end
        after_month[name] = int(late.sum())
        frame = frame.loc[~late].reset_index(drop=True)
        if name == "complaints":
            frame = _as_of(frame, run.end)
        # The table carries its substituted columns, so every stage that reads it knows (core.schema).
        own = {f.split(".", 1)[1]: by for f, by in substituted.items() if f.split(".")[0] == name}
        if own:
            frame.attrs[SUBSTITUTED] = own
        frame.to_parquet(run.path(name), index=False)
    kept_lines = lines.loc[lines["timestamp"] < run.end]
    aggregate.baskets_from_lines(kept_lines).to_parquet(run.path("baskets"), index=False)
    write_csv(loaded.rejects, run.path("rejects"))  # raw client values: never live formulas

    customers = loaded.tables.get("customers")
    member_ids = set(kept_lines["customer_id"].dropna().unique())
    unknown = len(member_ids - set(customers["customer_id"])) if customers is not None else None
    run.write("data_quality", {
        "source": cfg.name,
        "simulated": cfg.simulated,
        "currency": cfg.currency,
        "month": str(period),
        # the clock is a volatile fact (manifest.json); only a configured extract date is data
        "data_end": cfg.data_end,
        "tables": {name: rep.to_dict() | {"rows_after_month": after_month[name]}
                   for name, rep in loaded.reports.items()},
        "absent_tables": [t for t in ("customers", "surveys", "complaints", "campaigns")
                          if t not in loaded.tables],
        "rejected_rows": len(loaded.rejects),
        "first_timestamp": lines["timestamp"].min(),
        "last_timestamp": lines["timestamp"].max(),
        "member_ids_not_in_customers": unknown,
        "substituted": substituted,
    })
    run.path("prepared").write_text(json.dumps({"config": str(cfg.path), "month": str(period), "language": cfg.language}),
                                    encoding="utf-8")
    return run


def _as_of(complaints: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Complaints closed after the month's end were still open at the end."""
    later = complaints["closed_at"] >= end
    out = complaints.copy()
    out.loc[later, "closed_at"] = pd.NaT
    out.loc[later, "resolved"] = False
    return out
