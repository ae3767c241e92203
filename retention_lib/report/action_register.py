"""The stores' action register: the month's store actions (analytics/store_pages) as a workbook the stores
fill in, and the filled register read back the next month to say what became of them.

- `rows`: one row per proposed action, with a stable id `<month>-<store>-<n>` (n: the action's place on the
  store's page), the action in the report's language and the contact list it names (store_pages.ACTION_LISTS).
- `write`: actions/action_register.xlsx in the run folder, in the report's language, with the columns a
  store fills in: owner, due date (prefilled: the next month's last day), status (a drop-down of the four
  statuses) and note. Client text never becomes a formula (core/spreadsheets).
- The file has one name in every language: `action_register.xlsx` (ASCII travels safely through mail, zip
  and shells). The consultant puts the filled register back in the client's folder (the config's folder,
  `Config.data_dir`); `find` takes the newest `action_register*.xlsx` there, or `行动登记*.xlsx` for a
  register renamed in Chinese (either case of letters).
- `read` takes headers, statuses and contact lists in any of the report's languages or as internal names,
  ignoring surrounding spaces (full-width ones too) and letter case, and finds the header row below a title
  a store added. What it cannot use is a problem naming the file, the column, the Excel row and the rule,
  never an exception: a malformed register must not stop the monthly run. A required column missing, or a
  file that is no workbook: nothing is read. A row without an action id, with an id already seen, or
  without a month: left out. An unknown status: the row is kept, unfilled. A due date that is not a day, or
  an unknown list: that cell is left out.
- `follow_up`: the counts per earlier month and store, the done actions and the lists they used (to be
  joined with the lists' measured results), and the problems; `sentences` says it.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from retention_lib.analytics.store_pages import ACTION_LISTS, LISTS
from retention_lib.core.messages import Message
from retention_lib.core.spreadsheets import DANGEROUS_STARTS, write_xlsx
from retention_lib.report import language
from retention_lib.report.text import month_label, say, say_html

FILE = "action_register.xlsx"
PATTERNS = ("action_register*.xlsx", "行动登记*.xlsx")   # in the client's folder, matched without case
COLUMNS = ("action_id", "month", "store", "action", "list", "owner", "due", "status", "note")
WRITTEN = COLUMNS[:5]                                    # what `rows` gives; the rest the store fills in
REQUIRED = ("action_id", "month", "store", "status")
STATUSES = ("not_started", "in_progress", "done", "not_done")
COUNTS = ("done", "in_progress", "not_started", "not_done", "unfilled")   # as sentences say them
HEADER_ROWS = 10      # the header may sit below a title a store added
STORES_SAID = 30      # stores said one by one per month; the rest in one sentence
_ID = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<store>.+)-\d+")
_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?")


# --------------------------------------------------------------------------- the month's register
def header(column: str) -> str:
    return say(f"action_register.column.{column}")


def rows(store_pages: dict, month) -> pd.DataFrame:
    """One row per action proposed on the store pages (`store_pages` artifact, or StorePages.to_dict()),
    in the pages' order: action_id, month (YYYY-MM), store, action (plain text in the active language),
    list (retain / winback / welcome, or None)."""
    month = str(pd.Period(month, "M"))
    out = []
    for page in [*store_pages.get("stores", []), *store_pages.get("more_pages", [])]:
        store = str(page["store_id"])
        for n, action in enumerate(page.get("actions") or [], start=1):
            message = action if isinstance(action, Message) else Message.from_dict(action)
            out.append({"action_id": f"{month}-{store}-{n}", "month": month, "store": store,
                        "action": say(message), "list": ACTION_LISTS.get(message.key)})
    return pd.DataFrame({c: pd.Series([r[c] for r in out], dtype=object) for c in WRITTEN})   # None stays None


def to_xlsx(actions: pd.DataFrame, path: Path, month) -> Path:
    """`rows` as the workbook the stores fill in, in the active language: owner, status and note blank,
    the due date the next month's last day, a drop-down of the statuses."""
    due = (pd.Period(month, "M") + 1).end_time.normalize()
    frame = actions.assign(month=[month_label(m) for m in actions["month"]],
                           list=[say(f"action_register.list.{n}") if isinstance(n, str) else None
                                 for n in actions["list"]],
                           owner=None, due=pd.Series(due, index=actions.index, dtype="datetime64[ns]"),
                           status=None, note=None)[list(COLUMNS)]
    statuses = [say(f"action_register.status.{s}") for s in STATUSES]
    return write_xlsx(frame.rename(columns=header), path, sheet=say("action_register.sheet"),
                      choices={header("status"): statuses})


