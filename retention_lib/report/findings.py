"""Key findings and headline KPIs, generated from the month's artifacts (no canned prose).

Each rule reads one artifact and returns a sentence only when its numbers say something:
a clear move in churn or activity, members newly at risk and what they are worth, a
significant change in NPS, the dimension to fix first, detractors churning more, a
campaign that worked (or did not), the main difference of lapsed members, the model's
track record. The report shows up to five; the email repeats them. Nothing here names a
customer: every sentence is an aggregate.

A rule that compares groups states each group's n and says nothing when a group
has fewer than `min_group_n` members (settings.min_group_n): `enough` is the one check.
"""
from __future__ import annotations

import json
from pathlib import Path

from retention_lib.analytics import campaigns
from retention_lib.core import stages
from retention_lib.core.settings import DEFAULTS
from retention_lib.core.stats import newcombe
from retention_lib.report import measures, text
from retention_lib.report.comparisons import enough, group_sizes
from retention_lib.report.text import format_change, format_value, say

HEADLINE_KPIS = ("revenue", "active_customers", "new_customers", "lapsed_customers", "churn_rate", "retention_rate",
                 "avg_basket_value", "revenue_per_active", "member_revenue_share", "nps", "csat")
MAX_FINDINGS = 5


def _read(folder: Path, key: str) -> dict | None:
    """An artifact of the month folder by key; None when its part is unavailable this month."""
    path = Path(folder) / stages.artifact(key).path
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _kpi(board: dict, name: str) -> dict | None:
    return next((row for row in board.get("board", []) if row["kpi"] == name), None)


def headline_rows(folder: Path, currency: str) -> list[tuple[str, str, str, str]]:
    """(label, this month, vs last month, vs a year ago) for the headline KPIs."""
    board = _read(folder, "kpi_board")
    if not board:
        return []
    rows = []
    for name in HEADLINE_KPIS:
        row = _kpi(board, name)
        if row and row.get("value") == row.get("value") and row.get("value") is not None:
            kind = measures.of_kpi(name, row["kind"])
            rows.append((text.kpi_label(name), format_value(row["value"], kind, currency),
                         format_change(row.get("mom_abs"), row.get("mom_rel"), kind, currency=currency),
                         format_change(row.get("yoy_abs"), row.get("yoy_rel"), kind, currency=currency)))
    return rows


def _churn(folder, cur, min_n):
    board = _read(folder, "kpi_board")
    row = board and _kpi(board, "churn_rate")
    if not row or row.get("mom_abs") is None or row["mom_abs"] != row["mom_abs"]:
        return None
    lapsed, base = _kpi(board, "lapsed_customers"), _kpi(board, "active_base_start")
    if not base or not enough(base["value"], base.get("previous"), min_n=min_n):
        return None
    # the month's churn against last month's, each a share of its own starting base (Newcombe)
    n_now, n_before = base["value"], base["previous"]
    _, lo, hi = newcombe(round(row["value"] * n_now), n_now, round(row["previous"] * n_before), n_before)
    params = dict(rate=row["value"], change=row["mom_abs"], lo=lo, hi=hi, lapsed=lapsed["value"],
                  lapse_days=board["lapse"]["days"], base=n_now)
    if lo <= 0 <= hi:
        return 1.0, say("finding.churn.steady", **params)
    return abs(row["mom_abs"]) * 100, say("finding.churn.rose" if row["mom_abs"] > 0 else "finding.churn.fell",
                                          **params)


def _at_risk(folder, cur, min_n):
    churn, value, actions = _read(folder, "churn_summary"), _read(folder, "clv_summary"), _read(folder, "actions_summary")
    if not churn or not value:
        return None
    h = churn["headline"]
    if not h["newly_at_risk"]:
        return None
    how = (say("finding.at_risk.model", threshold=h["threshold"]) if h["method"] == "model"
           else say("finding.at_risk.lapse_rule", overdue_factor=h["overdue_factor"]))
    listed = ((actions or {}).get("retain") or {}).get("listed", 0)
    retain = say("finding.at_risk.retain_list", listed=listed) if listed else ""
    return 5.0, say("finding.at_risk.states", newly=h["newly_at_risk"], how=how, currency=cur,
                    at_stake=value["newly_at_risk_value_at_stake"], horizon_months=value["horizon_months"],
                    retain=retain)


def _nps(folder, cur, min_n):
    sat = _read(folder, "satisfaction_summary")
    if not sat or not sat.get("has_surveys"):
        return None
    change = sat["headline"]["changes"]["month_on_month"]["nps"]
    if not change or not change.get("significant") or not enough(change.get("n_now"), change.get("n_before"),
                                                                 min_n=min_n):
        return None
    now = sat["headline"]["now"]["nps"]
    return 6.0, say("finding.nps.fell" if change["change"] < 0 else "finding.nps.rose", points=abs(change["change"]),
                    nps=now["nps"], lo=change["lo"], hi=change["hi"], n_now=change["n_now"],
                    n_before=change["n_before"])


