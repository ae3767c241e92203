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

from retention_lib.core import stages
from retention_lib.report import text
from retention_lib.report.findings import key_findings
from retention_lib.core.run import Run


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


def _unavailable(run: Run, *parts: str) -> list:
    """A line per reason the data cannot support parts of a section this month (parts that are
    missing for the same reason share it)."""
    gone = {part: run.reason(part) for part in parts if run.reason(part)}
    return [HTML(f'<p class="unavailable"><b>Not available this month: {html.escape("; ".join(titles))}.</b> '
                 f"{html.escape(reason)}</p>") for titles, reason in stages.by_reason(gone)]


def _image(run: Run, key: str) -> list:
    """A chart by key; nothing when its part is unavailable (the reason is shown instead)."""
    path = run.read(key)
    return [Image(filename=str(path))] if path is not None else []


def data_quality(run: Run) -> list | None:
    facts = run.read("data_quality_summary")
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
    return items + _image(run, "coverage_chart")


def key_findings_section(run: Run) -> list | None:
    found = key_findings(run.run_dir, run.config.currency)
    if not found:
        return None
    return [HTML("<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in found) + "</ul>")]


def churn_and_value(run: Run) -> list | None:
    churn = run.read("churn_summary")
    h = churn["headline"]
    cur = run.config.currency
    if h["method"] == "model":
        items = [HTML(
            f"<p>{h['model']} model fitted on {_int(h['members_scored'])} members' purchase histories to "
            f"{run.month}. <b>{_int(h['at_risk'])}</b> members have a probability of still being a customer "
            f"(P(alive)) below {h['threshold']:.0%}; <b>{_int(h['newly_at_risk'])}</b> of them crossed that line "
            f"this month (newly at risk) and {_int(h['likely_lost'])} others are below "
            f"{h['likely_lost_below']:.0%} (likely lost). "
            f"Members are expected to make {h['expected_purchases_next_month']:,.0f} purchase visits next month.</p>")]
    else:
        items = [HTML(
            f"<p><b>Churn by the lapse rule this month.</b> {html.escape(h['reason'])} "
            f"<b>{_int(h['at_risk'])}</b> of {_int(h['members_scored'])} members have been silent for more than "
            f"{h['overdue_factor']:g} times their usual gap between visits (at risk); "
            f"<b>{_int(h['newly_at_risk'])}</b> of them crossed that line this month and {_int(h['likely_lost'])} "
            f"others have not bought for {h['lapse_days']} days or more (likely lost).</p>")]
    bt = run.read("backtest")
    if bt:
        m = bt["metrics"]
        items.append(HTML(
            f"<p>Track record on held-out data: fitted to {m['calibration_end']}, the model expected "
            f"{m['predicted_purchases']:,.0f} purchase visits in the {m['holdout_weeks']:.0f} weeks to "
            f"{m['observation_end']}; members made {m['actual_purchases']:,.0f} "
            f"({m['aggregate_error_pct']:+.1f}%). Per member the mean absolute error was "
            f"{m['mae']:.2f} visits.</p>"))
    items += _unavailable(run, "backtest", "churn_model") + _image(run, "tracking_chart")
    value = run.read("clv_summary")
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
    summary = run.read("actions_summary")
    cur = run.config.currency
    wb, bd, hg = summary["winback"], summary["birthdays"], summary["holiday_greetings"]
    items = [HTML(
        f"<p><b>Win-back list: {_int(wb['listed'])} members</b> to contact, worth an expected "
        f"{wb['listed_contact_value']:,.0f} {cur} in {run.read('clv_summary')['horizon_months']}-month CLV. "
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
            items += _image(run, "track_record_chart")
    else:
        items.append(HTML("<p>Model track record: no forecast for this month was recorded yet (the ledger "
                          "fills as monthly runs are published).</p>"))
    return items


def kpi_section(run: Run) -> list | None:
    """Headline KPIs with month-on-month and year-on-year changes (aggregates only)."""
    from retention_lib.analytics import kpis

    facts = run.read("kpi_board")
    cur = run.config.currency
    rows = list(facts["board"])
    h = run.read("churn_summary")["headline"]
    before = float(h["at_risk_last_month"])  # at risk at last month's end, judged the same way
    mom, mom_rel = kpis.change(float(h["at_risk"]), before)
    lapsed_at = [i for i, r in enumerate(rows) if r["kpi"] == "lapsed_customers"]
    label = (f"At risk by the {h['model']} model (P(alive) < {h['threshold']:.0%})" if h["method"] == "model"
             else f"At risk by the lapse rule (silent over {h['overdue_factor']:g}× their usual gap)")
    rows.insert(lapsed_at[0] + 1 if lapsed_at else len(rows), {
        "kpi": "at_risk", "label": label, "kind": "count", "value": float(h["at_risk"]), "previous": before,
        "mom_abs": mom, "mom_rel": mom_rel})
    if h["method"] == "model":
        at_risk_text = (f" Beside the lapse count, the {h['model']} churn model puts <b>{_int(h['at_risk'])}</b> "
                        f"members at risk (P(alive) below {h['threshold']:.0%}), {_int(h['newly_at_risk'])} of them "
                        "newly. The two measure different things: the lapse rule counts members already silent for "
                        "that long; the model judges from each member's own buying rhythm who has probably left.")
    else:
        at_risk_text = (f" The churn model is not used this month (see Churn and value); by the lapse rule "
                        f"<b>{_int(h['at_risk'])}</b> members are at risk, {_int(h['newly_at_risk'])} of them newly.")
    board = pd.DataFrame(rows).assign(month=facts["month"], previous_month=facts["previous_month"],
                                      year_ago_month=facts["year_ago_month"])
    for col in ("value", "previous", "mom_abs", "mom_rel", "year_ago", "yoy_abs", "yoy_rel"):
        board[col] = pd.to_numeric(board[col], errors="coerce").astype(float)
    v = board.set_index("kpi")["value"]
    fmt = text.format_value
    warm = (" This month is within the first weeks of the data, so churn figures cannot be measured yet."
            if facts.get("warm_up") else "")
    items = [HTML(
        f"<p>In {facts['month']}, <b>{fmt(v.get('active_customers'), 'count')}</b> members shopped, "
        f"{fmt(v.get('new_customers'), 'count')} of them new. <b>{fmt(v.get('lapsed_customers'), 'count')}</b> lapsed "
        f"this month: churn rate {fmt(v.get('churn_rate'), 'rate')}, retention rate {fmt(v.get('retention_rate'), 'rate')}. "
        f"{html.escape(facts['lapse']['rule'])}{at_risk_text}{warm}</p>"
        "<p>Active: a member with at least one purchase in the month. Churn rate: members of the month's starting "
        "active base who lapsed during it, divided by that base. Repurchase rate: share of last month's active "
        "members who bought again this month. Rates change in percentage points (pp); “—” means the comparison "
        f"month has no data. Figures for each of the {facts['stores']} stores are in notebook 02 "
        "(store customer counts do not add up to the total: a member counts in every store they visit).</p>"),
        _table(text.format_board(board, cur))]
    items += _image(run, "kpi_trends_chart")
    if facts.get("cohort_basis"):
        what = "join month" if facts["cohort_basis"] == "join" else "month of first purchase"
        items.append(HTML(f"<p>Cohort retention: members grouped by {what}, and the share of each cohort who "
                          "bought in each later month.</p>"))
    return items + _unavailable(run, "cohorts") + _image(run, "cohort_chart")


def segments_section(run: Run) -> list | None:
    """RFM segments, value tiers, migration, early-warning counts and churn drivers (aggregates only)."""
    seg = run.read("segments_summary")
    warn = run.read("early_warning_summary")
    drv = run.read("drivers")
    cur = run.config.currency
    items = _unavailable(run, "segments", "early_warning", "drivers", "category_mix")
    if seg:
        s = pd.DataFrame(seg["segments"])
        items.append(HTML(
            f"<p><b>RFM segments</b> of the {_int(seg['members'])} members with a purchase so far, scored at the end "
            f"of {seg['month']}: recency, frequency and spend over the last {seg['rfm_window_days']} days, each in "
            "quintiles (5 best). Revenue is the members' net spend this month.</p>"))
        items.append(_table(pd.DataFrame({
            "segment": s["segment"], "members": s["members"].map(_int),
            "share of members": s["share_of_members"].map(lambda x: f"{x:.1%}"),
            f"revenue this month ({cur})": s["revenue"].map(lambda x: f"{x:,.0f}"),
            "share of revenue": s["share_of_revenue"].map(lambda x: "—" if pd.isna(x) else f"{x:.1%}"),
            "who they are": s["description"]})))
        items += _image(run, "rfm_chart")
        t = pd.DataFrame(seg["tiers"])
        items.append(HTML(f"<p><b>Value tiers</b> from each member's CLV and P(alive). "
                          f"{html.escape(seg['tier_rule']['rule'])}</p>"))
        items.append(_table(pd.DataFrame({
            "tier": t["tier"], "action": t["action"], "members": t["members"].map(_int),
            "share of members": t["share_of_members"].map(lambda x: f"{x:.1%}"),
            f"expected CLV ({cur})": t["clv"].map(lambda x: f"{x:,.0f}"),
            "share of CLV": t["share_of_clv"].map(lambda x: "—" if pd.isna(x) else f"{x:.1%}"),
            "mean P(alive)": t["mean_p_alive"].map(lambda x: "—" if pd.isna(x) else f"{x:.2f}")})))
        m = seg["tier_migration"]["counts"]
        counts = pd.DataFrame(m["values"], index=m["rows"], columns=m["columns"])
        rev = seg["tier_migration"]["revenue"]
        money = pd.DataFrame(rev["values"], index=rev["rows"], columns=rev["columns"])
        rank = {tier: i for i, tier in enumerate(m["columns"])}
        up = down = 0
        down_revenue = 0.0
        for r in m["columns"]:
            for c in m["columns"]:
                if rank[c] < rank[r]:
                    up += counts.at[r, c]
                elif rank[c] > rank[r]:
                    down += counts.at[r, c]
                    down_revenue += money.at[r, c]
        items.append(HTML(
            f"<p><b>Since last month</b> ({seg['previous_month']} → {seg['month']}): {_int(up)} members moved up a "
            f"value tier and {_int(down)} moved down (they spent {down_revenue:,.0f} {cur} this month). Rows are "
            "last month's tier, columns this month's; last month's P(alive) and CLV use this month's models.</p>"))
        table = counts.astype(int).map(_int)
        table.insert(0, f"{seg['previous_month']} → {seg['month']}", table.index)
        items.append(_table(table))
        items += _image(run, "rfm_migration_chart")
    if warn:
        c = pd.DataFrame(warn["counts"])
        c["members"] = [("no data" if not a else _int(n)) for n, a in zip(c["members"], c["available"])]
        c["share of checked"] = [("—" if pd.isna(x) else f"{x:.1%}") for x in c["share_of_checked"]]
        items.append(HTML(
            f"<p><b>Early warning.</b> Of {_int(warn['checked_members'])} members who bought in the last "
            f"{warn['recent_weeks'] + warn['baseline_weeks']} weeks, <b>{_int(warn['flagged_members'])}</b> show at "
            f"least one sign of turning away ({_int(warn['multiple_reasons'])} show two or more). Frequency and spend "
            f"compare the last {warn['recent_weeks']} weeks with each member's own previous "
            f"{warn['baseline_weeks']} weeks; survey and complaint signs look back {warn['lookback_days']} days. "
            "The list of members is a file for the consultant, not part of this report.</p>"))
        items.append(_table(c[["reason", "members", "share of checked"]]))
    if drv:
        items.append(HTML(f"<p><b>Why members leave.</b> {html.escape(drv['groups'])} "
                          + html.escape(" ".join(drv["notes"])) + "</p>"))
        lines = []
        for h in drv["headline"]:
            unit = "pp" if h["label"].endswith("(%)") else ("months" if h["feature"] == "tenure_months" else cur)
            lines.append(f"<li>{html.escape(h['label'].replace(' (%)', ''))}: lapsed {h['lapsed']:,.1f} vs retained "
                         f"{h['retained']:,.1f}, difference {h['difference']:+,.1f} {unit} (95% CI {h['ci_low']:+,.1f} "
                         f"to {h['ci_high']:+,.1f}); Cohen's d {h['cohens_d']:+.2f}</li>")
        cats = [c for c in drv["categorical"] if c["ci_low"] is not None and (c["ci_low"] > 0 or c["ci_high"] < 0)]
        cats = sorted(cats, key=lambda c: -abs(c["difference"]))[:5]
        for c in cats:
            lines.append(f"<li>{html.escape(c['label'])} {html.escape(str(c['level']))}: {c['lapsed_share']:.1%} of "
                         f"lapsed vs {c['retained_share']:.1%} of retained members, {100 * c['difference']:+.1f} pp "
                         f"(95% CI {100 * c['ci_low']:+.1f} to {100 * c['ci_high']:+.1f})</li>")
        if lines:
            items.append(HTML("<p>The largest differences whose 95% confidence interval excludes zero "
                              "(associations, not proof of cause):</p><ul>" + "".join(lines) + "</ul>"))
        items += _image(run, "drivers_chart")
    return items


def satisfaction_section(run: Run) -> list | None:
    """NPS/CSAT with intervals, drivers, satisfaction against churn, comment themes, complaints.

    Built from notebook 06's artifacts only. Comments appear as theme counts, never as text.
    """
    s = run.read("satisfaction_summary")
    items = _unavailable(run, "satisfaction", "satisfaction_drivers", "satisfaction_churn", "comment_themes",
                         "complaints")
    if s["has_surveys"]:
        items.append(HTML(f"<p>{html.escape(text.headline_text(s['headline']))}</p>"))
        items.append(_table(text.headline_table(s["headline"])))
        items += _image(run, "satisfaction_trend_chart")
        if s["by_store"] and len(s["by_store"]) > 1:
            items.append(HTML(f"<p>By store in {run.month}, lowest NPS first:</p>"))
            items.append(_table(text.score_display(s["by_store"], "store_id", "store")))
        items.append(HTML(f"<p><b>What drives satisfaction.</b> {html.escape(text.drivers_text(s['drivers']))}</p>"))
        items += _image(run, "satisfaction_drivers_chart")
        items.append(HTML("<p><b>Do dissatisfied members leave?</b> "
                          f"{html.escape(text.behaviour_text(s['behaviour'], run.config.currency))}</p>"))
        items += _image(run, "satisfaction_churn_chart")
        themes = s["themes"] or {}
        if themes.get("comments"):
            items.append(HTML(f"<p><b>What customers write about.</b> {_int(themes['comments'])} comments in "
                              f"{run.month} ({_int(themes['zh'])} in Chinese, {_int(themes['en'])} in English), "
                              "counted by theme; a comment can touch several themes. The comments themselves "
                              "stay with the consultant.</p>"))
            items.append(_table(text.themes_display(themes)))
    if s["has_complaints"]:
        items.append(HTML(f"<p><b>Complaints.</b> {html.escape(text.complaints_text(s['complaints']))}</p>"))
        items += _image(run, "complaints_chart")
        stores = s["complaints"]["by_store"]
        if len(stores) > 1:
            items.append(HTML(f"<p>Complaints by store in {run.month}, highest rate first:</p>"))
            items.append(_table(text.store_display(stores)))
    return items


# Later issues add their sections here, in reading order; data quality stays last.
SECTIONS: list[Section] = [
    Section("key-findings", "Key findings", key_findings_section),
    Section("kpis", "KPI board", kpi_section),
    Section("churn-value", "Churn and value", churn_and_value),
    Section("segments", "Segments, early warning and churn drivers", segments_section),
    Section("satisfaction", "Satisfaction and complaints", satisfaction_section),
    Section("actions", "Actions and their results", actions_section),
    Section("data-quality", "Data quality", data_quality),
]


def build(run: Run) -> list:
    facts = run.read("data_quality_summary")
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
