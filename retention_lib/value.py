"""The month's value view: Gamma-Gamma spend and CLV per member, and the value at risk."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .btyd import BTYDModel
from .churn import LIKELY_LOST
from .clv import GammaGamma, clv, fit_gamma_gamma, monthly_rate
from .run import Run

CORRELATION_WARNING = 0.3  # Gamma-Gamma assumes spend per visit does not depend on frequency


@dataclass
class ValueView:
    spend: GammaGamma
    scores: pd.DataFrame   # churn scores plus expected_spend, clv, clv_if_alive
    horizon_months: int
    annual_discount_rate: float
    margin: float

    def convention(self, currency: str) -> str:
        return (f"CLV = expected gross margin over the next {self.horizon_months} months, in {currency}: "
                f"margin {self.margin:.0%} of expected spend, discounted monthly at "
                f"{monthly_rate(self.annual_discount_rate):.3%} a month ({self.annual_discount_rate:.0%} a year), "
                "each month's cash flow at the month's end.")

    def headline(self) -> dict:
        s = self.scores
        g = groups(self).set_index("group").reindex(GROUP_ORDER).fillna(0)
        at_risk = g.loc[["Newly at risk", "At risk (earlier)"]]
        return {
            "horizon_months": self.horizon_months, "annual_discount_rate": self.annual_discount_rate,
            "margin": self.margin,
            "gamma_gamma": {"p": self.spend.p, "q": self.spend.q, "gamma": self.spend.gamma,
                            "repeat_buyers": self.spend.n_customers,
                            "freq_monetary_corr": self.spend.freq_monetary_corr},
            "population_mean_spend": self.spend.population_mean_spend,
            "members": len(s), "total_clv": float(s["clv"].sum()), "mean_clv": float(s["clv"].mean()),
            "at_risk_members": int(at_risk["members"].sum()), "at_risk_clv": float(at_risk["clv"].sum()),
            "at_risk_value_at_stake": float(at_risk["value_at_stake"].sum()),
            "newly_at_risk_value_at_stake": float(g.loc["Newly at risk", "value_at_stake"]),
            "likely_lost_members": int(g.loc["Likely lost", "members"]),
            "likely_lost_value_if_won_back": float(g.loc["Likely lost", "value_at_stake"]),
        }

    def correlation_ok(self) -> bool:
        return abs(self.spend.freq_monetary_corr) < CORRELATION_WARNING


def value_month(model: BTYDModel, churn_scores: pd.DataFrame, *, horizon_months: int = 12,
                annual_discount_rate: float = 0.10, margin: float = 0.25) -> ValueView:
    """CLV for every scored member; clv_if_alive is the CLV if they were surely still a customer.

    Under BG/NBD-family models the expected purchases are P(alive) × the purchases of a
    living customer, so CLV / P(alive) is the value at stake when a member lapses.
    """
    spend = fit_gamma_gamma(churn_scores)
    scores = churn_scores.copy()
    scores["expected_spend"] = spend.expected_spend(scores["frequency"], scores["monetary_value"])
    scores["clv"] = clv(model, spend, scores, months=horizon_months,
                        annual_discount_rate=annual_discount_rate, margin=margin)
    scores["clv_if_alive"] = scores["clv"] / np.maximum(scores["p_alive"], 1e-12)
    return ValueView(spend, scores, horizon_months, annual_discount_rate, margin)


GROUP_ORDER = ["Not at risk", "Newly at risk", "At risk (earlier)", "Likely lost"]


def groups(view: ValueView) -> pd.DataFrame:
    """Members and CLV by churn status, for the chart and the report.

    Newly at risk: crossed the at-risk threshold this month. At risk (earlier): below it
    already last month. Likely lost: below LIKELY_LOST and not newly at risk.
    """
    s = view.scores
    status = np.select([~s["at_risk"], s["newly_at_risk"], s["p_alive"] >= LIKELY_LOST],
                       GROUP_ORDER[:3], GROUP_ORDER[3])
    out = s.assign(group=status).groupby("group").agg(members=("clv", "size"), clv=("clv", "sum"),
                                                       clv_if_alive=("clv_if_alive", "sum"))
    out["value_at_stake"] = out["clv_if_alive"] - out["clv"]
    return out.reindex([g for g in GROUP_ORDER if g in out.index]).reset_index()


def save(view: ValueView, run: Run) -> None:
    view.spend.to_json(run.artifact("gamma_gamma.json"))
    view.scores[["expected_spend", "clv", "clv_if_alive"]].to_parquet(run.artifact("clv_scores.parquet"))
    run.write_json("clv_summary.json", {**view.headline(), "convention": view.convention(run.config.currency),
                                        "groups": groups(view).to_dict("records")})
