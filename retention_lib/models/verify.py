"""`retention verify-models`: refit CDNOW and compare with the published figures.

Sources: Fader, Hardie & Lee (2005) "Counting your customers the easy way" (BG/NBD);
Fader & Hardie's Pareto/NBD notes (note 008/009); Fader, Hardie & Lee (2005) "RFM and CLV"
(Gamma-Gamma, 946 repeat buyers); all on CDNOW in weeks with a 39-week calibration period.
Tolerances are half a unit in the last published digit, except the BG/NBD parameters,
published to five digits from Excel's solver on data with recency rounded to two decimals:
they must agree to 1 part in 10,000 (lifetimes' own fit lands at the same place as ours).

The CNBD-k rows are BTYDplus 1.2.0's (Platzer's R package, the reference implementation of
Platzer & Reutterer 2016) on the same data, calibration to 1997-09-30; its log-likelihood includes
the terms in the inter-purchase times, as ours does. BTYDplus stops its optimiser at R's default
tolerances, so its parameters must agree to 5 parts in 10,000, its log-likelihood to half a unit in
the last digit, and the predictions from its parameters to one unit in the fourth decimal. The
k = 1 MBG/CNBD-k row is MBG/NBD's: our MBG/NBD fit is held to it too.

The covariate rows are CLVTools 0.12.1's (Bachmann, Meierer & Naef's R package) BG/NBD with static
covariates on the same data and calibration, both processes taking the two attributes of each
customer's first purchase day (cdnow.first_purchase_covariates), started from the fit without
covariates. CLVTools ties the dropout gammas (gamma_a = gamma_b), so ours is fitted tied
(covariates.fit(tie_dropout=True)). Its optimiser stops at R's default tolerances, so the parameters
must agree to 5 parts in 10,000, the gammas to 5e-4, their standard errors to 1 part in 1,000,
the log-likelihood to half a unit in the last digit, and predictions to one unit in the fourth
decimal. The same build reproduces the Pareto/NBD with static covariates printed in CLVTools'
"advanced techniques" vignette (apparel data) to every digit shown.
"""
from __future__ import annotations

import warnings

import pandas as pd

from retention_lib.models import btyd, covariates
from retention_lib.models.clv import fit_gamma_gamma
from retention_lib.models.regularity import wheat_morrison
from retention_lib.data.sources.cdnow import (CALIBRATION_WEEKS, first_purchase_covariates, load_cdnow_summary,
                                              load_cdnow_transactions)
from retention_lib.models.summary import summarise

PUBLISHED = [
    # (quantity, published, tolerance)
    ("BG/NBD r", 0.2426, 0.2426e-4), ("BG/NBD alpha", 4.4136, 4.4136e-4),
    ("BG/NBD a", 0.7929, 0.7929e-4), ("BG/NBD b", 2.4259, 2.4259e-4),
    ("BG/NBD log-likelihood", -9582.43, 0.005),
    ("Pareto/NBD r", 0.553, 0.0005), ("Pareto/NBD alpha", 10.58, 0.005),
    ("Pareto/NBD s", 0.606, 0.0005), ("Pareto/NBD beta", 11.67, 0.005),
    ("Pareto/NBD log-likelihood", -9595.0, 0.05),
    ("Gamma-Gamma p", 6.25, 0.005), ("Gamma-Gamma q", 3.74, 0.005), ("Gamma-Gamma gamma", 15.44, 0.005),
    ("Gamma-Gamma repeat buyers", 946, 0),
    ("BG/NBD E[X(39) | x=2, t_x=30.43, T=38.86]", 1.226, 0.0005),
]


def _btydplus(model: str, values: dict[str, float]) -> list[tuple[str, float, float]]:
    rows = []
    for name, value in values.items():
        tol = (0.005 if name == "log-likelihood" else 0 if name == "k" else 1e-4 if name.startswith(("E[", "P("))
               else 5e-4 * value)
        rows.append((f"{model} {name}", value, tol))
    return rows


CASE = "x=2, t_x=30.43, T=38.86"
PUBLISHED += [
    *_btydplus("BG/CNBD-k (k estimated)", {"k": 1, "r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262,
                                           "log-likelihood": -9582.43, f"E[X(39) | {CASE}]": 1.2259,
                                           f"P(alive | {CASE})": 0.7266}),
    *_btydplus("BG/CNBD-k (k = 2)", {"r": 0.2269, "alpha": 1.4629, "a": 0.9440, "b": 2.0743,
                                     "log-likelihood": -9855.33}),
    *_btydplus("MBG/CNBD-k (k estimated)", {"k": 1, "r": 0.5248, "alpha": 6.1831, "a": 0.8914, "b": 1.6140,
                                            "log-likelihood": -9582.14, f"E[X(39) | {CASE}]": 1.2627,
                                            f"P(alive | {CASE})": 0.7061}),
    *_btydplus("MBG/CNBD-k (k = 2)", {"r": 0.5799, "alpha": 2.2882, "a": 1.1343, "b": 1.5848,
                                      "log-likelihood": -9853.25}),
    *_btydplus("MBG/NBD", {"r": 0.5248, "alpha": 6.1831, "a": 0.8914, "b": 1.6140, "log-likelihood": -9582.14,
                           f"E[X(39) | {CASE}]": 1.2627, f"P(alive | {CASE})": 0.7061}),
    ("Wheat-Morrison regularity (calibration period)", 1.05, 0.005),
]

FIRST = "customer 0001"     # x=2, t_x=30.43, T=38.86, whose first day held two CDs for $29.33


