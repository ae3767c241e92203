"""Smoke test of `python -m benchmarks` on a tiny store: it runs and writes complete figures; and
`python -m benchmarks pymc`: it skips without its venv, and its comparison holds its tolerances.

No timing is asserted here: speed is what the benchmark itself reports.
"""
from __future__ import annotations

import pytest
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks import pymc_reference

ROOT = Path(__file__).resolve().parents[2]
NAMES = {"summary_vs_lifetimes", "summary_vs_groupby", "fit_bgnbd_vs_lifetimes", "fit_bgcnbd_k2_vs_bgnbd",
         "fit_mbgcnbd_k2_vs_bgnbd", "clv_12m_vs_lifetimes"}
KEYS = ("ours_s", "ref_s", "speedup", "customers", "lines", "ours_peak_mb")


@pytest.mark.slow
def test_benchmark_entry_point_writes_every_comparison(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--customers", "2000", "--repeat", "1",
                           "--json", str(out), "--workdir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "summary_vs_groupby" in done.stdout and "targets" in done.stdout
    results = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(results, list) and {r["name"] for r in results} == NAMES and len(results) == 6
    for r in results:
        for key in KEYS:
            value = r[key]
            assert isinstance(value, (int, float)) and math.isfinite(value) and value > 0, (r["name"], key, value)
        assert r["customers"] == 2000
        assert math.isclose(r["speedup"], r["ref_s"] / r["ours_s"], rel_tol=1e-12)
    by = {r["name"]: r for r in results}
    # the comparisons are like for like: same customers and results that agree with lifetimes
    assert by["summary_vs_lifetimes"]["max_rel_diff"] < 1e-9
    assert by["fit_bgnbd_vs_lifetimes"]["max_rel_diff"] < 1e-5
    assert by["clv_12m_vs_lifetimes"]["max_rel_diff"] < 1e-9
    assert not any(tmp_path.glob("retention-bench-*")), "the generated data is left behind"


@pytest.mark.parametrize("python", ["missing", "without_pymc"])
def test_pymc_reference_skips_without_its_venv(tmp_path, python):
    # a Python that does not exist, and one (this test's) that has no pymc-marketing
    path = tmp_path / "no-such-python" if python == "missing" else Path(sys.executable)
    done = subprocess.run([sys.executable, "-m", "benchmarks", "pymc", "--customers", "200", "--python", str(path),
                           "--workdir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"skipped: {path} ")
    assert "python3 -m venv .venv-pymc && .venv-pymc/bin/pip install pymc-marketing==" in done.stdout
    assert not any(tmp_path.glob("retention-pymc-*")), "data was generated for a benchmark that cannot run"


def _sides(n=4):
    """Timings and results of the two sides of the PyMC-Marketing benchmark that agree."""
    alive, expected = np.linspace(0.1, 0.9, n), np.linspace(1.0, 40.0, n)
    params = {"r": 2.2, "alpha": 2.5, "a": 0.6, "b": 29.0}
    ours = {"fit_s": 0.3, "p_alive_s": 0.02, "expected_s": 0.08, "params": dict(params), "loglik": -1000.0,
            "p_alive": alive * (1 + 1e-6), "expected": expected * (1 - 1e-6),
            "p_alive_at_theirs": alive.copy(), "expected_at_theirs": expected * (1 + 1e-12)}
    theirs = {"fit_s": 4.2, "p_alive_s": 0.06, "expected_s": 0.21, "params": dict(params), "loglik": -1000.0,
              "p_alive": alive, "expected": expected}
    return ours, theirs


def test_pymc_comparison_agrees_only_within_its_tolerances():
    ours, theirs = _sides()
    rows = pymc_reference.compare(1_000_000, ours, theirs)
    assert [r["step"] for r in rows] == ["BG/NBD fit", "P(alive)", "expected purchases"]
    assert all(r["agrees"] for r in rows)
    assert [r["ratio"] for r in rows] == pytest.approx([14.0, 3.0, 2.625])
    assert all(ok for _, _, ok in pymc_reference.targets(rows))

    ours, theirs = _sides()
    theirs["params"]["b"] *= 1 + 2 * pymc_reference.PARAMS_TOL     # their fit elsewhere
    assert not pymc_reference.compare(10, ours, theirs)[0]["agrees"]
    ours, theirs = _sides()
    theirs["loglik"] += 1e-5                        # their fit higher than ours, by 1e-8 per customer
    assert not pymc_reference.compare(1000, ours, theirs)[0]["agrees"]
    ours, theirs = _sides()
    ours["expected_at_theirs"][1] *= 1 + 1e-6                       # our formula off given their parameters
    assert [r["agrees"] for r in pymc_reference.compare(10, ours, theirs)] == [True, True, False]
    ours, theirs = _sides()
    theirs["p_alive"] = theirs["p_alive"].copy()
    theirs["p_alive"][0] = np.nan                                   # theirs not finite for one customer
    row = pymc_reference.compare(10, ours, theirs)[1]
    assert not row["agrees"] and "not finite for 1 customers" in row["check"]


def test_pymc_targets_are_missed_when_slow():
    ours, theirs = _sides()
    ours.update(fit_s=0.6, expected_s=0.3)            # over 0.5 s, only 7x; predictions slower than theirs
    missed = [what for what, _, ok in pymc_reference.targets(pymc_reference.compare(1_000_000, ours, theirs))
              if not ok]
    assert missed == ["BG/NBD fit at 1,000,000 customers at most 0.5 s",
                      "BG/NBD fit at 1,000,000 customers at least 10x faster than PyMC-Marketing's MAP fit",
                      "expected purchases at 1,000,000 customers faster than PyMC-Marketing's"]
    text = pymc_reference.table(pymc_reference.compare(100_000, ours, theirs))
    assert "0.6000" in text and "4.2000" in text and "7.0x" in text       # each figure beside its reference


def test_max_rel_diff_counts_what_is_not_finite():
    assert pymc_reference.max_rel_diff([1.0, 2.0, 0.0], [1.0, 2.2, 0.0]) == (pytest.approx(0.2 / 2.2), 0)
    assert pymc_reference.max_rel_diff([1.0, 5.0, 3.0], [1.0, np.inf, np.nan]) == (0.0, 2)


def test_the_month_benchmark_prints_each_engine_beside_its_target_and_spark_as_a_ratio():
    from benchmarks.month import table

    out = table({"duckdb": {"prepare": (4.0, 500.0), "month": (24.0, 900.0)},
                 "spark": {"prepare": (20.0, 2000.0), "month": (150.0, 3000.0)}}).splitlines()
    [prepare] = [line for line in out if line.startswith("prepare")]
    assert prepare.split()[1:] == ["4.0", "20.0", "500", "2,000", "5.00x"]
    assert out[-2].startswith("target (duckdb)") and out[-2].endswith("met")
    assert out[-1].startswith("target (spark)") and out[-1].endswith("missed by 30 s")
