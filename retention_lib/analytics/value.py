"""The month's value view: expected spend and CLV per member, and the value at risk.

Three methods, the best the month's data supports, each labelled wherever it is shown:
- **model** — the churn model's expected purchases × Gamma-Gamma's expected spend per purchase
  (clv.clv: margin, horizon and monthly discounting as stated in `convention`);
- **observed spend** — the churn model's expected purchases × each member's own average spend
  per purchase day, when Gamma-Gamma cannot be used on this data;
- **run rate** — when the churn model cannot be used either: each member's purchase days per
  week over the last RUN_RATE_WEEKS weeks × their average spend per purchase day × margin,
  over the horizon with the same discounting; members outside the base (lapsed, dormant, lost)
  are worth 0. Their value if retained uses their rate over the RUN_RATE_WEEKS weeks to their
  last purchase.

Value by lifecycle state (`groups`): what each state's members are worth, and what is in play where an
action can change it: for the at-risk (retain) and the lapsed and dormant (win back), CLV if retained −
CLV; nothing for the new and active (no action asked) nor the lost (beyond the win-back window).
"""
from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from ibis import _

from retention_lib.analytics.lifecycle import BASE_STATES, STATES, WINBACK_STATES
from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchases, money
from retention_lib.models import uncertainty
from retention_lib.models.blend import Blend
from retention_lib.models.calendar import DAY, CalendarFit
from retention_lib.models.btyd import BTYDModel, ModelUnusable
from retention_lib.models.clv import WEEKS_PER_MONTH, GammaGamma, clv, fit_gamma_gamma, monthly_rate
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.core.settings import DEFAULTS

CORRELATION_WARNING = 0.3  # Gamma-Gamma assumes spend per visit does not depend on frequency
MODEL, OBSERVED_SPEND, RUN_RATE = "model", "observed_spend", "run_rate"
RUN_RATE_WEEKS = 26
IN_PLAY = ("at_risk", *WINBACK_STATES)   # the states whose value an action can change


@dataclass
class ValueView:
    method: str
    scores: pd.DataFrame   # churn scores plus expected_spend, clv, clv_if_alive
    horizon_months: int
    annual_discount_rate: float
    margin: float
    spend: GammaGamma | None = None
    reason: Message | str | None = None   # why a simpler method is used

    def convention(self, currency: str) -> Message:
        """Horizon, margin and discounting of the CLV, and the simpler method when one is used."""
        base = Message("clv.convention", horizon_months=self.horizon_months, currency=currency, margin=self.margin,
                       monthly_rate=monthly_rate(self.annual_discount_rate),
                       annual_discount_rate=self.annual_discount_rate)
        if self.method == OBSERVED_SPEND:
            return Message("clv.convention.observed_spend", base=base, reason=self.reason)
        if self.method == RUN_RATE:
            return Message("clv.convention.run_rate", base=base, weeks=RUN_RATE_WEEKS, reason=self.reason)
        return base

    def headline(self) -> dict:
        s = self.scores
        g = groups(self).set_index("state")
        newly = s[s["newly_at_risk"]]
        out = {
            "method": self.method, "reason": self.reason,
            "horizon_months": self.horizon_months, "annual_discount_rate": self.annual_discount_rate,
            "margin": self.margin, "gamma_gamma": None, "population_mean_spend": None,
            "members": len(s), "total_clv": float(s["clv"].sum()), "mean_clv": float(s["clv"].mean()),
            "at_risk_members": int(g.at["at_risk", "members"]), "at_risk_clv": float(g.at["at_risk", "clv"]),
            "at_risk_value_at_stake": float(g.at["at_risk", "value_at_stake"]),
            "newly_at_risk_members": len(newly),
            "newly_at_risk_value_at_stake": float((newly["clv_if_alive"] - newly["clv"]).sum()),
            "winback_members": int(g.loc[list(WINBACK_STATES), "members"].sum()),
            "winback_value": float(g.loc[list(WINBACK_STATES), "value_at_stake"].sum()),
            "lost_members": int(g.at["lost", "members"]),
        }
        if self.spend is not None:
            out["gamma_gamma"] = {"p": self.spend.p, "q": self.spend.q, "gamma": self.spend.gamma,
                                  "repeat_buyers": self.spend.n_customers,
                                  "freq_monetary_corr": self.spend.freq_monetary_corr}
            out["population_mean_spend"] = self.spend.population_mean_spend
        return out

    def correlation_ok(self) -> bool:
        return self.spend is None or abs(self.spend.freq_monetary_corr) < CORRELATION_WARNING


class ObservedSpend:
    """Each member's own average spend per purchase day, in place of a spend model."""

    def __init__(self, per_member: np.ndarray):
        self.per_member = per_member

    def expected_spend(self, frequency, monetary_value) -> np.ndarray:
        return self.per_member


