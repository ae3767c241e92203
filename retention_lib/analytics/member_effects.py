"""Who buys more and who leaves sooner: BG/NBD with static covariates (models/covariates.py) on the month's
members, so "does a detractor churn more" is a parameter with an interval, not a comparison of averages.

The attributes, each where the data has it: the home store (the lifecycle's), the customer table's
demographics (age band, income band, household size, gender, tier), whether the member's latest survey
answer in the last year was a detractor's (NPS 0–6; members who answered none have their own "missing"
indicator), and whether they raised a complaint in the last year. Effects are reported as ratios for a
member with the attribute against the reference (the most common level; "per SD" for numbers): how often
they buy (the purchase rate), and the odds of leaving after a purchase (where every attribute's effect on leaving cannot be told apart, only
the satisfaction and complaint signs', or none, saying so). An effect is *clear* when its 95% interval
excludes 1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.models import covariates
from retention_lib.models.calendar import CalendarFit
from retention_lib.models.covariate_encoding import Encoding
from retention_lib.models.fit_budget import ModelUnusable

DEMOGRAPHICS = ("age_band", "income_band", "household_size", "gender", "tier")
LOOKBACK_DAYS = 365
MIN_MEMBERS = 30     # a level held by fewer members is pooled as "other"
SHOWN = 5            # clear effects the report names, the largest first


def attributes(run: Run, scores: pd.DataFrame) -> pd.DataFrame:
    """Each scored member's raw attributes at the month's end, by key (see the module docstring)."""
    out = pd.DataFrame({"home_store": scores["home_store"].astype("string")}, index=scores.index)
    customers = run.table("customers")
    if customers is not None:
        kept = [c for c in DEMOGRAPHICS if c in customers and customers[c].notna().any()]
        by_id = customers.assign(customer_id=customers["customer_id"].astype(str)).set_index("customer_id")
        for column in kept:
            out[column] = by_id[column].astype("string").reindex(out.index.astype(str)).to_numpy()
    since, end = run.end - pd.Timedelta(days=LOOKBACK_DAYS), run.end
    surveys = run.table("surveys")
    if surveys is not None and "customer_id" in surveys:
        answered = surveys[surveys["customer_id"].notna() & (surveys["submitted_at"] >= since)
                           & (surveys["submitted_at"] < end) & surveys["nps"].notna()]
        last = answered.sort_values(["submitted_at", "response_id"]).groupby("customer_id").tail(1)
        detractor = (last.set_index("customer_id")["nps"] <= 6).astype("boolean")
        out["detractor"] = detractor.reindex(out.index).to_numpy()
    complaints = run.table("complaints")
    if complaints is not None and "customer_id" in complaints:
        raised = complaints.loc[complaints["customer_id"].notna() & (complaints["opened_at"] >= since)
                                & (complaints["opened_at"] < end), "customer_id"]
        out["complained"] = out.index.isin(set(raised))
    return out


def _ratio(log_value: float, low: float, high: float) -> dict:
    return {"ratio": float(np.exp(log_value)), "low": float(np.exp(low)), "high": float(np.exp(high)),
            "clear": bool(low > 0 or high < 0)}


def for_month(run: Run, scores: pd.DataFrame, base=None) -> dict:
    """The month's effects on the scored members' summary (frequency, recency, T): {"purchase": [...],
    "leaving": [...], "members", "likelihood_ratio"}, each effect a covariate name (column key, " = level",
    ": missing") with its ratio and 95% interval; {"reason": Message} when the data has no attribute that
    varies or the model cannot be fitted. `base`: the month's BG/NBD fitted on the same summary, if any."""
    raw = attributes(run, scores)
    encoding = Encoding.learn(raw, categorical=tuple(raw.columns), min_members=MIN_MEMBERS)
    Z = encoding.transform(raw)
    # one column per distinct pattern: households without demographics lack all of them at once, and their
    # "missing" indicators would be one effect counted three times
    Z = Z.loc[:, ~Z.T.duplicated().to_numpy()]
    if not Z.shape[1]:
        return {"reason": Message("effects.no_attributes")}
    fit = dict(encoding=encoding, base=base if base is not None and base.kind == "bgnbd" else None,
               max_seconds=run.setting("fit_budget_s"))
    summary, dropout_note, dropout_error = scores[["frequency", "recency", "T"]], None, None
    if base is not None:   # in the base model's time, when it runs on the holiday calendar
        summary = CalendarFit.of(base).operational(summary)
    # leaving is the rarer event, and a level in which nobody has visibly left leaves its effect flat: where every
    # attribute's cannot be told apart, the satisfaction and complaint signs alone, then buying alone
    service = [c for c in ("detractor", "complained") if c in Z]
    attempts = [list(Z.columns)] + ([service] if service else []) + [[]]
    for dropout in attempts:
        try:
            model = covariates.fit(summary, Z, dropout=dropout, **fit)
            break
        except ModelUnusable as exc:
            if dropout == []:
                return {"reason": Message("effects.unusable"), "error": str(getattr(exc, "message", exc))}
            dropout_error = dropout_error or str(getattr(exc, "message", exc))
    if dropout != list(Z.columns):
        dropout_note = Message("effects.service_only" if dropout else "effects.purchase_only")
    reference = {spec["column"]: spec.get("reference") for spec in encoding.columns}

    def named(name: str) -> dict:   # the attribute's key, and its level or "missing", for the reader's words
        key, _, level = name.partition(" = ")
        if key.endswith(": missing"):
            return {"attribute": key.removesuffix(": missing"), "level": None, "missing": True, "reference": None}
        return {"attribute": key, "level": level or None, "missing": False, "reference": reference.get(key)}
    purchase = [{"covariate": e["covariate"], **named(e["covariate"]), **_ratio(e["gamma"], e["low"], e["high"])}
                for e in model.effects if e["process"] == "purchase"]
    leaving = [{"covariate": e["covariate"], **named(e["covariate"]), **_ratio(e["log_odds"], e["low"], e["high"])}
               for e in model.leaving]
    return {"members": model.n_customers, "likelihood_ratio": model.likelihood_ratio,
            "purchase": purchase, "leaving": leaving, "dropout_note": dropout_note, "dropout_error": dropout_error}


def clear_effects(effects: dict, kinds=("purchase", "leaving")) -> list[dict]:
    """The clear effects of `kinds`, the largest (furthest from 1, either way) first, at most SHOWN, each with
    its kind."""
    found = [{"kind": kind, **e} for kind in kinds for e in effects.get(kind, []) if e["clear"]]
    return sorted(found, key=lambda e: -abs(np.log(e["ratio"])))[:SHOWN]
