"""The validated data store of a source: each table validated once, kept as Parquet partitioned by month.

    <store>/<table>/month=YYYY-MM/<sha256[:16]>.parquet    rows whose time column falls in that month
    <store>/<table>/month=none/...                          rows without one (a customer with no join date)
    <store>/rejects/<table>-<sha256[:16]>.parquet            the rows set aside, with their rule and reason
    <store>/keys/<table>-<sha256[:16]>.parquet               a chunk's columns the rules comparing rows read
    <store>/current.json                                     what the store holds and what it was made from

Partitions are named by their content, so they never change once written: a month's run records the
files it read (data/snapshot.json, and manifest.json), and the same files give the same artifacts.
A run revalidates only a table whose file changed (size and mtime first, then sha256) or whose
validation rules did (the table's mapping, the settings that validate, the product version); a
partition whose rows did not change is the same file and is not written again. A changed file under
the same rules resumes: its chunks whose rows did not change keep their one-row outcome and their keys
file, so a new month appended to an unchanged history validates the new rows (and compares them with
the old ones), not the history (validated.Resume). Baskets are netted from the lines by the engine
(retention_lib.data.aggregate) whenever the lines changed. The files are written by store_files.

The store checks itself: current.json records each file's sha256, size and mtime, and every update
compares the size and mtime of every file it lists, hashing a file whose size or mtime differ
(`verify`, `retention run --verify-store`, hashes them all). A file missing, changed or unreadable is
rebuilt: its table revalidated from the source file (the baskets netted again from the lines), and a
file whose content is not its name is replaced. Without the source file the update stops with a
MachineFault naming the file and the command that rebuilds it.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shlex
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from importlib.metadata import version

import pandas as pd

from retention_lib.core.config import Config
from retention_lib.core.faults import MachineFault
from retention_lib.core.messages import Message
from retention_lib.core.schema import NO_MONTH
from retention_lib.data import aggregate, engine, store_files
from retention_lib.data.loading import data_end_of
from retention_lib.data.store_files import TOPUPS, sha256
from retention_lib.data.validated import PROGRESS_ROWS, Resume, Stale, validate_file
from retention_lib.data.sources import ensure_source_files
from retention_lib.data.validation import REJECT_COLUMNS, ValidationError

FORMAT = 2            # the store's layout; a change revalidates every table (2: line identity, top-ups apart)
CURRENT = "current.json"
LISTED = ("month", "file", "sha256", "rows")   # what a snapshot lists of a partition (its size and mtime: the store's)


def fingerprint(path: Path, before: dict | None) -> dict:
    """Size, mtime and sha256 of a source file; the hash is reused while size and mtime are unchanged."""
    stat = path.stat()
    if before and before.get("bytes") == stat.st_size and before.get("mtime_ns") == stat.st_mtime_ns:
        return before
    return {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256(path)}


def _rules_key(cfg: Config, name: str) -> str:
    """Everything besides the file and the data's end (_still_valid) that decides what validation keeps: a
    change revalidates the table."""
    source = asdict(cfg.tables[name]) | {"path": None}
    rules = {"format": FORMAT, "version": version("retention-report"), "table": source,
             "max_reject_share": cfg.max_reject_share, "null_ids": list(cfg.setting("null_customer_ids")),
             "topup_markers": list(cfg.setting("topup_markers")), "max_basket_amount": cfg.setting("max_basket_amount")}
    return hashlib.sha256(json.dumps(rules, sort_keys=True, default=str).encode()).hexdigest()


@contextmanager
def _locked(root: Path):
    """One update of a store at a time (two months of one source may run at once)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_current(root: Path, say: Callable[[Message], None]) -> dict:
    path = root / CURRENT
    if path.exists():
        try:
            current = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:   # cut short or overwritten: the files are named by content, so nothing is lost
            say(Message("console.store.current_unreadable", file=str(path)))
            current = None
        if isinstance(current, dict) and current.get("format") == FORMAT:
            return current
    return {"format": FORMAT, "tables": {}, "baskets": None}