def _member_days(baskets):
    """Each member's purchase days with the day's net spend (exact), as an Ibis table."""
    return (member_purchases(baskets).mutate(day=_.date.cast("date")).group_by(["customer_id", "day"])
            .aggregate(spend=money(_.amount).sum()))


def spend_per_purchase_day(baskets, ids: pd.Index) -> pd.Series:
    """Each member's net spend per purchase day, over all their purchase days to the month's end."""
    days = _member_days(baskets)
    per = days.group_by("customer_id").aggregate(total=_.spend.sum().cast("float64"), days=_.count())
    out = engine.backend_of(days).to_pyarrow(per).to_pandas().set_index("customer_id")
    return (out["total"] / out["days"]).reindex(ids)


def spend_model(run: Run, scores: pd.DataFrame) -> GammaGamma | None:
    """Gamma-Gamma on the month's summary; None (its part declared unavailable) when it cannot be used."""
    try:
        spend = fit_gamma_gamma(scores, max_seconds=run.setting("fit_budget_s"))
    except ModelUnusable as exc:
        run.unavailable("spend_model", Message("clv.spend_model_unusable", error=getattr(exc, "message", str(exc))))
        return None
    run.available("spend_model")
    run.write("gamma_gamma", spend)
    return spend


def value_month(model: BTYDModel | None, churn_scores: pd.DataFrame, *, spend: GammaGamma | None = None,
                baskets=None, end: pd.Timestamp | None = None,
                horizon_months: int = DEFAULTS.horizon_months,
                annual_discount_rate: float = DEFAULTS.annual_discount_rate, margin: float = DEFAULTS.margin,
                reason: Message | str | None = None) -> ValueView:
    """CLV for every scored member by the best method the inputs allow (see the module docstring).

    clv_if_alive is the CLV if the member were surely still a customer: under the churn model,
    expected purchases are P(alive) × the purchases of a living customer, so CLV / P(alive).
    `baskets` and `end` are needed by the simpler methods (observed spend, run rate). A model fitted with the
    holiday calendar takes the members' histories to `end` (default: its fit's) and the months ahead in its
    own time.
    """
    scores = churn_scores.copy()
    if model is not None and spend is not None:
        method, spend_of = MODEL, spend
        scores["expected_spend"] = spend.expected_spend(scores["frequency"], scores["monetary_value"])
    else:
        own = spend_per_purchase_day(baskets, scores.index).to_numpy(dtype=float)
        scores["expected_spend"] = own
        method, spend_of = (OBSERVED_SPEND if model is not None else RUN_RATE), ObservedSpend(own)
    if model is not None:
        calendar, last_day = CalendarFit.of(model), None if end is None else end - DAY
        scores["clv"] = clv(model, spend_of, calendar.operational(scores, last_day), months=horizon_months,
                            annual_discount_rate=annual_discount_rate, margin=margin,
                            horizons=calendar.month_ends(horizon_months, WEEKS_PER_MONTH, last_day))
        scores["clv_if_alive"] = scores["clv"] / np.maximum(scores["p_alive"], 1e-12)
    else:
        recent, active = run_rates(baskets, scores.index, end)
        per_month = margin * scores["expected_spend"] * WEEKS_PER_MONTH * _annuity(horizon_months, annual_discount_rate)
        scores["clv_if_alive"] = per_month * active
        scores["clv"] = (per_month * recent).where(scores["state"].isin(BASE_STATES), 0.0)
    return ValueView(method, scores, horizon_months, annual_discount_rate, margin,
                     spend=spend if method == MODEL else None, reason=reason)


def _annuity(months: int, annual_discount_rate: float) -> float:
    """Σ_{k=1..H} (1 + d)^-k: a constant monthly flow's discounted total, in months."""
    return float(((1 + monthly_rate(annual_discount_rate)) ** -np.arange(1, months + 1)).sum())


