"""Key findings and headline KPIs, generated from the month's artifacts (no canned prose).

Each rule reads one artifact and returns a sentence only when its numbers say something:
a clear move in churn or activity, members newly at risk and what they are worth, a
significant change in NPS, the dimension to fix first, detractors churning more, a
campaign that worked (or did not), the main difference of lapsed members, the model's
track record. The report shows up to five; the email repeats them. Nothing here names a
customer: every sentence is an aggregate.
"""
from __future__ import annotations

import json
from pathlib import Path

from retention_lib.core import stages
from retention_lib.report.text import format_change, format_value

HEADLINE_KPIS = ("active_customers", "new_customers", "lapsed_customers", "churn_rate", "retention_rate",
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
            rows.append((row["label"], format_value(row["value"], row["kind"], currency),
                         format_change(row.get("mom_abs"), row.get("mom_rel"), row["kind"]),
                         format_change(row.get("yoy_abs"), row.get("yoy_rel"), row["kind"])))
    return rows


def _churn(folder, cur):
    board = _read(folder, "kpi_board")
    row = board and _kpi(board, "churn_rate")
    if not row or row.get("mom_abs") is None or row["mom_abs"] != row["mom_abs"]:
        return None
    lapsed = _kpi(board, "lapsed_customers")
    move = "rose" if row["mom_abs"] > 0 else "fell"
    weight = abs(row["mom_abs"]) * 100
    return weight, (f"Churn {move} to {row['value']:.1%} ({row['mom_abs'] * 100:+.1f} pp on last month): "
                    f"{lapsed['value']:,.0f} members lapsed under the {board['lapse']['days']}-day rule.")


def _at_risk(folder, cur):
    churn, value = _read(folder, "churn_summary"), _read(folder, "clv_summary")
    if not churn or not value:
        return None
    h = churn["headline"]
    if not h["newly_at_risk"]:
        return None
    how = (f"P(alive) fell below {h['threshold']:.0%}" if h["method"] == "model"
           else f"silent for over {h['overdue_factor']:g} times their usual gap between visits")
    return 5.0, (f"{h['newly_at_risk']:,} members became at risk this month ({how}); keeping them would be worth "
                 f"{value['newly_at_risk_value_at_stake']:,.0f} {cur} of {value['horizon_months']}-month CLV.")


def _nps(folder, cur):
    sat = _read(folder, "satisfaction_summary")
    if not sat or not sat.get("has_surveys"):
        return None
    change = sat["headline"]["changes"]["month_on_month"]["nps"]
    if not change or not change.get("significant"):
        return None
    now = sat["headline"]["now"]["nps"]
    move = "fell" if change["change"] < 0 else "rose"
    return 6.0, (f"NPS {move} {abs(change['change']):.0f} points to {now['nps']:+.0f} (95% CI {change['lo']:+.0f} "
                 f"to {change['hi']:+.0f} for the change), more than sampling noise explains.")


def _fix_first(folder, cur):
    sat = _read(folder, "satisfaction_summary")
    if not sat or not sat.get("has_surveys") or not (sat.get("drivers") or {}).get("fix_first"):
        return None
    labels = {d["dimension"]: d for d in sat["drivers"]["dimensions"]}
    names = [labels[d]["label"].lower() for d in sat["drivers"]["fix_first"] if d in labels]
    top = labels[sat["drivers"]["fix_first"][0]]
    return 4.0, (f"Fix first: {' and '.join(names)} — above-average importance to NPS but below-average ratings "
                 f"({top['label']} explains {top['importance']:.0%} of NPS variation, rated {top['performance']:.1f} of 5).")


def _detractors(folder, cur):
    sat = _read(folder, "satisfaction_summary")
    cmp_ = sat and (sat.get("behaviour") or {}).get("detractor_vs_promoter")
    if not cmp_ or not cmp_.get("significant"):
        return None
    groups = {g["group"]: g for g in sat["behaviour"]["groups"]}
    return 3.5, (f"Detractors churn more: {groups['detractor']['churn_share']:.0%} stopped buying against "
                 f"{groups['promoter']['churn_share']:.0%} of promoters (difference {cmp_['churn_difference'] * 100:+.0f} "
                 f"points, 95% CI {cmp_['lo'] * 100:+.0f} to {cmp_['hi'] * 100:+.0f}).")


def _campaign(folder, cur):
    actions = _read(folder, "actions_summary")
    if not actions:
        return None
    rows = [c for c in actions["campaigns"] if c.get("measure") == "reactivated"]
    if not rows:
        return None
    c = max(rows, key=lambda r: str(r["sent_at"]))
    revenue = next((r for r in actions["campaigns"] if r.get("measure") == "incremental revenue"
                    and r["campaign_id"] == c["campaign_id"]), None)
    verdict = "worked" if c["significant"] and c["uplift"] > 0 else "showed no clear effect"
    extra = f", about {revenue['uplift']:,.0f} {cur} of extra revenue" if revenue and c["significant"] else ""
    return 4.5, (f"Campaign {c['campaign_id']} ({c['type']}) {verdict}: {c['uplift'] * 100:+.1f} points of "
                 f"reactivation against its control group (95% CI {c['low'] * 100:+.1f} to {c['high'] * 100:+.1f}){extra}.")


def _drivers(folder, cur):
    drivers = _read(folder, "drivers")
    if not drivers or not drivers.get("headline"):
        return None
    top = drivers["headline"][0]
    label = top["label"].replace(" (%)", "")
    unit = " pp" if "(%)" in top["label"] else ""
    return 3.0, (f"Lapsed members differ most in {label.lower()}: {top['lapsed']:.1f} against {top['retained']:.1f} "
                 f"for retained members ({top['difference']:+.1f}{unit}, 95% CI {top['ci_low']:+.1f} to "
                 f"{top['ci_high']:+.1f}), an association rather than proof of cause.")


def _track_record(folder, cur):
    actions = _read(folder, "actions_summary")
    if not actions or not actions.get("track_record"):
        return None
    last = actions["track_record"][-1]
    return 2.0, (f"The churn model forecast {last['predicted_purchases']:,.0f} member purchase days for "
                 f"{last['for_month']} a month ahead; members made {last['actual_purchases']:,.0f} "
                 f"({last['aggregate_error_pct']:+.1f}%).")


RULES = (_churn, _at_risk, _nps, _fix_first, _detractors, _campaign, _drivers, _track_record)


def key_findings(folder: Path, currency: str, limit: int = MAX_FINDINGS) -> list[str]:
    found = [r for r in (rule(folder, currency) for rule in RULES) if r]
    found.sort(key=lambda r: -r[0])
    return [text for _, text in found[:limit]]