def _still_valid(entry: dict | None, fp: dict, key: str, end: pd.Timestamp) -> bool:
    """The same file under the same rules, validated against the same end (settings.data_end, else the
    clock), or an earlier one when no row was later than it (a later end changes nothing then)."""
    if not entry or entry["fingerprint"]["sha256"] != fp["sha256"] or entry["rules"] != key or "end" not in entry:
        return False
    return str(end) == entry["end"] or (not entry["report"]["rejected_by_rule"].get("future_timestamp")
                                        and end >= pd.Timestamp(entry["end"]))


def _files(entry: dict) -> list[dict]:
    """The store's files of a table: its partitions (the transactions' top-ups too), its chunks' keys files
    and its rejects (a store made before the rejects' record was kept gets one, checked against the file's
    name)."""
    files = list(entry["partitions"]) + list(entry.get("topups") or []) + [c["keys"] for c in entry.get("chunks") or []]
    if entry.get("rejects"):
        if (entry.get("rejects_file") or {}).get("file") != entry["rejects"]:
            entry["rejects_file"] = {"file": entry["rejects"]}
        files.append(entry["rejects_file"])
    return files


def _listed(parts: list[dict]) -> list[dict]:
    return [{k: p[k] for k in LISTED} for p in parts]


class _Check:
    """The store's files against what current.json recorded: size and mtime, and the sha256 of a file
    whose size or mtime differ (of every file when `full`). A file found intact by its hash gets its
    size and mtime recorded again (a store copied without its times is hashed once)."""

    def __init__(self, root: Path, full: bool):
        self.root, self.full, self.files, self.hashed = root, full, 0, 0

    def problem(self, rec: dict) -> str | None:
        """None, or what is wrong with the file: missing, changed or unreadable."""
        path = self.root / rec["file"]
        self.files += 1
        try:
            stat = path.stat()
        except FileNotFoundError:
            return "missing"
        except OSError:
            return "unreadable"
        if not self.full and "sha256" in rec and (rec.get("bytes"), rec.get("mtime_ns")) == (stat.st_size,
                                                                                            stat.st_mtime_ns):
            return None
        try:
            digest = sha256(path)
        except OSError:
            return "unreadable"
        self.hashed += stat.st_size
        if rec.get("sha256", digest) != digest or not path.stem.endswith(digest[:16]):
            return "changed"
        rec.update(sha256=digest, bytes=stat.st_size, mtime_ns=stat.st_mtime_ns)
        return None

    def damaged(self, files: list[dict]) -> list[tuple[dict, str]]:
        """(file, problem) of every damaged file among `files`."""
        return [(rec, problem) for rec in files if (problem := self.problem(rec))]


def _rebuild_command(cfg: Config) -> str:
    return f"retention run --config {shlex.quote(str(cfg.path))} --verify-store"


def _require_source(cfg: Config, name: str, before: dict | None, check: _Check) -> None:
    """A configured table file that is not there stops the update (a fault of the setup, not of the
    data): naming a damaged store file that it alone could rebuild, else the file and its config key."""
    path = cfg.tables[name].path
    if path.exists():
        return
    bad = check.damaged(_files(before)) if before else []
    if bad:
        rec, problem = bad[0]
        what = {"missing": "is missing", "changed": "has changed since it was written"}.get(problem, "cannot be read")
        raise MachineFault(check.root / rec["file"], f"this file of the data store {what} and cannot be rebuilt: "
                           f"the {name} table's file {path} does not exist",
                           f"put {path} back (tables.{name}.path in {cfg.path}), then run: {_rebuild_command(cfg)}")
    raise MachineFault(path, f"the {name} table's file does not exist", f"check tables.{name}.path in {cfg.path}")


