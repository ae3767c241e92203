"""Time our summary, BG/NBD fit and CLV against lifetimes and a plain DuckDB GROUP BY.

Everything is measured in the same run on the same generated data. Our functions and the
GROUP BY are timed best-of-`--repeat`; lifetimes (much slower) once. Peak memory is the RSS
growth during the call (see memory.py), so it includes DuckDB's own allocations.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from retention_lib.models import btyd
from retention_lib.models.clv import clv, fit_gamma_gamma
from retention_lib.models.summary import summarise

from . import data, memory

LIFETIMES_MAX_CUSTOMERS = 2_000_000   # lifetimes' summary needs ~7 GB per million customers
# lifetimes' CLV convention (GammaGammaFitter.customer_lifetime_value with freq="W"), used on both sides
WEEKS_PER_MONTH, DISCOUNT_PER_MONTH, MONTHS = 4.345, 0.01, 12
GROUP_BY_SQL = ("SELECT customer_id, count(*) AS n, min(timestamp) AS first, max(timestamp) AS last, "
                "sum(amount) AS spend FROM read_parquet('{path}') GROUP BY customer_id")


def measure(fn, repeat: int = 1):
    """(best seconds, largest peak MB, result of the last run) over `repeat` runs."""
    best, peak, out = math.inf, 0.0, None
    for _ in range(repeat):
        out = None
        with memory.peak_rss() as mem:
            start = time.perf_counter()
            out = fn()
            elapsed = time.perf_counter() - start
        best, peak = min(best, elapsed), max(peak, mem["mb"])
    return best, peak, out


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.abs(a - b) / np.abs(b)
    d[(a == b)] = 0.0
    return float(np.max(d)) if d.size else 0.0


def lifetimes_summary(frame: pd.DataFrame, end) -> pd.DataFrame:
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(frame, "customer_id", "timestamp", "amount",
                                              observation_period_end=end, freq="D", freq_multiplier=7)


def lifetimes_bgnbd(params: dict | None = None):
    from lifetimes import BetaGeoFitter

    model = BetaGeoFitter()
    if params is not None:   # a fitter carrying given parameters, as fit() would leave it
        model.params_ = pd.Series(params)
        model.predict = model.conditional_expected_number_of_purchases_up_to_time
    return model


def run(customers: int, seed: int = 2024, repeat: int = 5, lifetimes_customers: int | None = None,
        workdir: str | None = None, log=print) -> list[dict]:
    results: list[dict] = []

    def record(name, ours, ref, lines, ref_peak, ref_desc, check, note="", ref_customers=None, max_rel_diff=None):
        results.append({"name": name, "ours_s": ours[0], "ref_s": ref, "speedup": ref / ours[0],
                        "customers": customers, "lines": lines, "ours_peak_mb": ours[1],
                        "ref": ref_desc, "ref_peak_mb": ref_peak, "ref_customers": ref_customers or customers,
                        "max_rel_diff": max_rel_diff, "check": check, "note": note})

    with tempfile.TemporaryDirectory(dir=workdir, prefix="retention-bench-") as tmp:
        path = Path(tmp) / "purchases.parquet"
        start = time.perf_counter()
        purchases = data.generate(customers, seed)
        generated = time.perf_counter() - start
        data.write(purchases, path)
        written = time.perf_counter() - start - generated
        lines, end = len(purchases), data.observation_end()
        log(f"data: {customers:,} customers, {lines:,} purchase lines ({lines / customers:.1f} each) over "
            f"{data.DAYS} days, seed {seed}; generated in {generated:.1f} s, Parquet written in {written:.1f} s "
            f"({path.stat().st_size / memory.MB:,.0f} MB)")
        del purchases

        # ---- summary: ours, a plain GROUP BY, lifetimes
        ours = measure(lambda: summarise(path, observation_end=end, freq="D", multiplier=7), repeat)
        summary = ours[2]

        def group_by():
            con = duckdb.connect()   # as summarise does: a fresh in-memory connection
            return con.execute(GROUP_BY_SQL.format(path=path)).df()

        plain = measure(group_by, repeat)
        record("summary_vs_groupby", ours, plain[0], lines, plain[1], "DuckDB GROUP BY customer_id: count/min/max/sum",
               f"{len(plain[2]):,} customers in both", "both read the Parquet file and return a DataFrame")

        sample = min(lifetimes_customers or customers, customers, LIFETIMES_MAX_CUSTOMERS)
        con = duckdb.connect()
        if sample < customers:
            ids = np.sort(np.random.default_rng(seed).choice(summary.index.to_numpy(), sample, replace=False))
            con.register("ids", pd.DataFrame({"customer_id": ids}))
            frame = con.execute(f"SELECT * FROM read_parquet('{path}') SEMI JOIN ids USING (customer_id)").df()
        else:
            frame = con.execute(f"SELECT * FROM read_parquet('{path}')").df()
        ref_lines = len(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_s, ref_peak, ref = measure(lambda: lifetimes_summary(frame, end))
        del frame
        mine = summary.loc[ref.index]
        counts_equal = all(np.array_equal(mine[c].to_numpy(float), ref[c].to_numpy(float))
                           for c in ("frequency", "recency", "T"))
        money_diff = rel_diff(mine["monetary_value"], ref["monetary_value"])
        check = f"frequency/recency/T {'identical' if counts_equal else 'DIFFER'}, monetary max rel diff {money_diff:.1e}"
        note = "lifetimes gets an in-memory DataFrame (read not timed); ours reads the Parquet file"
        if sample < customers:
            note = (f"lifetimes timed on {sample:,} random customers ({ref_lines:,} lines, {ref_s:.2f} s) "
                    f"and scaled x{lines / ref_lines:.2f} by lines; " + note)
            ref_s *= lines / ref_lines
        record("summary_vs_lifetimes", ours, ref_s, lines, ref_peak, "lifetimes summary_data_from_transaction_data",
               check, note, ref_customers=sample, max_rel_diff=money_diff if counts_equal else None)
        del ref, mine

        # ---- BG/NBD fit: ours (compressed, analytic gradient) vs BetaGeoFitter on every customer
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = measure(lambda: btyd.fit(summary, "bgnbd"), repeat)
            model = ours[2]
            ref_s, ref_peak, ref = measure(lambda: lifetimes_bgnbd().fit(summary["frequency"], summary["recency"],
                                                                        summary["T"]))
        bg_s = ours[0]
        params_diff = max(abs(model.params[k] / float(ref.params_[k]) - 1) for k in btyd.PARAMS["bgnbd"])
        record("fit_bgnbd_vs_lifetimes", ours, ref_s, lines, ref_peak, "lifetimes BetaGeoFitter().fit, uncompressed",
               f"max rel parameter diff {params_diff:.1e}",
               f"{model.n_distinct_rows:,} distinct (x, t_x, T) rows; params "
               + ", ".join(f"{k}={v:.6g}" for k, v in model.params.items()), max_rel_diff=params_diff)

        # ---- CNBD-k fits at a given k, against our BG/NBD fit in the same run
        start = time.perf_counter()
        with_gaps = summarise(path, observation_end=end, freq="D", multiplier=7, log_gaps=True)
        gaps_s = time.perf_counter() - start
        for kind in ("bgcnbd", "mbgcnbd"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                regular = measure(lambda: btyd.fit(with_gaps, kind, k=2), repeat)
            m = regular[2]
            record(f"fit_{kind}_k2_vs_bgnbd", regular, bg_s, lines, float("nan"), "our BG/NBD fit (above)",
                   f"k = 2, log-likelihood {m.log_likelihood:,.1f}",
                   f"{m.n_distinct_rows:,} distinct rows; params " + ", ".join(f"{k}={v:.6g}" for k, v in m.params.items())
                   + f"; the summary with log inter-purchase times took {gaps_s:.1f} s (not timed)")

        # ---- 12-month CLV with the same BG/NBD and Gamma-Gamma parameters on both sides
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spend = fit_gamma_gamma(summary)
        gg_s = time.perf_counter() - start
        ours = measure(lambda: clv(model, spend, summary, months=MONTHS, periods_per_month=WEEKS_PER_MONTH,
                                   discount_per_month=DISCOUNT_PER_MONTH), repeat)
        from lifetimes import GammaGammaFitter

        gg = GammaGammaFitter()
        gg.params_ = pd.Series({"p": spend.p, "q": spend.q, "v": spend.gamma})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_s, ref_peak, ref = measure(lambda: gg.customer_lifetime_value(
                lifetimes_bgnbd(model.params), summary["frequency"], summary["recency"], summary["T"],
                summary["monetary_value"], time=MONTHS, discount_rate=DISCOUNT_PER_MONTH, freq="W"))
        clv_diff = rel_diff(ours[2].to_numpy(), ref.to_numpy())
        record("clv_12m_vs_lifetimes", ours, ref_s, lines, ref_peak,
               "lifetimes GammaGammaFitter.customer_lifetime_value", f"max rel CLV diff {clv_diff:.1e}",
               f"lifetimes' convention on both sides ({WEEKS_PER_MONTH} weeks a month, "
               f"{DISCOUNT_PER_MONTH:.0%} a month); Gamma-Gamma fitted beforehand in {gg_s:.1f} s (not timed)",
               max_rel_diff=clv_diff)
    return results


def table(results: list[dict]) -> str:
    head = ("comparison", "customers", "lines", "ours s", "ref s", "speed-up", "ours peak MB", "ref peak MB", "check")
    rows = [(r["name"], f"{r['customers']:,}", f"{r['lines']:,}", f"{r['ours_s']:.3f}", f"{r['ref_s']:.3f}",
             f"{r['speedup']:.1f}x", f"{r['ours_peak_mb']:,.0f}", f"{r['ref_peak_mb']:,.0f}", r["check"]) for r in results]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]

    def fmt(cells):
        return "  ".join(c.ljust(w) if i in (0, 8) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    lines = [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]
    lines += [f"  {r['name']}: ref = {r['ref']}; {r['note']}" for r in results]
    return "\n".join(lines)


def targets(results: list[dict]) -> str:
    by = {r["name"]: r for r in results}
    ratio = 1 / by["summary_vs_groupby"]["speedup"]
    fit, clv_ = by["fit_bgnbd_vs_lifetimes"], by["clv_12m_vs_lifetimes"]
    diff = fit["max_rel_diff"]
    items = [("summary at most 1.5x the plain GROUP BY", f"{ratio:.2f}x", ratio <= 1.5),
             ("summary at least 20x faster than lifetimes", f"{by['summary_vs_lifetimes']['speedup']:.1f}x",
              by["summary_vs_lifetimes"]["speedup"] >= 20),
             ("BG/NBD fit at most 0.5 s", f"{fit['ours_s']:.3f} s", fit["ours_s"] <= 0.5),
             ("BG/NBD parameters within 1e-5 of lifetimes", f"{diff:.1e}", diff <= 1e-5),
             ("12-month CLV at most 0.3 s", f"{clv_['ours_s']:.3f} s", clv_["ours_s"] <= 0.3)]
    items += [(f"{btyd.NAMES[kind]} fit at k = 2 at most 2 s", f"{by[f'fit_{kind}_k2_vs_bgnbd']['ours_s']:.3f} s",
               by[f"fit_{kind}_k2_vs_bgnbd"]["ours_s"] <= 2.0) for kind in ("bgcnbd", "mbgcnbd")
              if f"fit_{kind}_k2_vs_bgnbd" in by]
    return "\n".join(f"  {'met   ' if ok else 'MISSED'}  {what}: {got}" for what, got, ok in items)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["chain"]:   # python -m benchmarks chain ...: one month of a chain, end to end
        from .chain import main as chain_main

        return chain_main(argv[1:])
    if argv[:1] == ["month"]:   # python -m benchmarks month ...: the demo month, on DuckDB and on Spark
        from .month import main as month_main

        return month_main(argv[1:])
    if argv[:1] == ["pymc"]:   # python -m benchmarks pymc ...: BG/NBD against PyMC-Marketing, in its own venv
        from .pymc_reference import main as pymc_main

        return pymc_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0],
                                     epilog="python -m benchmarks chain --help: one month of a chain, end to end; "
                                            "python -m benchmarks month --help: the demo month end to end; "
                                            "python -m benchmarks pymc --help: BG/NBD against PyMC-Marketing")
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers to generate (default 1,000,000)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file as a JSON list")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=5, help="runs of ours and of the GROUP BY; the best counts")
    parser.add_argument("--lifetimes-customers", type=int, default=None,
                        help=f"time lifetimes' summary on this many random customers and scale by lines "
                             f"(default: all, at most {LIFETIMES_MAX_CUSTOMERS:,})")
    parser.add_argument("--workdir", help="where the temporary Parquet file goes (default: the system temp dir)")
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, duckdb {duckdb.__version__}, pandas {pd.__version__}, "
          f"numpy {np.__version__}, lifetimes {version('lifetimes')}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}; peak memory: {memory.METHOD}", flush=True)
    results = run(args.customers, args.seed, args.repeat, args.lifetimes_customers, args.workdir,
                  log=lambda msg: print(msg, flush=True))
    print(table(results))
    print(f"targets (set for 1,000,000 customers; load average now {os.getloadavg()[0]:.2f}):")
    print(targets(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
