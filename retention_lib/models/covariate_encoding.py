"""Raw member attributes (home store, income band, NPS group, age) as covariate columns a report can name,
for the covariate models (models/covariates.py); kept with a fitted model so later members are encoded alike."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def _plain(value):
    """A level as the Python value JSON stores, a whole float as an int (codes read with gaps are
    floats: "income band = 2", not "= 2.0"; the two compare equal when encoding)."""
    value = value.item() if isinstance(value, np.generic) else value
    return int(value) if isinstance(value, float) and value.is_integer() else value


@dataclass
class Encoding:
    """How raw member attributes become covariate columns (one spec per raw column).

    - numbers are standardised (`mean`, `sd` of the members who have one): the effect is per SD;
    - True/False attributes become one 0/1 column named after them (e.g. "detractor (NPS 0–6)");
    - anything else is categorical, one-hot against its most frequent level ("home store = S02");
      levels held by fewer than `min_members` are pooled as "<column> = other", so no effect rests
      on a handful of members; a level not seen when learning counts as the reference;
    - a missing value is its own indicator ("<column>: missing"), with the value at the reference
      (mean, False, reference level).
    Columns that do not vary are left out.
    """
    columns: list[dict]

    @classmethod
    def learn(cls, raw: pd.DataFrame, *, categorical=(), min_members: int = 30) -> "Encoding":
        """Learn the encoding of a per-member frame (indexed by customer_id); `categorical` names
        numeric columns that are codes (an income band 1-5) rather than amounts."""
        specs = []
        for column in raw.columns:
            values = raw[column]
            missing = values.isna()
            present = values[~missing]
            spec = {"column": column, "missing": bool(0 < missing.sum() < len(values))}
            if pd.api.types.infer_dtype(values, skipna=True) == "boolean":   # bool, or True/False with gaps
                spec["kind"] = "flag"
                varies = present.nunique() > 1
            elif pd.api.types.is_numeric_dtype(values.dtype) and column not in categorical:
                present = present.astype(float)
                spec.update(kind="number", mean=float(present.mean()), sd=float(present.std(ddof=0)))
                varies = spec["sd"] > 0
            else:
                counts = present.value_counts()
                counts = counts[counts > 0]             # a categorical dtype lists its unused levels too
                order = [_plain(level) for level in sorted(counts.index, key=lambda v: (-counts[v], str(v)))]
                spec.update(kind="levels", reference=order[0] if order else None,
                            levels=[v for v in order[1:] if counts[v] >= min_members],
                            other=[v for v in order[1:] if counts[v] < min_members])
                varies = len(order) > 1
            if not varies:   # only whether it is missing can tell members apart
                spec = {"column": column, "missing": spec["missing"], "kind": "none"}
            if varies or spec["missing"]:
                specs.append(spec)
        return cls(specs)

    @property
    def names(self) -> list[str]:
        return [name for spec in self.columns for name in self._names(spec)]

    @staticmethod
    def _names(spec: dict) -> list[str]:
        c = spec["column"]
        names = {"number": [c], "flag": [c], "none": [],
                 "levels": [f"{c} = {level}" for level in spec.get("levels", [])]
                 + ([f"{c} = other"] if spec.get("other") else [])}[spec["kind"]]
        return names + ([f"{c}: missing"] if spec["missing"] else [])

    def transform(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The covariate columns of a per-member frame, indexed like it."""
        names = self.names
        out = np.zeros((len(raw), len(names)), order="F")    # one block: no copy into the frame
        k = 0
        for spec in self.columns:
            values = raw[spec["column"]]
            missing = values.isna().to_numpy()
            if spec["kind"] == "number":
                number = values.to_numpy(dtype=float, na_value=spec["mean"])
                out[:, k] = (number - spec["mean"]) / spec["sd"]
            elif spec["kind"] == "flag":
                out[:, k] = values.astype("boolean").fillna(False).to_numpy(dtype=bool)
            elif spec["kind"] == "levels":
                # one hash pass: each member's level among the kept levels, then the pooled ones
                code = pd.Index(spec["levels"] + spec["other"], dtype=object).get_indexer(values.astype(object))
                code = np.minimum(np.where(missing, -1, code), len(spec["levels"]))
                for level in range(len(spec["levels"]) + bool(spec["other"])):
                    out[:, k + level] = code == level
            k += len(self._names(spec)) - spec["missing"]
            if spec["missing"]:
                out[:, k] = missing
                k += 1
        return pd.DataFrame(out, index=raw.index, columns=names, copy=False)
