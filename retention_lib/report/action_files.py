"""The action lists as files for store staff (actions/<list>.csv and .xlsx), in the report's language.

The analysis keeps a list's rows under internal column names (analytics/actions: customer_id, p_alive,
contact_value …); a clerk opens the files in Excel or WPS. Each column has a kind that says how it is shown:
- its header from the catalogue (`action_file.<column>`), a money header naming the unit (储值余额（元）);
- tiers and lifecycle states as their labels, flags as yes or no;
- money rounded by the report's rule (`money_digits`: one precision per column), probabilities as whole
  percentages (0–100, the header says %), days, points and ranks as whole numbers, dates without a time.
Numbers stay numbers, so a clerk can sort and filter them: plain in the CSV (no currency symbol, no
thousands separator), numeric cells with a number format in the XLSX.

`read` gives a file back under the internal column names and values, whatever language it speaks.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from retention_lib.analytics import lifecycle, segments
from retention_lib.analytics.actions import ActionList
from retention_lib.core.spreadsheets import write_csv, write_xlsx
from retention_lib.report import language
from retention_lib.report.catalogue import MESSAGES
from retention_lib.report.text import label, money_digits, say

# Every column a list can carry, by internal name, and its kind (how it is shown), in the files' order: who
# to call and where, their state and last visit, what to say (categories, balance), then why they are listed.
KINDS = {"rank": "whole", "customer_id": "text", "name": "text", "phone": "text", "home_store": "text",
         "state": "state", "tier": "tier", "birthday": "text", "last_purchase": "date", "silent": "whole",
         "top_categories": "text", "stored_value": "money", "points": "whole", "p_alive": "percent",
         "clv": "money", "clv_if_alive": "money", "value_at_stake": "money", "contact_value": "money",
         "newly_at_risk": "yes_no"}
LABELLED = ("tier", "state")   # kinds shown as the label of their key
FORMATS = {"whole": "#,##0", "percent": "0"}
MONEY_FORMATS = {0: "#,##0", 2: "#,##0.00"}
YES_NO = {"actions.yes": True, "actions.no": False}
_UNIT = "\x00"   # a currency no catalogue knows: its unit is itself, so it marks where a header names the unit


def header(column: str, currency: str) -> str:
    return say(f"action_file.{column}", currency=currency)


def shown(rows: pd.DataFrame, currency: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """A list's rows as store staff read them, and the Excel number format of each numeric column."""
    unknown = [c for c in rows.columns if c not in KINDS]
    if unknown:   # a new column needs its kind here and its header in the catalogue
        raise KeyError(f"action list columns without a kind and a header: {unknown}")
    frame, formats = {}, {}
    for column in [c for c in KINDS if c in rows.columns]:
        values, number_format = _cells(rows[column], KINDS[column])
        frame[header(column, currency)] = values
        if number_format:
            formats[header(column, currency)] = number_format
    return pd.DataFrame(frame, index=rows.index), formats


def _cells(values: pd.Series, kind: str) -> tuple[pd.Series, str | None]:
    if kind in ("whole", "percent"):
        numeric = pd.to_numeric(values, errors="coerce").astype(float) * (100 if kind == "percent" else 1)
        return numeric.round(0).astype("Int64"), FORMATS[kind]
    if kind == "money":
        numeric = pd.to_numeric(values, errors="coerce").astype(float)
        digits = money_digits(*numeric.dropna())
        rounded = numeric.round(digits)
        return (rounded.astype("Int64") if digits == 0 else rounded), MONEY_FORMATS[digits]
    if kind == "date":
        return pd.to_datetime(values).dt.normalize(), None
    if kind in LABELLED:
        return values.map(lambda v: label(kind, v), na_action="ignore"), None
    if kind == "yes_no":
        return values.map(lambda v: say("actions.yes" if v else "actions.no"), na_action="ignore"), None
    return values, None


def write(lst: ActionList, csv_path: Path, xlsx_path: Path, currency: str) -> list[Path]:
    # client text (names, stores, categories) must not run as formulas when opened: spreadsheets neutralises it
    frame, formats = shown(lst.rows, currency)
    return [write_csv(frame, csv_path),
            write_xlsx(frame, xlsx_path, sheet=say(f"action_file.sheet.{lst.name}"), formats=formats)]


def save(run, lists: list[ActionList]) -> list[str]:
    """Each list as CSV and Excel under the run folder's actions/; returns the file names."""
    written = []
    for lst in lists:
        paths = write(lst, run.path(f"{lst.name}_csv"), run.path(f"{lst.name}_xlsx"), run.config.currency)
        written += [p.name for p in paths]
    return written


# ---------------------------------------------------------------- reading a list back
def read(path: Path) -> pd.DataFrame:
    """A list file (CSV or XLSX, in any of the report's languages) under its internal column names, with
    keys for labels, True/False for yes/no, shares for percentages: as the analysis wrote the rows, rounded."""
    path = Path(path)
    try:
        raw = (pd.read_excel(path, dtype=str) if path.suffix == ".xlsx"
               else pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, na_values=[""]))
    except pd.errors.EmptyDataError:   # a list without rows or columns (no birthdays in the data)
        return pd.DataFrame()
    frame = raw.rename(columns=column_of)
    for column in frame.columns:
        frame[column] = _back(frame[column], KINDS[column])
    return frame


def column_of(shown_header: str) -> str:
    """The internal name of a column by its header in any language, for any currency."""
    if shown_header in KINDS:
        return shown_header
    for pattern, column in _header_patterns():
        if pattern.fullmatch(shown_header):
            return column
    raise KeyError(f"{shown_header!r} is no column of an action list")


@lru_cache(maxsize=None)
def _header_patterns() -> tuple[tuple[re.Pattern, str], ...]:
    patterns = []
    for tag in language.LANGUAGES:
        with language.speaking(tag):
            for column in KINDS:
                parts = header(column, _UNIT).split(_UNIT)
                patterns.append((re.compile(".+".join(map(re.escape, parts))), column))
    return tuple(patterns)


@lru_cache(maxsize=None)
def _keys_of_labels(kind: str) -> dict[str, object]:
    """Every language's label of the kind's keys, back to the key (yes/no back to True/False)."""
    keys = YES_NO if kind == "yes_no" else {f"{kind}.{k}": k for k in (*segments.TIERS, *lifecycle.STATES)
                                             if f"{kind}.{k}" in MESSAGES}
    out: dict[str, object] = {"True": True, "False": False} if kind == "yes_no" else {}
    for tag in language.LANGUAGES:
        with language.speaking(tag):
            out |= {say(k): key for k, key in keys.items()}
    return out


def _back(values: pd.Series, kind: str) -> pd.Series:
    if kind == "whole":
        return pd.to_numeric(values).astype("Int64")
    if kind in ("money", "percent"):
        return pd.to_numeric(values).astype(float) / (100 if kind == "percent" else 1)
    if kind == "date":
        return pd.to_datetime(values)
    if kind in (*LABELLED, "yes_no"):
        known = _keys_of_labels(kind)
        return values.map(lambda v: known.get(v, v), na_action="ignore")
    return values