def _fix_first(folder, cur, min_n):
    sat = _read(folder, "satisfaction_summary")
    if not sat or not sat.get("has_surveys") or not (sat.get("drivers") or {}).get("fix_first"):
        return None
    dims = {d["dimension"]: d for d in sat["drivers"]["dimensions"]}
    names = [text.label("dimension_inline", d) for d in sat["drivers"]["fix_first"] if d in dims]
    first = sat["drivers"]["fix_first"][0]
    return 4.0, say("finding.fix_first", dimensions=text.listing(names), top=first,
                    importance=dims[first]["importance"], performance=dims[first]["performance"])


def _detractors(folder, cur, min_n):
    sat = _read(folder, "satisfaction_summary")
    cmp_ = sat and (sat.get("behaviour") or {}).get("detractor_vs_promoter")
    if not cmp_ or not cmp_.get("significant"):
        return None
    groups = {g["group"]: g for g in sat["behaviour"]["groups"]}
    detractors, promoters = groups["detractor"], groups["promoter"]
    if not enough(detractors["members"], promoters["members"], min_n=min_n):
        return None
    return 3.5, say("finding.detractors", detractors=detractors["churn_share"], promoters=promoters["churn_share"],
                    difference=cmp_["churn_difference"], lo=cmp_["lo"], hi=cmp_["hi"],
                    n_detractors=detractors["members"], n_promoters=promoters["members"])


def _campaign(folder, cur, min_n):
    actions = _read(folder, "actions_summary")
    if not actions:
        return None
    # only a campaign measured against its randomised control group is a finding; the latest sent
    # (ties: the later in reading order)
    rows = [c for c in actions["campaigns"] if c.get("status") == campaigns.ESTIMATED
            and c.get("measure") == "reactivated" and enough(c["n_treatment"], c["n_control"], min_n=min_n)]
    if not rows:
        return None
    order = campaigns.order_key(r["campaign_id"] for r in rows)
    c = max(rows, key=lambda r: (str(r["sent_at"]), order(r["campaign_id"])))
    revenue = next((r for r in actions["campaigns"] if r.get("measure") == campaigns.REVENUE
                    and r["campaign_id"] == c["campaign_id"] and r["type"] == c["type"]), None)
    worked = c["significant"] and c["uplift"] > 0
    extra = say("finding.campaign.revenue", revenue=revenue["uplift"], currency=cur) if revenue and c["significant"] \
        else ""
    return 4.5, say("finding.campaign.worked" if worked else "finding.campaign.no_effect", campaign=c["campaign_id"],
                    type=text.label("campaign_type", c["type"]), uplift=c["uplift"], low=c["low"], high=c["high"],
                    n_treatment=c["n_treatment"], n_control=c["n_control"], extra=extra)


def _drivers(folder, cur, min_n):
    drivers = _read(folder, "drivers")
    # The headline holds only significant features (lapse_drivers: the one rule, with its own min n).
    rows = [h for h in (drivers or {}).get("headline", []) if h.get("significant")
            and enough(h["n_lapsed"], h["n_retained"], min_n=min_n)]
    if not rows:
        return None
    top = rows[0]
    f = top["feature"]
    return 3.0, say("finding.drivers", name=text.feature_label(f, "feature_inline"),
                    lapsed=text.feature_value(f, top["lapsed"], cur),
                    retained=text.feature_value(f, top["retained"], cur),
                    difference=text.feature_change(f, top["difference"], cur),
                    ci_low=text.feature_change(f, top["ci_low"], cur), ci_high=text.feature_change(f, top["ci_high"], cur),
                    groups=group_sizes(top))


def _track_record(folder, cur, min_n):
    actions = _read(folder, "actions_summary")
    if not actions or not actions.get("track_record"):
        return None
    last = actions["track_record"][-1]
    return 2.0, say("finding.track_record.reconstructed" if last.get("reconstructed") else "finding.track_record",
                    predicted=last["predicted_purchases"], for_month=last["for_month"], made_in=last["made_in"],
                    actual=last["actual_purchases"], error_pct=last["aggregate_error_pct"])


# Each rule takes the folder, the currency and the minimum n per group (the rules that compare
# groups use it through `enough`).
RULES = (_churn, _at_risk, _nps, _fix_first, _detractors, _campaign, _drivers, _track_record)


def key_findings(folder: Path, currency: str, limit: int = MAX_FINDINGS, *,
                 min_group_n: int = DEFAULTS.min_group_n) -> list[str]:
    """The month's findings, weightiest first; a comparison needs min_group_n members per group."""
    found = [r for r in (rule(folder, currency, min_group_n) for rule in RULES) if r]
    found.sort(key=lambda r: -r[0])
    return [text for _, text in found[:limit]]