def _net(con, root: Path, parts: list[dict], before: dict | None, check: _Check) -> dict:
    """The baskets netted from the lines partitions `parts`: of the months whose lines changed since
    `before` was netted when no basket has lines both in such a month and in another (every basket of an
    unchanged month is then as it was, and its file stays), else of every month."""
    lines = {p["month"]: p for p in parts if p["rows"]}
    made = (before or {}).get("lines")
    changed = {m for m in lines.keys() | (made or {}).keys()
               if (lines.get(m) or {}).get("sha256") != (made or {}).get(m)}
    kept = [p for p in before["partitions"] if p["month"] not in changed and p["rows"]] if made is not None else []
    files = lambda months: [root / lines[m]["file"] for m in sorted(months)]   # noqa: E731
    if made is None or check.damaged(kept) or (changed & lines.keys() and lines.keys() - changed and con.to_pyarrow(
            engine.scan(con, files(lines.keys() - changed)).semi_join(engine.scan(con, files(changed & lines.keys()))
                                                                     .select("basket_id"), "basket_id")
            .select("basket_id").limit(1)).num_rows):
        changed, kept = set(lines), []
    months = sorted(changed & lines.keys())
    new = store_files.write_engine_partitions(con, aggregate.baskets_expr(engine.scan(con, files(months))), root,
                                              "baskets", aggregate.BASKETS_SCHEMA, aggregate.BASKETS_ORDER) \
        if months else []
    parts = sorted(kept + [p for p in new if p["rows"]], key=lambda p: p["month"])
    return {"lines": {m: p["sha256"] for m, p in lines.items()}, "partitions": parts or [
        store_files.write_month(root, "baskets", NO_MONTH, aggregate.BASKETS_SCHEMA.empty_table())]}


def update(cfg: Config, *, now: pd.Timestamp | None = None, say: Callable[[Message], None] | None = None,
           full: bool = False) -> dict:
    """Bring the source's store up to date with its files; the store's current contents (current.json).
    Each step is told to `say` (with its time), so a long validation or scan does not look frozen.
    Every file of the store it lists is checked (by size and mtime; by sha256 when they differ, or
    all when `full`) and a damaged one rebuilt.

    Raises ValidationError (nothing in the store changes) when a table breaks a rule beyond the
    allowed share, as a full load would; MachineFault when a table's file does not exist (naming the
    damaged store file it alone could rebuild); OSError (naming the store's folder when the error
    names no file) when the store cannot be written."""
    ensure_source_files(cfg)
    root = cfg.store_dir
    say = say or (lambda line: None)
    end = data_end_of(cfg, now)
    try:
        with _locked(root):
            return _update(cfg, root, end, say, full)
    except OSError as exc:
        if exc.filename is None:   # a write that fails on a full disk names no file
            exc.filename = str(root)
        raise


def verify(cfg: Config, *, now: pd.Timestamp | None = None, say: Callable[[Message], None] | None = None) -> dict:
    """`update` with every file of the store checked by its sha256 (`retention run --verify-store`)."""
    return update(cfg, now=now, say=say, full=True)


