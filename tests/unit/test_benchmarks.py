"""Smoke test of `python -m benchmarks` on a tiny store: it runs and writes complete figures.

No timing is asserted here: speed is what the benchmark itself reports.
"""
from __future__ import annotations

import pytest
import json
import math
import subprocess
import sys
from pathlib import Path

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