def write(run) -> Path | None:
    """actions/action_register.xlsx in the run folder, in the report's language; None without the
    `store_pages` artifact."""
    facts = run.read("store_pages") if run.has("store_pages") else None
    if facts is None:
        return None
    path = run.path("action_register")
    with language.speaking(run.config.language):
        return to_xlsx(rows(facts, run.month), path, run.month)


# --------------------------------------------------------------------------- the filled register back
def find(run) -> Path | None:
    """The newest `action_register*.xlsx` (or `行动登记*.xlsx`) in the client's folder; None without one."""
    try:
        found = [p for p in Path(run.config.data_dir).iterdir() if p.is_file()
                 and any(fnmatch.fnmatchcase(p.name.casefold(), pattern) for pattern in PATTERNS)]
        return max(found, key=lambda p: (p.stat().st_mtime_ns, p.name), default=None)
    except OSError:   # no folder, or one we may not list: no register to follow up, never a failed run
        return None


@dataclass
class RegisterRead:
    path: Path
    rows: pd.DataFrame                   # "row" (the Excel row number) and COLUMNS, internal values
    problems: list[Message] = field(default_factory=list)
    readable: bool = True                # False: no workbook, or a required column missing (no rows)

    def texts(self) -> list[str]:
        """The problems in the active language."""
        return [say(p) for p in self.problems]


def _normal(value) -> str:
    """A header or typed value compared as a reader sees it: full-width forms and spaces folded, runs of
    spaces as one, no surrounding spaces or closing full stop, any letter case."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip().rstrip(".。!！").strip()
    return text.casefold()


@lru_cache(maxsize=None)
def _names(namespace: str, keys: tuple[str, ...]) -> dict[str, str]:
    """Every language's words for the keys (and the keys themselves) back to the key."""
    out = {_normal(k): k for k in keys} | {_normal(k.replace("_", " ")): k for k in keys}
    for tag in language.LANGUAGES:
        with language.speaking(tag):
            out |= {_normal(say(f"{namespace}.{k}")): k for k in keys}
    return out


def _status_names() -> dict[str, str]:
    return _names("action_register.status", STATUSES)


def _list_names() -> dict[str, str]:
    files = {_normal(f"{n}.{ext}"): n for n in LISTS for ext in ("csv", "xlsx")}
    return _names("action_register.list", LISTS) | files


def _text(value) -> str | None:
    """A cell as text, without the quote spreadsheets put before a formula start; None when blank."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in DANGEROUS_STARTS:
        text = text[1:]
    return text or None


def _month(value) -> str | None:
    """A month cell as YYYY-MM: as written (2025-11, 2025年11月), or a day Excel made of it."""
    if isinstance(value, dt.date):
        return str(pd.Period(value, "M"))
    m = _MONTH.fullmatch(unicodedata.normalize("NFKC", str(value or "")).strip())
    return str(pd.Period(year=int(m[1]), month=int(m[2]), freq="M")) if m and 1 <= int(m[2]) <= 12 else None


def _day(value) -> tuple[dt.date | None, bool]:
    """A due date as a day, and whether the cell held one (a blank cell does: no due date)."""
    if isinstance(value, dt.datetime):
        return value.date(), True
    if isinstance(value, dt.date):
        return value, True
    text = _text(value) if isinstance(value, str) else value
    if text is None:
        return None, True
    m = _DAY.fullmatch(unicodedata.normalize("NFKC", text)) if isinstance(text, str) else None
    if m is None:   # words, numbers (an Excel serial without a date format), times
        return None, False
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])), True
    except ValueError:   # 2026-02-30
        return None, False


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Read rows as a frame: text columns keep None for a blank (never NaN), due dates are datetimes."""
    frame = pd.DataFrame({"row": pd.Series([r["row"] for r in rows], dtype="int64"),
                          **{c: pd.Series([r[c] for r in rows], dtype=object) for c in COLUMNS}})
    frame["due"] = pd.to_datetime(frame["due"])
    return frame


