"""PyMC-Marketing's side of `python -m benchmarks pymc`, run by the Python of its own venv.

It imports nothing from retention_lib (that venv does not have it): it reads the (frequency,
recency, T) rows that pymc_reference.py wrote, fits BetaGeoModel by MAP, predicts with the MAP
point estimate, and writes its timings and parameters as JSON and its predictions as .npy files.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

PARAMS = ("r", "alpha", "a", "b")
WARM_UP_CUSTOMERS = 1000


def best_of(fn, repeat: int):
    """(best seconds, result of the last run)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=Path, help=".npy file of (frequency, recency, T) rows, one per customer")
    parser.add_argument("out", type=Path, help="folder for result.json, p_alive.npy and expected.npy")
    parser.add_argument("--horizon", type=float, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # ArviZ's notice of its coming refactor, on import
        from pymc_extras.prior import Prior
        from pymc_marketing.clv import BetaGeoModel

    rows = np.load(args.rows)
    data = pd.DataFrame({"customer_id": np.arange(len(rows)), "frequency": rows[:, 0], "recency": rows[:, 1],
                         "T": rows[:, 2]})
    # flat priors: the MAP is then the maximum-likelihood fit, which ours must match
    config = {name: Prior("HalfFlat") for name in PARAMS}

    def fit(frame):
        model = BetaGeoModel(model_config=config)
        model.fit(data=frame, method="map", progressbar=False)
        return model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(data.head(WARM_UP_CUSTOMERS))   # compiles pytensor's C code (cached on disk): not timed
        fit_s, model = best_of(lambda: fit(data), args.repeat)
        alive_s, alive = best_of(model.expected_probability_alive, args.repeat)
        expected_s, expected = best_of(lambda: model.expected_purchases(future_t=args.horizon), args.repeat)
    params = {name: float(model.fit_result[name].values.squeeze()) for name in PARAMS}
    np.save(args.out / "p_alive.npy", np.asarray(alive).reshape(-1))
    np.save(args.out / "expected.npy", np.asarray(expected).reshape(-1))
    result = {"versions": {"python": platform.python_version(),
                           **{p: version(p) for p in ("pymc-marketing", "pymc", "pytensor", "numpy", "scipy")}},
              "fit_s": fit_s, "p_alive_s": alive_s, "expected_s": expected_s, "params": params}
    (args.out / "result.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