def run_rates(baskets, ids: pd.Index, end: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
    """Purchase days per week over the RUN_RATE_WEEKS weeks to `end` (exclusive), and over the
    RUN_RATE_WEEKS weeks to each member's last purchase day; shorter tenures use their own span."""
    days = _member_days(baskets)
    window = ibis.interval(days=7 * RUN_RATE_WEEKS)
    end = pd.Timestamp(end).normalize()
    per = days.group_by("customer_id").aggregate(first=_.day.min(), last=_.day.max())
    per = per.mutate(recent_from=ibis.greatest(per.first, ibis.date(end.date()) - window),
                     active_until=per.last + ibis.interval(days=1))
    per = per.mutate(active_from=ibis.greatest(per.first, per.active_until - window))
    d = days.join(per, "customer_id")
    counts = d.group_by("customer_id").aggregate(
        recent=_.count(where=(_.day >= _.recent_from) & (_.day < end.date())),
        active=_.count(where=(_.day >= _.active_from) & (_.day < _.active_until)),
        recent_from=_.recent_from.max(), active_from=_.active_from.max(), active_until=_.active_until.max())
    out = engine.backend_of(days).to_pyarrow(counts).to_pandas().set_index("customer_id")

    def weeks(since, until) -> pd.Series:
        return ((pd.to_datetime(until) - pd.to_datetime(since)).dt.days / 7).clip(lower=1.0)

    recent = out["recent"] / weeks(out["recent_from"], pd.Series(end, index=out.index))
    active = out["active"] / weeks(out["active_from"], out["active_until"])
    return recent.reindex(ids).fillna(0.0), active.reindex(ids).fillna(0.0)


def groups(view: ValueView) -> pd.DataFrame:
    """Members and CLV by lifecycle state at the month's end, every state a row (see the module docstring)."""
    s = view.scores
    out = s.groupby("state").agg(members=("clv", "size"), clv=("clv", "sum"), clv_if_alive=("clv_if_alive", "sum"))
    out = out.reindex(list(STATES)).fillna({"members": 0, "clv": 0.0, "clv_if_alive": 0.0})
    out["members"] = out["members"].astype("int64")
    out["value_at_stake"] = (out["clv_if_alive"] - out["clv"]).where(out.index.isin(IN_PLAY))
    return out.rename_axis("state").reset_index()


def for_month(run: Run, churned, *, horizon_months: int, annual_discount_rate: float, margin: float
                ) -> ValueView:
    """The month's value view from the saved churn scores (churn.Saved), fitting the spend model."""
    spend = spend_model(run, churned.scores) if churned.model is not None else None
    if churned.model is None:
        run.unavailable("spend_model", Message("clv.no_churn_model"))
    reason = churned.headline.get("reason") if churned.model is None else run.reason("spend_model")
    return value_month(churned.model, churned.scores, spend=spend, baskets=engine.run_table(run, "baskets"), end=run.end,
                       horizon_months=horizon_months, annual_discount_rate=annual_discount_rate, margin=margin,
                       reason=reason)


def saved(run: Run, churned) -> pd.DataFrame:
    """Churn and CLV scores per member, as notebooks 03 and 04 saved them (computed here with the
    config's settings when notebook 04 has not run)."""
    if not run.has("clv_scores"):
        view = for_month(run, churned, horizon_months=int(run.setting("horizon_months")),
                         annual_discount_rate=float(run.setting("annual_discount_rate")),
                         margin=float(run.setting("margin")))
        save(run, view, intervals(view, churned))
    return churned.scores.join(run.read("clv_scores")[["clv", "clv_if_alive"]])


def intervals(view: ValueView, churned) -> dict:
    """The headline figures with the range the models' parameter uncertainty allows (models/uncertainty):
    expected purchase visits next month and members at risk, and with the spend model the members' CLV, the
    at-risk members' CLV and their value at stake. Each is {point, low, high, level}; {"reason": …} when the
    month has no churn model or its parameters are too uncertain to draw from. With a blend, the recent rate's
    part of next month's purchases is known, so only the model's part varies."""
    if churned.model is None:
        return {"reason": churned.headline.get("reason")}
    s, calendar = view.scores, churned.calendar
    try:   # in the model's time, as the month's scores and CLV
        figures = uncertainty.headline(
            churned.model, calendar.operational(s[["frequency", "recency", "T", "monetary_value"]]),
            view.spend if view.method == MODEL else None, at_risk_among=s["state"].isin(["active", "at_risk"]),
            threshold=float(churned.headline["threshold"]), months=view.horizon_months,
            annual_discount_rate=view.annual_discount_rate, margin=view.margin,
            horizons=calendar.month_ends(view.horizon_months, WEEKS_PER_MONTH))
    except ModelUnusable as exc:
        return {"reason": Message("clv.intervals.none", error=getattr(exc, "message", str(exc)))}
    out = {name: {"point": f.point, "low": f.low, "high": f.high, "level": f.level} for name, f in figures.items()}
    blend = (churned.headline.get("choice") or {}).get("blend")
    if blend:
        w = Blend.from_params(blend).model_weight
        known = float(s["expected_next_month"].sum()) - w * out["expected_purchases_next_month"]["point"]
        out["expected_purchases_next_month"] = {k: (w * v + known if k != "level" else v)
                                                for k, v in out["expected_purchases_next_month"].items()}
    return out


def save(run: Run, view: ValueView, ranges: dict | None = None) -> None:
    """The month's CLV per member and its summary; `ranges`: `intervals`' result, written to the ledger too."""
    run.write("clv_scores", view.scores[["expected_spend", "clv", "clv_if_alive"]])
    run.write("clv_summary", {**view.headline(), "convention": view.convention(run.config.currency),
                              "groups": groups(view).to_dict("records"), "intervals": ranges or {}})
    figures = {k: v for k, v in (ranges or {}).items() if k in uncertainty.FIGURES}
    run.write("intervals", pd.DataFrame([{"made_in": str(run.month), "figure": k, **v} for k, v in figures.items()],
                                        columns=["made_in", "figure", "point", "low", "high", "level"]), index=False)
