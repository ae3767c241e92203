"""Load every configured table, validate it, and collect the rejects."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from retention_lib.core.config import Config
from retention_lib.data.sources import ensure_source_files
from retention_lib.data.validation import REJECT_COLUMNS, TableReport


@dataclass
class LoadedData:
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    reports: dict[str, TableReport]
    data_end: pd.Timestamp


def data_end_of(config: Config, now: pd.Timestamp | None = None) -> pd.Timestamp:
    """Latest believable timestamp: the extract date from the config, else the clock."""
    if config.data_end:
        return pd.Timestamp(config.data_end) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return pd.Timestamp(now) if now is not None else pd.Timestamp.now()


def load_table(config: Config, name: str, end: pd.Timestamp):
    """(clean canonical table, rejects, report) of one configured table, validated against `end` as
    the data store validates it (retention_lib.data.validated), in memory: for a small table or a test."""
    from retention_lib.data import engine
    from retention_lib.data.validated import to_frame, validate_file

    with tempfile.TemporaryDirectory(prefix="retention-validate-") as work:
        con = engine.connect(config.engine, Path(work) / ".spill")
        checked = validate_file(config, name, end, Path(work), con)
        return to_frame(con, checked), checked.rejects, checked.report


def load_source(config: Config, *, now: pd.Timestamp | None = None) -> LoadedData:
    ensure_source_files(config)
    end = data_end_of(config, now)
    tables, rejects, reports = {}, [], {}
    for name in config.tables:
        clean, rej, report = load_table(config, name, end)
        tables[name], reports[name] = clean, report
        rejects.append(rej)
    frames = [r for r in rejects if len(r)]
    all_rejects = (pd.concat(frames, ignore_index=True) if frames
                   else pd.DataFrame(columns=REJECT_COLUMNS))
    return LoadedData(tables, all_rejects, reports, end)