def _clvtools(model: str, values: dict[str, float]) -> list[tuple[str, float, float]]:
    rows = []
    for name, value in values.items():
        tol = (0.005 if name == "log-likelihood" else 1e-4 if name.startswith(("E[", "P(")) else 5e-4
               if name.startswith("gamma") else 1e-3 * value if name.startswith("se") else 5e-4 * value)
        rows.append((f"{model} {name}", value, tol))
    return rows


COVARIATE_MODELS = {"BG/NBD + several CDs": ["several_cds"],
                    "BG/NBD + several CDs + first spend": ["several_cds", "first_spend_log"]}
PUBLISHED += [
    *_clvtools("BG/NBD + several CDs", {
        "r": 0.2506165534, "alpha": 6.2879701974, "a": 0.5881323358, "b": 1.8243702628,
        "gamma purchase several_cds": 0.5656940987, "gamma dropout several_cds": 0.4687808958,
        "se(gamma purchase several_cds)": 0.1041127, "se(gamma dropout several_cds)": 0.4565429,
        "log-likelihood": -9567.81503, f"E[X(39) | {FIRST}]": 1.2187142, f"P(alive | {FIRST})": 0.7167750}),
    *_clvtools("BG/NBD + several CDs + first spend", {
        "r": 0.2548770763, "alpha": 20.9495964755, "a": 0.3548015335, "b": 1.1143759503,
        "gamma purchase several_cds": 0.0967491524, "gamma purchase first_spend_log": 0.4312359864,
        "gamma dropout several_cds": 0.2391208762, "gamma dropout first_spend_log": 0.1879283514,
        "se(gamma purchase several_cds)": 0.1535625, "se(gamma purchase first_spend_log)": 0.1062542,
        "se(gamma dropout several_cds)": 0.7279835, "se(gamma dropout first_spend_log)": 0.4838812,
        "log-likelihood": -9559.27060, f"E[X(39) | {FIRST}]": 1.2263533, f"P(alive | {FIRST})": 0.7254594}),
]


def _rows_of(label: str, model: btyd.BTYDModel) -> dict[str, float]:
    values = {f"{label} {name}": value for name, value in model.params.items()}
    values[f"{label} log-likelihood"] = model.log_likelihood
    values[f"{label} E[X(39) | {CASE}]"] = float(model.expected_purchases(39, 2, 30.43, 38.86))
    values[f"{label} P(alive | {CASE})"] = float(model.p_alive(2, 30.43, 38.86))
    return values


def _covariate_rows(summary: pd.DataFrame, attributes: pd.DataFrame) -> dict[str, float]:
    values, base = {}, btyd.fit(summary, "bgnbd")
    one = summary.loc[["0001"]]
    for label, names in COVARIATE_MODELS.items():
        model = covariates.fit(summary, attributes[names], base=base, tie_dropout=True)
        values |= {f"{label} {name}": value for name, value in model.params.items()}
        for e in model.effects:
            process = "dropout" if e["process"] == "dropout_a" else e["process"]
            values[f"{label} gamma {process} {e['covariate']}"] = e["gamma"]
            values[f"{label} se(gamma {process} {e['covariate']})"] = e["se"]
        values[f"{label} log-likelihood"] = model.log_likelihood
        member = model.members(attributes.loc[one.index, names])
        values[f"{label} E[X(39) | {FIRST}]"] = float(member.expected_purchases(
            39, one["frequency"], one["recency"], one["T"])[0])
        values[f"{label} P(alive | {FIRST})"] = float(member.p_alive(one["frequency"], one["recency"], one["T"])[0])
    return values


def ours() -> dict[str, float]:
    summary = load_cdnow_summary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg = btyd.fit(summary, "bgnbd")
        pareto = btyd.fit(summary, "paretonbd")
        tx = load_cdnow_transactions()
        cal_end = tx["date"].min() + pd.Timedelta(weeks=CALIBRATION_WEEKS) - pd.Timedelta(days=1)
        money = summarise(tx, observation_end=cal_end, freq="D", multiplier=7, time_col="date", log_gaps=True)
        gg = fit_gamma_gamma(money)
        regular = {}
        for kind, label in (("bgcnbd", "BG/CNBD-k"), ("mbgcnbd", "MBG/CNBD-k")):
            regular |= _rows_of(f"{label} (k estimated)", btyd.fit(money, kind))
            regular |= _rows_of(f"{label} (k = 2)", btyd.fit(money, kind, k=2))
        regular |= _rows_of("MBG/NBD", btyd.fit(money, "mbgnbd"))
        regular |= _covariate_rows(money, first_purchase_covariates(tx))
        in_calibration = tx[tx["date"] <= cal_end]
        days = in_calibration.assign(d=in_calibration["date"].dt.normalize())[["customer_id", "d"]].drop_duplicates()
        regular["Wheat-Morrison regularity (calibration period)"] = wheat_morrison(days).k
    values = {f"BG/NBD {k}": v for k, v in bg.params.items()}
    values["BG/NBD log-likelihood"] = bg.log_likelihood
    values |= {f"Pareto/NBD {k}": v for k, v in pareto.params.items()}
    values["Pareto/NBD log-likelihood"] = pareto.log_likelihood
    values |= {"Gamma-Gamma p": gg.p, "Gamma-Gamma q": gg.q, "Gamma-Gamma gamma": gg.gamma,
               "Gamma-Gamma repeat buyers": gg.n_customers}
    values["BG/NBD E[X(39) | x=2, t_x=30.43, T=38.86]"] = float(bg.expected_purchases(39, 2, 30.43, 38.86))
    return values | regular


def verify() -> pd.DataFrame:
    values = ours()
    rows = [{"quantity": q, "published": pub, "ours": values[q], "tolerance": tol,
             "ok": abs(values[q] - pub) <= tol + 1e-12} for q, pub, tol in PUBLISHED]
    return pd.DataFrame(rows)