def _update(cfg: Config, root: Path, end, say: Callable[[Message], None], full: bool) -> dict:
    for stale in root.glob("**/.tmp-*"):   # left by a run that was stopped mid-way (we hold the lock)
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    t_check, check = time.monotonic(), _Check(root, full)
    if full:
        say(Message("console.store.verifying", store=str(root)))
    current = _read_current(root, say)
    tables = {}
    for name, source in cfg.tables.items():
        before = current["tables"].get(name)
        if source.engine_table is None:
            _require_source(cfg, name, before, check)
            fp = fingerprint(source.path, before["fingerprint"] if before else None)
        else:
            con = engine.connect(cfg.engine, root / ".spill")
            fp = engine.table_fingerprint(con, engine.source_table(con, source.engine_table))
        key = _rules_key(cfg, name)
        bad = check.damaged(_files(before)) if before else []
        if _still_valid(before, fp, key, end):
            if not bad:
                tables[name] = before | {"fingerprint": fp}
                say(Message("console.store.unchanged", table=name, file=source.label))
                continue
            rec, problem = bad[0]
            say(Message("console.store.rebuilding", table=name, n=len(bad), file=rec["file"],
                        problem=Message(f"console.store.problem.{problem}"), source=source.label))
        # the same rules on a changed file: its chunks that did not change keep their outcome
        resume = Resume(root, before, end) if before and before["rules"] == key and "end" in before and not bad \
            else None
        if source.engine_table is None:
            say(Message("console.store.validating", table=name, file=source.label, mb=fp["bytes"] / 1e6))
        else:
            say(Message("console.store.validating_table", table=name, source=source.label, rows=fp["rows"]))
        t0 = time.monotonic()
        work = root / f".tmp-validate-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        try:
            con = engine.connect(cfg.engine, root / ".spill")
            try:
                checked = validate_file(cfg, name, end, work, con, say, resume)
            except Stale:
                shutil.rmtree(work, ignore_errors=True)
                checked = validate_file(cfg, name, end, work, con, say)
            if checked.report.rows_read >= PROGRESS_ROWS:
                say(Message("console.store.writing", table=name, months=len(checked.months),
                            seconds=time.monotonic() - t0))
            parts = store_files.write_validated_months(root, name, checked)
            topups = store_files.write_validated_months(root, name, checked, topups=True) \
                if name == "transactions" else None
            chunks = store_files.publish_keys(root, name, checked.chunks)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        report = checked.report
        rejects = store_files.write_rejects(root, name, checked.rejects)
        tables[name] = {"fingerprint": fp, "rules": key, "report": report.to_dict(), "partitions": parts,
                        "rejects": rejects and rejects["file"], "rejects_file": rejects, "end": str(end),
                        "chunks": chunks}
        if topups is not None:
            tables[name]["topups"] = topups
        say(Message("console.store.validated.topups" if report.topup_rows else "console.store.validated", table=name,
                    kept=report.rows_kept, rejected=sum(report.rejected_by_rule.values()), topups=report.topup_rows,
                    seconds=time.monotonic() - t0))
    if not any(p["rows"] for p in tables["transactions"]["partitions"]):
        raise ValidationError(cfg.tables["transactions"].origin, None, "empty_table", "no usable transaction lines")
    lines_key = hashlib.sha256(json.dumps(_listed(tables["transactions"]["partitions"])).encode()).hexdigest()
    baskets = current.get("baskets")
    bad = check.damaged(baskets["partitions"]) if baskets and baskets["from"] == lines_key else []
    if bad:
        rec, problem = bad[0]
        say(Message("console.store.rebuilding_baskets", n=len(bad), file=rec["file"],
                    problem=Message(f"console.store.problem.{problem}")))
    if not baskets or baskets["from"] != lines_key or bad:
        say(Message("console.store.netting", engine=cfg.engine.backend))
        t0 = time.monotonic()
        baskets = _net(engine.connect(cfg.engine, root / ".spill"), root, tables["transactions"]["partitions"],
                       None if bad else baskets, check) | {"from": lines_key}
        say(Message("console.store.netted", baskets=sum(p["rows"] for p in baskets["partitions"]),
                    seconds=time.monotonic() - t0))
    current = {"format": FORMAT, "tables": tables, "baskets": baskets}
    tmp = root / f".{CURRENT}.tmp"
    tmp.write_text(json.dumps(current, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, root / CURRENT)
    listed = {root / c["keys"]["file"] for entry in tables.values() for c in entry.get("chunks") or []}
    for file in (root / "keys").glob("*.parquet"):   # a month's run reads no keys file: those replaced go
        if file not in listed:
            file.unlink()
    if full:
        say(Message("console.store.verified", files=check.files, mb=check.hashed / 1e6,
                    seconds=time.monotonic() - t_check))
    return current


def snapshot(current: dict, root: Path, month: pd.Period) -> dict:
    """What a run of `month` reads: each table's partitions to the month's end (and those without a
    month), with the rows left after it, the validation reports and the rejects."""
    last = str(month)
    tables = dict(current["tables"]) | {"baskets": {"partitions": current["baskets"]["partitions"]},
                                        TOPUPS: {"partitions": current["tables"]["transactions"].get("topups", [])}}
    out = {"store": str(root), "month": last, "tables": {}, "rows_after_month": {}, "reports": {}, "rejects": {}}
    for name, entry in tables.items():
        parts = entry["partitions"]
        out["tables"][name] = _listed([p for p in parts if p["month"] <= last or p["month"] == NO_MONTH])
        out["rows_after_month"][name] = sum(p["rows"] for p in parts if NO_MONTH != p["month"] > last)
        if name not in ("baskets", TOPUPS):
            out["reports"][name] = entry["report"]
            out["rejects"][name] = entry["rejects"]
    out["id"] = hashlib.sha256(json.dumps(out["tables"], sort_keys=True).encode()).hexdigest()[:16]
    return out


def read_rejects(snap: dict) -> pd.DataFrame:
    """Every row set aside, table by table in the config's order."""
    root = Path(snap["store"])
    frames = [pd.read_parquet(root / f) for f in snap["rejects"].values() if f]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECT_COLUMNS)
