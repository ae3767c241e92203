"""The executive report: sections assembled from the artifacts earlier notebooks wrote.

`build` returns display objects in reading order; notebook 08 only displays them. A
section whose artifacts do not exist yet is left out of the contents.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable

import pandas as pd
from IPython.display import HTML, Image

from .run import Run


@dataclass
class Section:
    anchor: str
    title: str
    build: Callable[[Run], list | None]


def _heading(section: Section) -> HTML:
    return HTML(f'<h2 id="{section.anchor}">{html.escape(section.title)}</h2>')


def _table(frame: pd.DataFrame) -> HTML:
    return HTML(frame.to_html(index=False, border=0, classes="report-table", na_rep="—"))


def _int(n) -> str:
    return f"{int(n):,}"


def data_quality(run: Run) -> list | None:
    facts = run.read_json("data_quality_summary.json")
    if facts is None:
        return None
    absent = ", ".join(facts["tables_absent"]) or "none"
    items = [HTML(
        "<p>"
        f"Source: <b>{html.escape(facts['source'])}</b>, data from {facts['data_from'][:10]} to "
        f"{facts['data_to'][:10]}. {_int(facts['lines_read'])} transaction lines read; "
        f"<b>{_int(facts['rows_rejected'])}</b> rows across all tables set aside by validation "
        f"(listed with reasons in <code>rejects.csv</code>). Tables not supplied: {absent}. "
        f"In {facts['month']}: {_int(facts['member_baskets'])} member baskets and "
        f"{_int(facts['non_member_baskets'])} non-member baskets; members brought "
        f"{facts['member_revenue_share']:.0%} of revenue. Days in the month with no basket at all: "
        f"{facts['days_without_baskets']} of {facts['days_in_month']}."
        "</p>")]
    coverage = run.run_dir / "artifacts" / "coverage.png"
    if coverage.exists():
        items.append(Image(filename=str(coverage)))
    return items


def _image(run: Run, name: str) -> list:
    path = run.run_dir / "artifacts" / name
    return [Image(filename=str(path))] if path.exists() else []


def churn_and_value(run: Run) -> list | None:
    churn = run.read_json("churn_summary.json")
    if churn is None:
        return None
    h, bt = churn["headline"], churn["backtest"]
    cur = run.config.currency
    items = [HTML(
        f"<p>{h['model']} model fitted on {_int(h['members_scored'])} members' purchase histories to "
        f"{run.month}. <b>{_int(h['at_risk'])}</b> members have a probability of still being a customer "
        f"(P(alive)) below {h['threshold']:.0%}; <b>{_int(h['newly_at_risk'])}</b> of them crossed that line "
        f"this month (newly at risk) and {_int(h['likely_lost'])} others are below "
        f"{h['likely_lost_below']:.0%} (likely lost). "
        f"Members are expected to make {h['expected_purchases_next_month']:,.0f} purchase visits next month.</p>")]
    if bt:
        items.append(HTML(
            f"<p>Track record on held-out data: fitted to {bt['calibration_end']}, the model expected "
            f"{bt['predicted_purchases']:,.0f} purchase visits in the {bt['holdout_weeks']:.0f} weeks to "
            f"{bt['observation_end']}; members made {bt['actual_purchases']:,.0f} "
            f"({bt['aggregate_error_pct']:+.1f}%). Per member the mean absolute error was "
            f"{bt['mae']:.2f} visits.</p>"))
    items += _image(run, "tracking.png")
    value = run.read_json("clv_summary.json")
    if value:
        items.append(HTML(
            f"<p>{html.escape(value['convention'])} Total expected CLV of members: "
            f"<b>{value['total_clv']:,.0f} {cur}</b>. The {_int(value['at_risk_members'])} members at risk but not "
            f"yet likely lost carry {value['at_risk_clv']:,.0f} {cur} of expected CLV, and "
            f"<b>{value['at_risk_value_at_stake']:,.0f} {cur}</b> more is at stake: what they would add if they "
            f"stayed ({value['newly_at_risk_value_at_stake']:,.0f} {cur} of it from members newly at risk this "
            f"month). Winning back the {_int(value['likely_lost_members'])} likely lost members would be worth up to "
            f"{value['likely_lost_value_if_won_back']:,.0f} {cur}, at long odds.</p>"))
        groups = pd.DataFrame(value["groups"]).rename(columns={
            "group": "Members", "members": "count", "clv": f"expected CLV ({cur})",
            "clv_if_alive": f"CLV if retained ({cur})", "value_at_stake": f"value at stake ({cur})"})
        items.append(_table(groups.round(0).astype({c: "int64" for c in groups.columns[1:]})))
    return items


def actions_section(run: Run) -> list | None:
    summary = run.read_json("actions_summary.json")
    if summary is None:
        return None
    cur = run.config.currency
    wb, bd, hg = summary["winback"], summary["birthdays"], summary["holiday_greetings"]
    items = [HTML(
        f"<p><b>Win-back list: {_int(wb['listed'])} members</b> to contact, worth an expected "
        f"{wb['listed_contact_value']:,.0f} {cur} in {run.read_json('clv_summary.json')['horizon_months']}-month CLV. "
        f"Of {_int(wb['at_risk'])} members at risk, {_int(wb['without_consent'])} have no marketing consent "
        f"and are left out; {_int(wb['over_budget'])} more are beyond the contact budget of {_int(wb['budget'])}. "
        + (f"Birthday greetings next month: {_int(bd['listed'])} members. " if "listed" in bd else "")
        + (f"Holiday care for core and key members: {_int(hg['listed'])}. " if "listed" in hg else "")
        + "The lists themselves are files for the consultant, not part of this report.</p>")]
    rows = []
    for c in summary["campaigns"]:
        measure = c.get("measure") if isinstance(c.get("measure"), str) else None
        if measure in (None, "reactivated", "incremental revenue"):
            if measure is None:
                rows.append({"campaign": c["campaign_id"], "type": c["type"], "sent": str(c["sent_at"])[:10],
                             "result": c["status"]})
            elif measure == "reactivated":
                rows.append({"campaign": c["campaign_id"], "type": c["type"], "sent": str(c["sent_at"])[:10],
                             "result": f"reactivation {c['treatment_mean']:.1%} vs {c['control_mean']:.1%} in control: "
                                       f"uplift {c['uplift'] * 100:+.1f} points (95% CI {c['low'] * 100:+.1f} to "
                                       f"{c['high'] * 100:+.1f})" + ("" if c["significant"] else ", not significant")})
            else:
                rows[-1]["result"] += (f"; incremental revenue {c['uplift']:,.0f} {cur} "
                                       f"(95% CI {c['low']:,.0f} to {c['high']:,.0f}) over {c['window_weeks']} weeks")
    if rows:
        items.append(HTML("<p>Campaigns, treatment against a randomised control group:</p>"))
        items.append(_table(pd.DataFrame(rows)))
    else:
        items.append(HTML("<p>This data source has no campaigns to evaluate.</p>"))
    if summary["campaigns_described"]:
        items.append(HTML("<p>Campaigns without a control group cannot be measured. Their targeted members "
                          "are described beside untargeted recent shoppers; targeting was not random, so the "
                          "difference is not an effect of the campaign.</p>"))
    record = summary["track_record"]
    if record:
        last = record[-1]
        items.append(HTML(
            f"<p><b>Model track record.</b> For {last['for_month']}, the model forecast "
            f"{last['predicted_purchases']:,.0f} member purchase days a month ahead; members made "
            f"{last['actual_purchases']:,.0f} ({last['aggregate_error_pct']:+.1f}%).</p>"))
        if len(record) > 1:
            items += _image(run, "track_record.png")
    else:
        items.append(HTML("<p>Model track record: no forecast for this month was recorded yet (the ledger "
                          "fills as monthly runs are published).</p>"))
    return items


# Later issues add their sections here, in reading order; data quality stays last.
SECTIONS: list[Section] = [
    Section("churn-value", "Churn and value", churn_and_value),
    Section("actions", "Actions and their results", actions_section),
    Section("data-quality", "Data quality", data_quality),
]


def build(run: Run) -> list:
    facts = run.read_json("data_quality_summary.json") or {}
    title = f"Customer retention report · {run.month}"
    head = [HTML(f"<h1>{html.escape(title)}</h1>"
                 f"<p>{html.escape(run.config.name)} · reporting month {run.month} "
                 f"(data up to {run.end - pd.Timedelta(days=1):%Y-%m-%d})</p>")]
    if facts.get("simulated", run.config.simulated):
        head.append(HTML('<p class="simulated-banner">SIMULATED DATA: this report is built from the '
                         'simulated demo store, not from a real client.</p>'))
    body, contents = [], []
    for section in SECTIONS:
        items = section.build(run)
        if items:
            contents.append(f'<li><a href="#{section.anchor}">{html.escape(section.title)}</a></li>')
            body += [_heading(section), *items]
    toc = HTML("<h2>Contents</h2><ol>" + "".join(contents) + "</ol>")
    return head + [toc] + body