def _empty() -> pd.DataFrame:
    return _frame([])


def _sheet_rows(path: Path) -> list[tuple]:
    """The cells of the sheet that holds the register (the first with an action-id header; else the
    first), from A1, so positions are Excel's rows and columns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # openpyxl warns of the extensions WPS and Excel add, and drops them
        book = load_workbook(path, data_only=True)
    try:
        sheets = [list(ws.iter_rows(min_row=1, min_col=1, values_only=True)) for ws in book.worksheets]
    finally:
        book.close()
    return next((cells for cells in sheets if _header(cells)[1].get("action_id")), sheets[0] if sheets else [])


def _headers() -> dict[str, str]:
    """Every language's headers (and the internal names) back to the column."""
    return _names("action_register.column", COLUMNS)


def _header(cells: list[tuple]) -> tuple[int, dict[str, tuple[int, str]]]:
    """The header row's index and its known columns: internal name → (position, header as written)."""
    names = _headers()
    best: tuple[int, dict] = (0, {})
    for at, row in enumerate(cells[:HEADER_ROWS]):
        found: dict[str, tuple[int, str]] = {}
        for position, value in enumerate(row):
            column = names.get(_normal(value)) if isinstance(value, str) else None
            if column and column not in found:
                found[column] = (position, value.strip())
        if "action_id" in found:
            return at, found
        if len(found) > len(best[1]):
            best = (at, found)
    return best


def read(path: Path) -> RegisterRead:
    """A filled register under internal names and values (see the module docstring), whatever language
    it speaks; its problems are collected, never raised."""
    path = Path(path)
    problems: list[Message] = []

    def problem(rule: str, row: int, column: str | None = None, **params) -> None:
        problems.append(Message(f"action_register.problem.{rule}", file=path.name, row=row,
                                **({"column": column} if column is not None else {}), **params))

    try:
        cells = _sheet_rows(path)
    except Exception:   # not a zip, a CSV renamed, a damaged or locked file: every way a file fails to open
        problems.append(Message("action_register.problem.unreadable", file=path.name))
        return RegisterRead(path, _empty(), problems, readable=False)
    at, columns = _header(cells)
    missing = [c for c in REQUIRED if c not in columns]
    for c in missing:
        problem("missing_column", at + 1, header(c))
    if missing:
        return RegisterRead(path, _empty(), problems, readable=False)

    statuses, lists = _status_names(), _list_names()
    out, seen = [], {}
    for index in range(at + 1, len(cells)):
        row, line = cells[index], index + 1

        def cell(column: str):
            position = columns.get(column, (None,))[0]
            return row[position] if position is not None and position < len(row) else None

        def name(column: str) -> str:
            return columns[column][1]

        def key_of(column: str, names: dict[str, str], allowed: tuple[str, ...]) -> str | None:
            """The internal key of a labelled cell (a status, a list), in either language; an
            unknown label is a problem and no key."""
            shown = _text(cell(column))
            if shown is None:
                return None
            key = names.get(_normal(shown))
            if key is None:
                problem(column, line, name(column), value=shown, allowed=list(allowed))
            return key

        if all(_text(v) is None for v in row):
            continue   # an empty row between or below the actions
        action_id = _text(cell("action_id"))
        if action_id is None:
            problem("no_id", line, name("action_id"))
            continue
        if action_id in seen:
            problem("duplicate", line, name("action_id"), value=action_id, first=seen[action_id])
            continue
        seen[action_id] = line
        by_id = _ID.fullmatch(action_id)
        month = _month(cell("month")) or (by_id["month"] if by_id else None)
        if month is None:
            problem("month", line, name("month"), value=_text(cell("month")) or "")
            continue
        status = key_of("status", statuses, STATUSES)
        due, is_day = _day(cell("due"))
        if not is_day:
            problem("due", line, name("due"), value=_text(cell("due")) or "")
        listed = key_of("list", lists, LISTS)
        out.append({"row": line, "action_id": action_id, "month": month,
                    "store": _text(cell("store")) or (by_id["store"] if by_id else None),
                    "action": _text(cell("action")), "list": listed, "owner": _text(cell("owner")),
                    "due": due, "status": status, "note": _text(cell("note"))})
    return RegisterRead(path, _frame(out), problems)


