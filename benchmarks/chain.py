"""One month of a simulated supermarket chain, end to end, exactly as `retention run` makes it.

The chain is generated in this process (chain_data; its peak is this process's RSS high-water
mark), then `retention run` runs in a subprocess while the whole process tree (the run and the
Jupyter kernels it starts) is sampled every SAMPLE_S with psutil, summing RSS. Sums count pages
shared between processes twice, and a spike shorter than a sample can be missed. Steps come from
the run's console lines, timed as they arrive: `prepare` up to the first notebook, one step per
notebook, `publish` after the last one; `chain_month` is the whole run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from . import chain_data, memory

SAMPLE_S = 0.2
OK_EXITS = (0, 5)   # published; 5: some parts unavailable on this data
# "[3/8] 03_churn_model.ipynb ..." starts a notebook, the same prefix with "done in" ends it (any language)
NOTEBOOK_LINE = re.compile(r"\[(\d+)/(\d+)\] (\S+)\.ipynb")
KEYS = ("name", "members", "lines", "wall_s", "peak_mb")


def tree_rss(proc: psutil.Process) -> int:
    """RSS of a process and all its descendants, in bytes (0 once it is gone)."""
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:   # ended between listing and reading
            pass
    return total


def run_month(cmd: list[str], log=print) -> tuple[int, list[tuple[float, str]], list[tuple[float, int]], float, float]:
    """Run `cmd`, echoing its console; returns (exit code, timed lines, RSS samples, start, end)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTION_SMTP")}   # never send mail
    lines: list[tuple[float, str]] = []
    samples: list[tuple[float, int]] = []
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)

    def read():
        for line in proc.stdout:
            lines.append((time.monotonic(), line.rstrip("\n")))
            log(f"  | {line.rstrip()}")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        samples.append((time.monotonic(), tree_rss(watched)))
        time.sleep(SAMPLE_S)
    end = time.monotonic()
    reader.join()
    return proc.returncode, lines, samples, start, end


def steps(lines: list[tuple[float, str]], start: float, end: float) -> list[tuple[str, float, float]]:
    """(name, from, to) of prepare, each notebook and publish, from the run's timed console lines."""
    marks: dict[str, list[float]] = {}
    for t, line in lines:
        found = NOTEBOOK_LINE.search(line)
        if found:
            marks.setdefault(found.group(3), []).append(t)
    books = list(marks)
    if not books:
        return [("prepare", start, end)]
    out = [("prepare", start, marks[books[0]][0])]
    for i, book in enumerate(books):
        last = i + 1 == len(books)
        until = marks[books[i + 1]][0] if not last else (marks[book][1] if len(marks[book]) > 1 else end)
        out.append((book, marks[book][0], until))
    out.append(("publish", out[-1][2], end))
    return out


def peak_mb(samples: list[tuple[float, int]], t0: float, t1: float) -> float:
    """Largest tree RSS in [t0, t1], counting the last sample before t0 (the step's memory at entry)."""
    before = [rss for t, rss in samples if t < t0][-1:]
    within = [rss for t, rss in samples if t0 <= t <= t1]
    return max(before + within, default=0) / memory.MB


def row(name: str, made: dict, wall_s: float, peak: float, **extra) -> dict:
    return {"name": name, "members": made["members"], "lines": made["lines"], "wall_s": round(wall_s, 3),
            "peak_mb": round(peak, 1), **extra}


def table(results: list[dict]) -> str:
    head = ("step", "wall s", "peak MB", "members", "lines")
    rows = [(r["name"], f"{r['wall_s']:.1f}", f"{r['peak_mb']:,.0f}", f"{r['members']:,}", f"{r['lines']:,}")
            for r in results]
    widths = [max(len(c) for c in col) for col in zip(head, *rows)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def write_json(results: list[dict], path: Path) -> None:
    Path(path).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def generate(data_dir: Path, log=print, **kwargs) -> tuple[dict, dict]:
    """The chain (reused when its stamp matches) and its `generate` row."""
    with memory.peak_rss() as grew:
        base = psutil.Process().memory_info().rss / memory.MB
        start = time.perf_counter()
        made, reused = chain_data.ensure(data_dir, log=log, **kwargs)
        wall = time.perf_counter() - start
    if reused:
        log(f"reusing the chain in {data_dir} (made with the same arguments; its generation as measured then)")
        measured = made.get("generate", {"wall_s": float("nan"), "peak_mb": float("nan")})
    else:
        measured = {"wall_s": wall, "peak_mb": base + grew["mb"]}
        made = chain_data.note(data_dir, generate=measured)
    return made, row("generate", made, measured["wall_s"], measured["peak_mb"], reused=reused)


def cold(data_dir: Path, log=print) -> None:
    """Remove what a run left beside the chain's files (the validated data store, say), so every
    run starts from the client files as a first run on them does."""
    made = chain_data.generated_files()
    left = sorted(p for p in data_dir.iterdir() if p.name not in made)
    for path in left:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    if left:
        log(f"removed what an earlier run left beside the chain: {', '.join(p.name for p in left)}")


def run(members: int, stores: int | None, months: int, month: str | None, workdir: Path, seed: int = 2024,
        log=print) -> tuple[list[dict], int]:
    data_dir, reports = workdir / "data", workdir / "reports"
    made, gen = generate(data_dir, log=log, members=members, stores=stores, months=months, seed=seed)
    log(f"chain: {made['members']:,} members ({made['two_store_members']:,} also in a second store), "
        f"{made['options']['stores']} stores, {made['lines']:,} lines ({chain_data.lines_per_member(made):.1f} "
        f"per member), {made['baskets']:,} baskets over {months} months")
    shutil.rmtree(reports, ignore_errors=True)   # a first publish of the month, every time
    cold(data_dir, log)
    month = month or made["month"]
    cmd = [sys.executable, "-m", "retention_lib", "run", "--config", str(data_dir / chain_data.CONFIG),
           "--month", month, "--reports-dir", str(reports)]
    log("running: " + " ".join(cmd))
    code, lines, samples, start, end = run_month(cmd, log)
    results = [gen] + [row(name, made, t1 - t0, peak_mb(samples, t0, t1))
                       for name, t0, t1 in steps(lines, start, end)]
    results.append(row("chain_month", made, end - start, peak_mb(samples, start, end), month=month, exit_code=code))
    return results, code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks chain", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, required=True, help="members of the chain")
    parser.add_argument("--stores", type=int, help=f"stores (default: one per {chain_data.MEMBERS_PER_STORE:,} "
                        "members, at least 2)")
    parser.add_argument("--months", type=int, default=24, help="months of history (default 24; below 6, no campaigns)")
    parser.add_argument("--month", help="the month to run, YYYY-MM (default: the data's last month)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", type=Path, help="also write the steps to this file as a JSON list")
    parser.add_argument("--workdir", type=Path, help="where the chain and the reports go, kept and reused "
                        "(default: a temporary folder, deleted at the end unless --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="retention-chain-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs, {psutil.virtual_memory().total / memory.MB:,.0f} MB, load average "
          f"{os.getloadavg()[0]:.2f}; workdir {workdir}", flush=True)
    log = lambda msg: print(msg, flush=True)
    try:
        results, code = run(args.members, args.stores, args.months, args.month, workdir.resolve(), args.seed, log)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.workdir is None:
            print(f"kept {workdir}")
    print(table(results))
    if args.json:
        write_json(results, args.json)
        print(f"written {args.json}")
    if code not in OK_EXITS:
        print(f"retention run failed with exit code {code}", file=sys.stderr)
        return 1
    return 0
