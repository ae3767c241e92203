"""Time the headline figures' intervals (models.uncertainty) on the benchmark's generated store.

`python -m benchmarks.uncertainty [--customers N]`: the purchase log of run.py's benchmark, its summary,
BG/NBD and Gamma-Gamma fitted (not timed), then the covariances and the intervals of every headline
figure (200 draws) timed best-of-`--repeat` with their peak memory (memory.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

from retention_lib.models import btyd, uncertainty
from retention_lib.models.clv import fit_gamma_gamma
from retention_lib.models.histories import Histories
from retention_lib.models.summary import summarise

from . import data
from .run import measure


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.uncertainty", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="retention-bench-") as tmp:
        path = Path(tmp) / "purchases.parquet"
        data.write(data.generate(args.customers, args.seed), path)
        summary = summarise(path, observation_end=data.observation_end(), freq="D", multiplier=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, spend = btyd.fit(summary, "bgnbd"), fit_gamma_gamma(summary)
    print(f"{len(summary):,} customers, {len(Histories(summary['frequency'], summary['recency'], summary['T'])):,} "
          f"distinct histories; load average {os.getloadavg()[0]:.2f}", flush=True)
    covs = measure(lambda: (uncertainty.model_covariance(model, summary), uncertainty.spend_covariance(spend, summary)),
                   args.repeat)
    model_cov, spend_cov = covs[2]
    figures = measure(lambda: uncertainty.headline(model, summary, spend, model_cov=model_cov, spend_cov=spend_cov),
                      args.repeat)
    print(f"covariances (BG/NBD, Gamma-Gamma): {covs[0]:.2f} s, peak {covs[1]:,.0f} MB")
    print(f"intervals of the headline figures ({uncertainty.N_DRAWS} draws): {figures[0]:.2f} s, "
          f"peak {figures[1]:,.0f} MB")
    for name, iv in figures[2].items():
        print(f"  {name}: {iv.point:,.1f}, very likely between {iv.low:,.1f} and {iv.high:,.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
