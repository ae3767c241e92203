"""`retention init FILE…`: a first config for a client's POS export, guessed from the files themselves.

For each file (CSV/TXT/TSV, Excel, Parquet, or every such file in a folder) init_files looks at the head
of the file: the encoding (as the reader decides it), the delimiter, the header row and the title rows
above it; then reads a sample (the first SAMPLE_ROWS rows) and recognises the column names, Chinese or
English, by init_columns' table of synonyms (SYNONYMS), after normalising them (full-width to half-width,
case, spaces, a unit in brackets such as 金额(元)). A file with a receipt number, a time and an amount is
the transactions table; one with a member id and a join date (or a member's details) is customers. It
guesses a timestamp_format when the times are not ISO or year-first, and the decimal mark.

It writes a commented YAML config that says what it guessed and why, then validates the sample through
the real validation (retention_lib.data.loading.load_table) and prints what a first run would set aside
(rule, column, count, an example row) and which columns are not used. Everything here is a guess from
a sample and is said so: the consultant checks the config before the first run.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from retention_lib.app.init_columns import CJK, MEANING, PRESETS, match_columns, normalise
from retention_lib.app.init_files import (SAMPLE_ROWS, FileGuess, InitError, discover, sniff_file)
from retention_lib.core.config import ConfigError, load_config
from retention_lib.core.schema import TABLES
from retention_lib.core.settings import DEFAULTS
from retention_lib.data.readers import ReadError
from retention_lib.data.validation import ValidationError

__all__ = ["PRESETS", "InitError", "match_columns", "normalise", "render_config", "run_init", "sniff_file"]
EXIT_WRITTEN, EXIT_MISSING, EXIT_EXISTS = 0, 2, 3
PLAIN = re.compile(r"[\w\u3400-\u9fff][\w\u3400-\u9fff()（）/.%+ -]*")


# --------------------------------------------------------------------------- the config
def _yaml(value) -> str:
    """A YAML scalar for text: plain when YAML reads it back as the same text, else double-quoted (JSON)."""
    text = str(value)
    if PLAIN.fullmatch(text) and not text.endswith(" "):
        try:
            if yaml.safe_load(text) == text:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def _path_for(path: Path, config: Path) -> str:
    """The file relative to the config (as the config reads paths), or absolute when far from it."""
    rel = Path(os.path.relpath(path, config.parent.resolve()))
    return path.as_posix() if rel.parts[:3] == (os.pardir,) * 3 else rel.as_posix()


def _comment(text: str, indent: int) -> list[str]:
    return [" " * indent + "# " + line for line in text.splitlines()]


def _chosen(guesses: list[FileGuess]) -> tuple[dict[str, FileGuess], list[str]]:
    """The file each table reads (the first recognised), and notes on the files left out."""
    tables, notes = {}, []
    for guess in guesses:
        if guess.table is None:
            notes.append(f"{guess.path.name}: not used: {guess.table_note}; its columns: {', '.join(guess.columns)}")
        elif guess.table in tables:
            notes.append(f"{guess.path.name}: also looks like {guess.table}, but a config reads one file per table "
                         f"({tables[guess.table].path.name} is used): combine the files into one and point "
                         f"tables.{guess.table}.path at it")
        else:
            tables[guess.table] = guess
    return tables, notes


def language_of(guesses: list[FileGuess]) -> str:
    headers = [c.column for g in guesses for c in g.mapping.values()]
    return "zh-CN" if headers and sum(bool(CJK.search(h)) for h in headers) * 2 >= len(headers) else "en"


def render_config(guesses: list[FileGuess], output: Path, name: str) -> str:
    """The commented YAML config: what was guessed, and why."""
    tables, left_out = _chosen(guesses)
    language = language_of(guesses)
    out = [f"# Written by `retention init` from {len(guesses)} file(s). Everything below is guessed from the first",
           f"# {SAMPLE_ROWS:,} rows of each file: check it, then run `retention run --config {output.as_posix()}`.",
           f"name: {_yaml(name)}", "source: files",
           "currency: CNY              # guessed: a Chinese store's money is yuan; change it if not"]
    if language == "zh-CN":
        out += ["report:", "  language: zh-CN          # guessed from the Chinese column names; en for English"]
    out.append("tables:")
    for table in ("transactions", "customers"):
        guess = tables.get(table)
        if guess is None:
            if table == "transactions":
                out += ["  transactions:", "    path: TODO               # TODO required: no file looks like sales "
                        "lines (a receipt number, a time and an amount)"]
            continue
        out.append(f"  {table}:")
        rows = f"{len(guess.sample):,} rows read" if len(guess.sample) < SAMPLE_ROWS else f"the first {SAMPLE_ROWS:,} rows read"
        out += _comment(f"{guess.path.name} ({rows}): {guess.table_note}", 4)
        if guess.preset is not None:
            out += _comment(f"its names are {guess.preset.name}'s, as documented at {guess.preset.source}", 4)
        out.append(f"    path: {_yaml(_path_for(guess.path, output))}")
        if guess.kind == "csv":
            if guess.encoding == "utf-8-sig":
                out += _comment(f"encoding: auto ({guess.encoding_note})", 4)
            else:
                out.append(f"    encoding: gb18030        # {guess.encoding_note}")
            if guess.delimiter != ",":
                out.append(f"    delimiter: {json.dumps(guess.delimiter)}           # {guess.delimiter_note}")
        if guess.kind == "excel":
            out.append(f"    sheet: {_yaml(guess.sheet)}          # {guess.sheet_note}")
        if guess.skip_rows:
            shown = "; ".join(repr(t) for t in guess.titles if t)[:120] or "blank"
            out.append(f"    skip_rows: {guess.skip_rows}             # guessed: {guess.skip_rows} title row(s) above the "
                       f"header (row {guess.skip_rows + 1}): {shown}")
        if guess.timestamp_format:
            out.append(f"    timestamp_format: {json.dumps(guess.timestamp_format)}   # {guess.timestamp_note}")
        elif guess.timestamp_note:
            out += _comment(guess.timestamp_note, 4)
        if guess.decimal != ".":
            out.append(f"    decimal: \"{guess.decimal}\"             # {guess.decimal_note}")
        out.append("    columns:")
        for canonical in TABLES[table].names:
            col = guess.mapping.get(canonical)
            if col is None:
                if canonical in guess.missing:
                    out.append(f"      # {canonical}: TODO        # TODO required: {MEANING[canonical]}; no column name "
                               "looks like it: write the client's column here and remove the #")
                continue
            also = f"; also possible: {', '.join(col.alternatives)}" if col.alternatives else ""
            out.append(f"      {canonical}: {_yaml(col.column)}    # {col.column} → {canonical}: "
                       f"{MEANING[canonical]} ({col.why}{also})")
        if guess.unused:
            out += _comment(f"columns not used: {', '.join(guess.unused)}", 4)
        for note in guess.notes:
            out += _comment(note, 4)
    for note in left_out:
        out += _comment(note, 2)
    data_end = _extract_day(guesses)
    out += ["settings:",
            f"  # data_end: {data_end}    # the day the export was taken: later timestamps are rejected as future; "
            "without it, today (guessed from the files' date: check)",
            f"  max_reject_share: {DEFAULTS.max_reject_share}     # a rule that would set aside more than this share of a "
            "table stops the run"]
    for guess in tables.values():
        out += [f"  # {line}" for line in guess.settings]
    return "\n".join(out) + "\n"


def _extract_day(guesses: list[FileGuess]) -> str:
    latest = max(g.path.stat().st_mtime for g in guesses)
    return dt.date.fromtimestamp(latest).isoformat()


# --------------------------------------------------------------------------- the sample through validation
@dataclass
class SampleCheck:
    table: str
    file: str
    rows: int
    kept: int = 0
    rejects: list[tuple[str, str, int, str]] = field(default_factory=list)   # rule, column, count, example
    error: str | None = None
    read_by: str = "the sniffing"     # who read the sample: the product's reader (with the written config) or init


def _reader_head(source) -> tuple[pd.DataFrame, int]:
    """The first SAMPLE_ROWS rows of a configured table as a run reads them, and the file row of the first."""
    from retention_lib.data import readers

    options = (readers.reader_options(source) if hasattr(readers, "reader_options")
               else {"encoding": source.encoding, "sheet": source.sheet})
    chunks = readers.iter_raw(source.path, rows_per_chunk=SAMPLE_ROWS, **options)
    frame, first = next(chunks, (None, None))
    chunks.close()
    if frame is None:
        frame, first = readers.read_raw(source.path, **options)
    return frame.head(SAMPLE_ROWS).reset_index(drop=True), first


def check_samples(guesses: list[FileGuess], written=None) -> list[SampleCheck]:
    """Each chosen table's first rows validated as a first run would validate them (load_table on a config
    that points at the sample), with no share limit: what would be set aside, by rule and column. With
    `written` (the written config, loaded) the rows are read by the product's reader with its options, so
    the sample is what the run reads; else the rows init read itself."""
    from retention_lib.data.loading import data_end_of, load_table

    tables, _ = _chosen(guesses)
    checks = []
    with tempfile.TemporaryDirectory(prefix="retention-init-") as work:
        folder = Path(work)
        specs, samples = {}, {}
        for table, guess in tables.items():
            if guess.missing:
                continue
            check = SampleCheck(table, guess.path.name, 0)
            sample, first = guess.sample, guess.first_row
            if written is not None and table in written.tables:
                try:
                    sample, first = _reader_head(written.tables[table])
                    check.read_by = "the reader"
                except ReadError as exc:
                    check.error = f"the file cannot be read with the written config: {exc}"
                    checks.append(check)
                    continue
            check.rows = len(sample)
            sample_file = folder / f"{table}.parquet"
            sample.reset_index(drop=True).to_parquet(sample_file, index=False)
            spec = {"path": sample_file.name, "columns": {c: m.column for c, m in guess.mapping.items()},
                    "decimal": guess.decimal}
            if guess.timestamp_format:
                spec["timestamp_format"] = guess.timestamp_format
            specs[table], samples[table] = spec, (check, sample, first)
        if "transactions" not in specs:
            return checks
        config = folder / "sample.yml"
        config.write_text(yaml.safe_dump({"name": "sample", "source": "files", "tables": specs,
                                          "settings": {"max_reject_share": 1.0}}, allow_unicode=True),
                          encoding="utf-8")
        cfg = load_config(config)
        end = data_end_of(cfg)
        for table, (check, sample, first) in samples.items():
            guess = tables[table]
            try:
                _, rejects, report = load_table(cfg, table, end)
            except (ValidationError, ReadError) as exc:
                check.error = str(exc).replace(str(folder / f"{table}.parquet"), guess.path.name)
                checks.append(check)
                continue
            check.kept = report.rows_kept
            for (rule, column), hits in rejects.groupby(["rule", "column"], sort=False):
                index = int(hits["row"].iloc[0]) - 1          # the sample file's rows count from 1
                check.rejects.append((rule, column or "(whole row)", len(hits),
                                      _example(guess, sample, first, index)))
            checks.append(check)
    return checks


def _example(guess: FileGuess, sample: pd.DataFrame, first: int, index: int) -> str:
    row = sample.iloc[index]
    shown = ", ".join(f"{m.column}={row[m.column]!s}" for m in guess.mapping.values() if m.column in row.index)
    return f"row {first + index}: {shown}"


# --------------------------------------------------------------------------- the command
def slug_of(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKC", text).lower()).strip("-")


def default_name(paths, files: list[Path]) -> str:
    first = Path(paths[0])
    return (first if first.is_dir() else files[0].parent).resolve().name or "client"


@dataclass
class Result:
    code: int
    output: Path | None
    guesses: list[FileGuess]
    checks: list[SampleCheck]


def run_init(paths, output: str | Path | None = None, name: str | None = None, force: bool = False,
             say=print) -> Result:
    """Guess a config for the files, write it, validate a sample, and tell the consultant what was guessed."""
    files = discover(paths)
    name = name or default_name(paths, files)
    out = Path(output) if output else Path("data") / f"{slug_of(name) or slug_of(default_name(paths, files)) or 'client'}.yml"
    if out.exists() and not force:
        say(f"refused: {out} exists; pass --force to replace it")
        return Result(EXIT_EXISTS, None, [], [])
    guesses = []
    for path in files:
        try:
            guesses.append(sniff_file(path))
        except ReadError as exc:
            say(f"{path.name}: cannot be read: {exc}")
    if not guesses:
        raise InitError("none of the files could be read")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_config(guesses, out, name), encoding="utf-8")
    code = EXIT_WRITTEN
    tables, left_out = _chosen(guesses)
    say(f"retention init: {len(guesses)} file(s); every mapping below is guessed from the first {SAMPLE_ROWS:,} rows")
    for guess in guesses:
        code = max(code, _describe(guess, tables, out, say))
    for note in left_out:
        say(f"note: {note}")
    if "transactions" not in tables:
        say("error: no file looks like sales lines (a receipt number, a time and an amount); "
            f"set tables.transactions in {out}")
        code = EXIT_MISSING
    say(f"written: {out}")
    try:
        config = load_config(out)
    except ConfigError as exc:
        config = None
        say(f"error: the written config is not accepted: {'; '.join(exc.problems)}")
        code = EXIT_MISSING
    checks = check_samples(guesses, config)
    if any(g.missing for g in tables.values()) or "transactions" not in tables:
        say("the sample is not validated: fill in the required columns first, then run retention init again "
            "(with --force) or retention run")
    for check in checks:
        if check.error:
            say(f"{check.file}: a first run would stop: {check.error}")
            code = EXIT_MISSING
            continue
        if not check.rejects:
            say(f"{check.file}: a first run would set aside none of the {check.rows:,} sample rows")
            continue
        say(f"{check.file}: a first run would set aside, of the {check.rows:,} sample rows:")
        for rule, column, count, example in check.rejects:
            share = count / check.rows
            stop = (f"  (more than max_reject_share {DEFAULTS.max_reject_share:.0%}: the run would stop)"
                    if share > DEFAULTS.max_reject_share else "")
            say(f"  {rule} on {column}: {count:,} rows ({share:.1%}){stop}; e.g. {example}")
    if code == EXIT_WRITTEN:
        say(f"check the guesses in {out}, then: retention run --config {out}")
    return Result(code, out, guesses, checks)


def _describe(guess: FileGuess, tables: dict[str, FileGuess], out: Path, say) -> int:
    if guess.table is None or tables.get(guess.table) is not guess:
        return EXIT_WRITTEN
    say(f"{guess.path.name} → {guess.table} ({guess.table_note})")
    layout = [f"sample of {len(guess.sample):,} rows"]
    if guess.kind == "csv":
        layout.insert(0, "encoding UTF-8" if guess.encoding == "utf-8-sig" else "encoding GB18030 (not UTF-8)")
        layout.insert(1, f"delimiter {json.dumps(guess.delimiter)}")
    if guess.kind == "excel":
        layout.insert(0, f"sheet {guess.sheet}")
    if guess.skip_rows:
        layout.append(f"{guess.skip_rows} title row(s) above the header (guessed)")
    if guess.timestamp_format:
        layout.append(f"timestamp_format {guess.timestamp_format} (guessed)")
    if guess.decimal != ".":
        layout.append("decimal comma (guessed)")
    say("  " + "; ".join(layout))
    for col in guess.mapping.values():
        say(f"  {col.column} → {col.canonical} ({col.why})")
    say(f"  not used: {', '.join(guess.unused) or 'none'}")
    for note in guess.notes:
        say(f"  note: {note}")
    code = EXIT_WRITTEN
    for canonical in guess.missing:
        say(f"error: {guess.table}: the required column {canonical} ({MEANING[canonical]}) was not found in "
            f"{guess.path.name}.\n  the file's columns: {', '.join(guess.columns)}\n"
            f"  fill in this line under tables.{guess.table}.columns in {out}:\n"
            f"      {canonical}: <the column with {MEANING[canonical]}>")
        code = EXIT_MISSING
    return code
