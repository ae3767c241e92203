"""A config's month end to end as `retention run` makes it (the demo month by default), on DuckDB and on
Spark: each step's wall time and the process tree's peak, the whole month beside its target (issue 28:
a demo month within 30 s on DuckDB and 2 min on Spark, on a quiet 2-core machine), and Spark's steps as
a ratio of DuckDB's, measured in the same run.

Each engine first runs the month once untimed, so the timed run finds the data store up to date, as a
monthly run does after the first month; `--cold` times the first run instead.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from retention_lib.core.paths import DEFAULT_CONFIG

from .chain import OK_EXITS, peak_mb, run_month, steps

TARGET_S = {"duckdb": 30.0, "spark": 120.0}


def month_steps(config: Path, month: str, engine: str, reports: Path, cold: bool, log=print) -> tuple[dict, int]:
    """{step: (wall s, peak MB)} of one run of the month, `month` the whole run, and its exit code."""
    cmd = [sys.executable, "-m", "retention_lib", "run", "--config", str(config), "--month", month,
           "--engine", engine, "--reports-dir", str(reports), "--force"]
    if not cold:
        log(f"{engine}: a first run to bring the data store up to date (not timed)")
        code, *_ = run_month(cmd, log=lambda line: None)
        if code not in OK_EXITS:
            return {}, code
    log(f"{engine}: timed run: " + " ".join(cmd))
    code, lines, samples, start, end = run_month(cmd, log=lambda line: None)
    out = {name: (t1 - t0, peak_mb(samples, t0, t1)) for name, t0, t1 in steps(lines, start, end)}
    out["month"] = (end - start, peak_mb(samples, start, end))
    return out, code


def table(results: dict[str, dict]) -> str:
    engines = list(results)
    names = list(dict.fromkeys(n for r in results.values() for n in r))
    head = ["step"] + [f"{e} s" for e in engines] + [f"{e} peak MB" for e in engines]
    if len(engines) == 2:
        head.append(f"{engines[1]}/{engines[0]}")
    rows = []
    for name in names:
        got = [results[e].get(name) for e in engines]
        row = [name] + [f"{g[0]:.1f}" if g else "" for g in got] + [f"{g[1]:,.0f}" if g else "" for g in got]
        if len(engines) == 2:
            row.append(f"{got[1][0] / got[0][0]:.2f}x" if all(got) and got[0][0] else "")
        rows.append(row)
    for e in engines:
        wall = results[e].get("month", (float("nan"),))[0]
        rows.append([f"target ({e})", *(f"{TARGET_S[e]:.0f}" if x == e else "" for x in engines),
                     *("" for _ in engines), *([""] if len(engines) == 2 else []),
                     "met" if wall <= TARGET_S[e] else f"missed by {wall - TARGET_S[e]:.0f} s"])
    widths = [max(len(c) for c in col) for col in zip(*([head] + [r[:len(head)] for r in rows]))]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])]
                     + [fmt(r[:len(head)]) + ("  " + r[len(head)] if len(r) > len(head) else "") for r in rows])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks month", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--month", default="2025-12", help="YYYY-MM (default 2025-12, the demo's last month)")
    parser.add_argument("--engine", action="append", choices=sorted(TARGET_S),
                        help="an engine to time (repeatable; default: duckdb, then spark where it can run)")
    parser.add_argument("--cold", action="store_true", help="time the first run (a data store to fill)")
    args = parser.parse_args(argv)
    engines = args.engine
    if not engines:
        from retention_lib.data.engine import spark_missing

        missing = spark_missing()
        engines = ["duckdb"] + ([] if missing else ["spark"])
        if missing:
            print(f"spark skipped: {missing}")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
    results, failed = {}, []
    with tempfile.TemporaryDirectory(prefix="retention-month-") as tmp:
        for engine in engines:
            results[engine], code = month_steps(args.config, args.month, engine, Path(tmp) / engine, args.cold,
                                                log=lambda msg: print(msg, flush=True))
            if code not in OK_EXITS:
                failed.append(f"{engine}: retention run exited {code}")
    print(table({e: r for e, r in results.items() if r}))
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    for line in failed:
        print(line, file=sys.stderr)
    return 1 if failed else 0
