"""The iteration and wall-clock budget of one model fit, and the error every unusable fit ends in.

Shared by the BTYD fits (btyd.fit) and the Gamma-Gamma spend fit (clv.fit_gamma_gamma).
"""
from __future__ import annotations

import time

import numpy as np

from retention_lib.core.conditions import DataCondition


class ModelUnusable(DataCondition):
    """The model cannot be used on this data (did not converge, or gives non-finite values)."""


# Generous: CDNOW and the Complete Journey need a few hundred iterations and a few seconds.
MAX_ITER = 5000
MAX_SECONDS = 120.0
_now = time.monotonic            # the budget's clock (tests replace it)


class FitBudget:
    """The optimiser iterations (over all stages of one fit) and wall-clock seconds it may use.

    `step` is the optimisers' per-iteration callback and `watch` wraps the objective, so a
    slow iteration overruns the clock by one evaluation at most. Past either limit they raise
    ModelUnusable, which scipy's minimize passes through unchanged.
    """

    def __init__(self, model: str, population: str, max_iter: int = MAX_ITER,
                 max_seconds: float = MAX_SECONDS):
        if not (max_iter >= 1 and max_seconds > 0):
            raise ValueError(f"max_iter must be at least 1 and max_seconds positive, not {max_iter}, {max_seconds}")
        self.model, self.population = model, population
        self.max_iter, self.max_seconds = int(max_iter), float(max_seconds)
        self.iterations = 0
        self.best = (np.inf, None)     # lowest objective of the main fit and its log-parameters
        self._start = _now()

    def elapsed(self) -> float:
        return _now() - self._start

    def _iterations(self, n: int) -> str:
        return f"{n:,} iteration" + ("" if n == 1 else "s")

    def check(self) -> None:
        if self.elapsed() > self.max_seconds:
            raise ModelUnusable(f"{self.model} did not converge within {self.max_seconds:g} s "
                                f"({self._iterations(self.iterations)}) on {self.population}")

    def step(self, *_) -> None:
        self.iterations += 1
        if self.iterations > self.max_iter:
            raise ModelUnusable(f"{self.model} did not converge within {self._iterations(self.max_iter)} "
                                f"({self.elapsed():.1f} s) on {self.population}")
        self.check()

    def watch(self, fun, *, keep_best: bool = False):
        """`fun` with the clock checked before each call; with keep_best, its lowest value and
        argument are kept (fun returns the value, or a tuple starting with it)."""
        def watched(log_params, *args):
            self.check()
            out = fun(log_params, *args)
            value = out[0] if isinstance(out, tuple) else out
            if keep_best and value < self.best[0]:
                self.best = (value, np.array(log_params, dtype=float))
            return out
        return watched

    @property
    def scipy_maxiter(self) -> int:
        """For minimize's own limit: above ours, so our callback is the one that stops a stage."""
        return self.max_iter + 1
