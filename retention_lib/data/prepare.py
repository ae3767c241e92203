"""Preparing a month's run folder: bring the source's validated data store up to date (lines netted
into baskets), record the partitions to the month's end that the month reads, and write the
data-quality facts. Notebooks open a run with `open_run`,
which prepares it on first use and reuses the folder afterwards."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from retention_lib.core import stages
from retention_lib.core.config import Config, load_config
from retention_lib.core.messages import Message
from retention_lib.core.paths import LAB_DIR, REPORTS_DIR
from retention_lib.core.run import Run
from retention_lib.core.spreadsheets import write_csv
from retention_lib.data import aggregate, engine, quality, store
from retention_lib.data.validation import ValidationError


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


def default_run_dir(config: Config, month: pd.Period | str, reports: Path = REPORTS_DIR) -> Path:
    """Where notebooks opened in JupyterLab keep their run: apart from published months."""
    return reports / LAB_DIR / f"{config.slug}-{month}"


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
                return Run(cfg.in_language(meta.get("language")).on_engine(meta.get("engine")),
                           pd.Period(meta["month"], "M"), Path(run_dir))
    return prepare_run(cfg, month, run_dir, now=now)


def _lab_copy(cfg: Config, published: Path) -> Run:
    meta = json.loads((published / stages.RUN_FILES["prepared"].path).read_text(encoding="utf-8"))
    month = pd.Period(meta["month"], "M")
    cfg = cfg.in_language(meta.get("language")).on_engine(meta.get("engine"))
    lab = published.resolve().parent / LAB_DIR / f"{cfg.slug}-{month}"   # beside the published months
    if not (lab / stages.RUN_FILES["prepared"].path).exists():
        shutil.rmtree(lab, ignore_errors=True)
        shutil.copytree(published, lab, ignore=shutil.ignore_patterns("*.ipynb", "outbox", "manifest.json",
                                                                     "run.log", "report.html"))
    return Run(cfg, month, lab, lab_copy=True)


def prepare_run(cfg: Config, month: str | None, run_dir: str | Path | None, *,
                now: pd.Timestamp | None = None, say=None) -> Run:
    """Bring the source's data store up to date, and record in a new run folder what `month` reads."""
    current = store.update(cfg, now=now, say=say)
    lines = current["tables"]["transactions"]
    tx_file = cfg.tables["transactions"].origin
    first, last = _time_range(cfg, current)
    period = pd.Period(month, "M") if month else last_complete_month(last)
    run = Run(cfg, period, Path(run_dir) if run_dir else default_run_dir(cfg, period))
    if not any(p["month"] == str(period) and p["rows"] for p in lines["partitions"]):
        raise ValidationError(
            tx_file, "timestamp", "month_without_data",
            f"no transactions in {period}; the data covers {first:%Y-%m-%d} to {last:%Y-%m-%d}")

    snap = store.snapshot(current, cfg.store_dir, period)
    substituted = {f: by for f, by in sorted(substituted_fields(cfg).items()) if f.split(".")[0] in cfg.tables}
    # each table carries its substituted columns, so every stage that reads it knows (core.schema)
    snap["substituted"] = {name: {f.split(".", 1)[1]: by for f, by in substituted.items() if f.split(".")[0] == name}
                           for name in cfg.tables}
    run.write("snapshot", snap)
    (say or (lambda message: None))(Message("console.store.quality", month=str(period)))
    rejects = store.read_rejects(snap)
    write_csv(rejects, run.path("rejects"))  # raw client values: never live formulas

    run.write("data_quality", {
        "source": cfg.name,
        "simulated": cfg.simulated,
        "currency": cfg.currency,
        "month": str(period),
        # the clock is a volatile fact (manifest.json); only a configured extract date is data
        "data_end": cfg.data_end,
        "tables": {name: rep | {"rows_after_month": snap["rows_after_month"][name]}
                   for name, rep in snap["reports"].items()},
        "absent_tables": [t for t in ("customers", "surveys", "complaints", "campaigns")
                          if t not in cfg.tables],
        "rejected_rows": len(rejects),
        "first_timestamp": first,
        "last_timestamp": last,
        "member_ids_not_in_customers": _unknown_members(cfg, run) if "customers" in cfg.tables else None,
        "substituted": substituted,
        # what looks wrong: changed history, suspect ids, outlier baskets, gaps, top-ups (data/quality)
        **quality.flags(run, rejects),
    })
    run.path("prepared").write_text(json.dumps({"config": str(cfg.path), "month": str(period), "language": cfg.language,
                                                "engine": cfg.engine.backend}), encoding="utf-8")
    return run


def _time_range(cfg: Config, current: dict) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last line of the whole data (all months), from the store's lines."""
    con = engine.connect(cfg.engine, cfg.store_dir / ".spill")
    files = [cfg.store_dir / p["file"] for p in current["tables"]["transactions"]["partitions"]]
    return aggregate.time_span(engine.scan(con, files), "timestamp")


def _unknown_members(cfg: Config, run: Run) -> int:
    """Members with lines to the month's end whom the customers table (to the month's end) does not know."""
    con = engine.connect(cfg.engine, cfg.store_dir / ".spill")
    lines, people = engine.scan(con, run.table_files("transactions")), engine.scan(con, run.table_files("customers"))
    ids = lines.filter(lines.customer_id.notnull()).select("customer_id").distinct()
    return int(con.execute(ids.anti_join(people, "customer_id").count()))
