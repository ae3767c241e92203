"""The month's satisfaction and complaints, for notebook 06 and the report: every figure, saved
as one JSON for the report, with the parts the data cannot support declared unavailable."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from retention_lib.analytics.satisfaction import comments, complaints as complaints_mod
from retention_lib.analytics.satisfaction.behaviour import BehaviourResult, behaviour
from retention_lib.analytics.satisfaction.dimensions import (MIN_DRIVER_N, DriverResult, dimension_performance,
                                                             drivers)
from retention_lib.analytics.satisfaction.scores import (MIN_N, NO_CHANNEL, NO_STORE, headline, in_period,
                                                         monthly, score_table)
from retention_lib.core.messages import Message
from retention_lib.core.run import jsonable
from retention_lib.core.settings import DEFAULTS
from retention_lib.data import engine

# Why a part cannot be shown (report.text has the sentences).
NO_SURVEYS = Message("satisfaction.no_surveys")
NO_COMPLAINTS = Message("satisfaction.no_complaints")
TOO_FEW_FOR_DRIVERS = Message("satisfaction.too_few_for_drivers", minimum=MIN_DRIVER_N)
NO_COHORT = Message("satisfaction.no_cohort")


@dataclass
class SatisfactionMonth:
    month: pd.Period
    has_surveys: bool
    has_complaints: bool
    headline: dict | None = None
    monthly: pd.DataFrame | None = None
    by_store: pd.DataFrame | None = None
    by_channel: pd.DataFrame | None = None
    dimensions: pd.DataFrame | None = None         # the month's mean ratings and low shares
    drivers: DriverResult | None = None
    behaviour: BehaviourResult | None = None
    themes: dict | None = None
    complaints: dict | None = None
    complaints_trend: pd.DataFrame | None = None
    settings: dict | None = None

    def to_dict(self) -> dict:
        def records(frame):
            return None if frame is None else frame.reset_index(drop=frame.index.name is None).to_dict("records")
        return jsonable({
            "month": str(self.month), "has_surveys": self.has_surveys, "has_complaints": self.has_complaints,
            "settings": self.settings, "min_n": MIN_N, "headline": self.headline, "monthly": records(self.monthly),
            "by_store": records(self.by_store), "by_channel": records(self.by_channel),
            "dimensions": records(self.dimensions),
            "drivers": self.drivers.to_dict() if self.drivers else None,
            "behaviour": self.behaviour.to_dict() if self.behaviour else None,
            "themes": self.themes, "complaints": self.complaints,
            "complaints_trend": records(self.complaints_trend),
        })


def member_p_alive(run) -> pd.Series | None:
    """P(alive) per member at the month's end from the churn model; None when the month's churn
    view comes from the lapse rule (no P(alive) to compare)."""
    from retention_lib.analytics import churn

    churned = churn.saved(run)
    return churned.scores["p_alive"] if churned.model is not None else None


def _has_rows(frame: pd.DataFrame | None) -> bool:
    return frame is not None and len(frame) > 0


def for_month(run, *, p_alive: pd.Series | None = None, sla_hours: float | None = None,
            driver_months: int = DEFAULTS.driver_months, driver_outcome: str = DEFAULTS.driver_outcome,
            bootstrap: int = DEFAULTS.bootstrap_resamples, seed: int = 0,
            churn_window_days: int = DEFAULTS.churn_window_days,
            cohort_months: int = DEFAULTS.cohort_months) -> SatisfactionMonth:
    """Every satisfaction and complaint figure of the run's month. Tables the source does not
    have (or that are empty) leave their parts None; nothing here fails for their absence.
    P(alive) comes from notebook 03's churn scores unless given."""
    sla_hours = DEFAULTS.sla_hours if sla_hours is None else sla_hours
    surveys, complaint_rows = run.table("surveys"), run.table("complaints")
    view = SatisfactionMonth(run.month, _has_rows(surveys), _has_rows(complaint_rows), settings={
        "sla_hours": sla_hours, "driver_months": driver_months, "driver_outcome": driver_outcome,
        "bootstrap_resamples": bootstrap, "seed": seed, "churn_window_days": churn_window_days,
        "cohort_months": cohort_months})
    baskets = engine.run_table(run, "baskets")
    if view.has_surveys:
        if p_alive is None:
            p_alive = member_p_alive(run)

        month_rows = in_period(surveys, run.start, run.end)
        view.headline = headline(surveys, run.month)
        view.monthly = monthly(surveys, run.month)
        view.by_store = score_table(month_rows, "store_id", NO_STORE) if "store_id" in month_rows else None
        view.by_channel = score_table(month_rows, "channel", NO_CHANNEL)
        view.dimensions = dimension_performance(month_rows).reset_index()
        view.drivers = drivers(surveys, driver_outcome, n_boot=bootstrap, seed=seed,
                               start=(run.month - driver_months + 1).start_time, end=run.end)
        view.behaviour = behaviour(surveys, baskets, run.end, p_alive, window_days=churn_window_days,
                                   cohort_months=cohort_months)
        view.themes = comments.month_themes(month_rows)
    if view.has_complaints:
        counts = complaints_mod.purchase_counts(baskets)
        view.complaints = complaints_mod.month_figures(complaint_rows, counts, run.month, sla_hours)
        view.complaints_trend = complaints_mod.monthly_trend(complaint_rows, counts, run.month, sla_hours=sla_hours)
    return view


def save(run, view: SatisfactionMonth) -> None:
    """satisfaction_summary for the report, the tables for the consultant, and for each part the
    data cannot support this month, the reason."""
    run.write("satisfaction_summary", view.to_dict())
    parts = (("satisfaction", view.monthly, "satisfaction_monthly", {"index": False}, NO_SURVEYS),
             ("satisfaction_drivers", view.drivers and view.drivers.table, "satisfaction_drivers", {},
              NO_SURVEYS if not view.has_surveys else TOO_FEW_FOR_DRIVERS),
             ("satisfaction_churn", view.behaviour and view.behaviour.table, "satisfaction_behaviour", {},
              NO_SURVEYS if not view.has_surveys else NO_COHORT),
             ("complaints", view.complaints_trend, "complaints_monthly", {"index": False}, NO_COMPLAINTS))
    for part, frame, key, options, reason in parts:
        if frame is None:
            run.unavailable(part, reason)
        else:
            run.available(part)
            run.write(key, frame, **options)
    if not view.has_surveys:
        run.unavailable("comment_themes", NO_SURVEYS)
    elif not view.themes["comments"]:
        run.unavailable("comment_themes", Message("satisfaction.no_comments", month=view.month))
    else:
        run.available("comment_themes")
