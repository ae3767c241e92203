"""`retention ledger`: the track record of a config's published months, as the consultant reads it in a
terminal: the forecasts scored against what happened (each published month's actions summary keeps the
record to its month; the latest word on each forecast month wins) and every list measured, contacted
against held out (the ledger's list results)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from retention_lib.analytics import holdouts, ledger
from retention_lib.core import stages
from retention_lib.core.config import Config
from retention_lib.report import holdouts_display
from retention_lib.report.actions_display import track_record_table
from retention_lib.report.text import say

_MONTH = re.compile(r"\d{4}-\d{2}")


def published_months(reports_dir: Path, cfg: Config) -> list[Path]:
    """The config's published month folders in `reports_dir`, oldest first."""
    out = []
    for folder in sorted(p for p in Path(reports_dir).iterdir() if p.is_dir() and _MONTH.fullmatch(p.name)):
        prepared = folder / stages.RUN_FILES["prepared"].path
        if not prepared.exists() or not (folder / stages.artifact("report_html").path).exists():
            continue
        made_for = json.loads(prepared.read_text(encoding="utf-8")).get("config", "")
        if Path(made_for).resolve() == Path(cfg.path).resolve():
            out.append(folder)
    return out


def forecast_record(reports_dir: Path, cfg: Config) -> pd.DataFrame:
    rows = {}
    for folder in published_months(reports_dir, cfg):
        summary = folder / stages.artifact("actions_summary").path
        if summary.exists():
            for r in json.loads(summary.read_text(encoding="utf-8")).get("track_record") or []:
                rows[r["for_month"]] = r
    return pd.DataFrame([rows[m] for m in sorted(rows)])


def lines(reports_dir: Path, cfg: Config) -> list[str]:
    """What `retention ledger` prints, in the active language."""
    out = []
    record = forecast_record(reports_dir, cfg)
    if len(record):
        out += [say("console.ledger.forecasts", name=cfg.name, n=len(record)),
                track_record_table(record).to_string(index=False), ""]
    else:
        out += [say("console.ledger.no_forecasts", name=cfg.name, folder=str(reports_dir)), ""]
    results = ledger.read(ledger.ledger_path(reports_dir, cfg.slug, "list_results"), holdouts.RESULT_COLUMNS)
    for made_in in sorted(set(results["made_in"])):
        out += [say("console.ledger.lists", month=made_in),
                holdouts_display.results_table(results, made_in).to_string(index=False), ""]
    if results.empty:
        out.append(say("console.ledger.no_lists", folder=str(reports_dir)))
    return out
