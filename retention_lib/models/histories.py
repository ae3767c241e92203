"""Customer histories compressed to their distinct (frequency, recency, T) rows with weights.

Every BTYD fit runs on these, so its cost depends on the number of distinct rows, not of customers.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


class Histories:
    """Identical (frequency, recency, T) rows grouped, in order of first appearance.

    Hash-based codes rather than a three-column groupby: 2-3x faster on a million customers,
    and the codes into the distinct frequencies and times are what the BG/NBD likelihood
    tables and the CLV lookup need.
    """

    def __init__(self, frequency, recency, T):
        f = np.asarray(frequency, dtype="int64")
        rec, T = np.asarray(recency, dtype="float64"), np.asarray(T, dtype="float64")
        f_code, self.frequencies = pd.factorize(f)
        time_code, self.times = pd.factorize(np.concatenate([rec, T]))
        rec_code, T_code = time_code[:len(f)], time_code[len(f):]
        rows = np.flatnonzero((rec_code >= 0) & (T_code >= 0))   # NaN times are dropped, as groupby does
        n_times = len(self.times)
        key = f_code[rows] * n_times + rec_code[rows]
        if len(self.frequencies) * n_times * n_times >= 2 ** 62:   # one int64 key would overflow
            key = pd.factorize(key)[0]
        group = pd.factorize(key * n_times + T_code[rows])[0]
        # codes are handed out in order of first appearance: a group starts where their running max grows
        first = rows[np.flatnonzero(np.diff(np.maximum.accumulate(group), prepend=-1) > 0)]
        self.group = np.full(len(f), -1)                          # per input row; -1 where dropped
        self.group[rows] = group
        self.weight = np.bincount(group, minlength=len(first))
        self.frequency_code, self.recency_code, self.T_code = f_code[first], rec_code[first], T_code[first]
        self.frequency, self.recency, self.T = f[first], rec[first], T[first]

    def __len__(self) -> int:
        return len(self.weight)


def compress(frequency, recency, T) -> pd.DataFrame:
    """Distinct (frequency, recency, T) rows with the number of customers in each."""
    h = Histories(frequency, recency, T)
    return pd.DataFrame({"frequency": h.frequency, "recency": h.recency, "T": h.T, "weight": h.weight})