# --------------------------------------------------------------------------- following up
def _counts(statuses) -> dict[str, int]:
    statuses = list(statuses)
    shown = [s if isinstance(s, str) else "unfilled" for s in statuses]
    return {"actions": len(shown), **{k: shown.count(k) for k in COUNTS}}


def follow_up(run) -> dict:
    """What became of the actions of months before the run's, from the register `find` finds: counts per
    month and store, the done actions and the lists they used, and the problems (rendered in the report's
    language, and as messages). JSON-ready; {"found": False, ...} without a register."""
    month, folder = str(run.month), Path(run.config.data_dir)
    out = {"found": False, "month": month, "previous_month": str(run.month - 1), "folder": str(folder),
           "file": None, "readable": False, "totals": _counts([]), "months": [], "done_lists": [],
           "problems": [], "problem_messages": []}
    path = find(run)
    if path is None:
        return out
    register = read(path)
    earlier = register.rows[register.rows["month"] < month]
    with language.speaking(run.config.language):
        problems = register.texts()
    out |= {"found": True, "file": path.name, "readable": register.readable, "totals": _counts(earlier["status"]),
            "problems": problems, "problem_messages": [p.to_dict() for p in register.problems]}
    for m, of_month in earlier.groupby("month", sort=True):
        stores = []
        for store, of_store in of_month.groupby(of_month["store"].fillna(""), sort=True):
            done = of_store[of_store["status"] == "done"]
            stores.append({"store": str(store), **_counts(of_store["status"]),
                           "done_actions": done["action_id"].tolist()})
            out["done_lists"] += [{"month": str(m), "store": str(store), "list": r["list"], "action_id": r["action_id"]}
                                  for _, r in done.iterrows() if isinstance(r["list"], str)]
        out["months"].append({"month": str(m), **_counts(of_month["status"]), "stores": stores})
    return out


def _said_counts(counts: dict) -> list[str]:
    return [say(f"action_register.count.{k}", n=counts[k]) for k in COUNTS if counts[k]]


def sentences(follow_up: dict) -> list[str]:
    """The actions section's sentences (HTML: client text escaped) in the active language: how each
    earlier month's register came back, per store, and its problems; or that none was found."""
    if not follow_up.get("found"):
        return [say_html("action_register.missing", folder=follow_up["folder"], month=follow_up["previous_month"],
                         file=FILE)]
    out = []
    if follow_up["readable"] and not follow_up["months"]:
        out.append(say_html("action_register.nothing_earlier", file=follow_up["file"], folder=follow_up["folder"],
                            month=follow_up["month"]))
    for month in follow_up["months"]:
        out.append(say_html("action_register.returned", month=month["month"], n=month["actions"],
                            counts=_said_counts(month)))
        out += [say_html("action_register.store", store=s["store"], counts=_said_counts(s))
                for s in month["stores"][:STORES_SAID]]
        if len(month["stores"]) > STORES_SAID:
            out.append(say_html("action_register.stores_more", n=len(month["stores"]) - STORES_SAID))
    problems = follow_up["problem_messages"]
    if problems:
        out.append(say_html("action_register.problems", n=len(problems), file=follow_up["file"]))
        out += [say_html(p) for p in problems]
    return out
