"""Load every configured table, validate it, and collect the rejects."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from retention_lib.core.config import Config
from retention_lib.data.readers import read_raw
from retention_lib.data.sources import ensure_source_files
from retention_lib.data.validation import REJECT_COLUMNS, TableReport, validate_table


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
    """(clean canonical table, rejects, report) of one configured table, validated against `end`."""
    source = config.tables[name]
    raw, first_row = read_raw(source.path, encoding=source.encoding, sheet=source.sheet)
    return validate_table(raw, source, first_row, now=end, max_reject_share=config.max_reject_share,
                          null_ids=config.setting("null_customer_ids"))


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
