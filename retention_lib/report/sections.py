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
from retention_lib.report import satisfaction_display as sat_text, text
from retention_lib.report.findings import key_findings
from retention_lib.core.run import Run
from retention_lib.report.text import say, say_html


@dataclass
class Section:
    anchor: str          # its title is the message f"section.{anchor}"
    build: Callable[[Run], list | None]

    @property
    def title(self) -> str:
        return say(f"section.{self.anchor}")


def _heading(section: Section) -> HTML:
    return HTML(f'<h2 id="{section.anchor}">{html.escape(section.title)}</h2>')


def _p(key: str, **params) -> HTML:
    return HTML(f"<p>{say_html(key, **params)}</p>")


def _table(frame: pd.DataFrame) -> HTML:
    return HTML(frame.to_html(index=False, border=0, classes="report-table", na_rep="—"))


def _unavailable(run: Run, *parts: str) -> list:
    """A line per reason the data cannot support parts of a section this month (parts that are
    missing for the same reason share it)."""
    gone = {part: run.reason(part) for part in parts if run.reason(part)}
    return [HTML('<p class="unavailable">'
                 f'{say_html("unavailable.html", titles="; ".join(titles), reason=text.render(reason))}</p>')
            for titles, reason in stages.by_reason(gone)]


def _image(run: Run, key: str) -> list:
    """A chart by key; nothing when its part is unavailable (the reason is shown instead)."""
    path = run.read(key)
    return [Image(filename=str(path))] if path is not None else []


def data_quality(run: Run) -> list | None:
    facts = run.read("data_quality_summary")
    absent = say("list.separator").join(facts["tables_absent"]) or say("dq.none")
    items = [_p("dq.summary", source=facts["source"], data_from=facts["data_from"], data_to=facts["data_to"],
                lines=facts["lines_read"], rejected=facts["rows_rejected"], absent=absent, month=facts["month"],
                member_baskets=facts["member_baskets"], non_member_baskets=facts["non_member_baskets"],
                member_share=facts["member_revenue_share"], days_without=facts["days_without_baskets"],
                days_in_month=facts["days_in_month"])]
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
    counts = dict(members=h["members_scored"], at_risk=h["at_risk"], newly=h["newly_at_risk"],
                  likely_lost=h["likely_lost"])
    if h["method"] == "model":
        items = [_p("churn.headline.model", model=h["model"], month=run.month, threshold=h["threshold"],
                    likely_lost_below=h["likely_lost_below"], expected=h["expected_purchases_next_month"], **counts)]
    else:
        items = [_p("churn.headline.lapse_rule", reason=h["reason"], overdue_factor=h["overdue_factor"],
                    lapse_days=h["lapse_days"], **counts)]
    bt = run.read("backtest")
    if bt:
        m = bt["metrics"]
        items.append(_p("churn.backtest", calibration_end=m["calibration_end"], predicted=m["predicted_purchases"],
                        holdout_weeks=m["holdout_weeks"], observation_end=m["observation_end"],
                        actual=m["actual_purchases"], error_pct=m["aggregate_error_pct"], mae=m["mae"]))
    items += _unavailable(run, "backtest", "churn_model") + _image(run, "tracking_chart")
    value = run.read("clv_summary")
    items.append(_p("clv.summary", convention=value["convention"], currency=cur, total_clv=value["total_clv"],
                    at_risk=value["at_risk_members"], at_risk_clv=value["at_risk_clv"],
                    at_stake=value["at_risk_value_at_stake"], newly_at_stake=value["newly_at_risk_value_at_stake"],
                    likely_lost=value["likely_lost_members"], won_back=value["likely_lost_value_if_won_back"]))
    groups = text.labelled(pd.DataFrame(value["groups"]), "group", "churn_group")
    groups = groups.round({c: 0 for c in groups.columns[1:]}).astype({c: "int64" for c in groups.columns[1:]})
    items.append(_table(text.headers(groups, "clv.groups", currency=cur)))
    return items


def actions_section(run: Run) -> list | None:
    summary = run.read("actions_summary")
    cur = run.config.currency
    wb, bd, hg = summary["winback"], summary["birthdays"], summary["holiday_greetings"]
    lists = [say_html("actions.winback", listed=wb["listed"], value=wb["listed_contact_value"], currency=cur,
                      horizon_months=run.read("clv_summary")["horizon_months"], at_risk=wb["at_risk"],
                      without_consent=wb["without_consent"], over_budget=wb["over_budget"], budget=wb["budget"])]
    if "listed" in bd:
        lists.append(say_html("actions.birthdays", listed=bd["listed"]))
    if "listed" in hg:
        lists.append(say_html("actions.holidays", listed=hg["listed"]))
    items = [HTML("<p>" + " ".join(lists + [say_html("actions.files")]) + "</p>")]
    rows = []
    for c in summary["campaigns"]:
        measure = c.get("measure") if isinstance(c.get("measure"), str) else None
        if measure in (None, "reactivated", "incremental revenue"):
            if measure is None:
                result = c["status"]
            elif measure == "reactivated":
                result = say("actions.reactivation" if c["significant"] else "actions.reactivation.not_significant",
                             treatment=c["treatment_mean"], control=c["control_mean"], uplift=c["uplift"],
                             low=c["low"], high=c["high"])
            else:
                rows[-1]["result"] = say("actions.revenue", result=rows[-1]["result"], uplift=c["uplift"],
                                         currency=cur, low=c["low"], high=c["high"], weeks=c["window_weeks"])
                continue
            rows.append({"campaign": c["campaign_id"], "type": c["type"], "sent": text.date_label(c["sent_at"]),
                         "result": result})
    if rows:
        items.append(_p("actions.campaigns"))
        items.append(_table(text.headers(pd.DataFrame(rows), "actions.table")))
    else:
        items.append(_p("actions.no_campaigns"))
    if summary["campaigns_described"]:
        items.append(_p("actions.described"))
    record = summary["track_record"]
    if record:
        last = record[-1]
        items.append(_p("actions.track_record", for_month=last["for_month"], predicted=last["predicted_purchases"],
                        actual=last["actual_purchases"], error_pct=last["aggregate_error_pct"]))
        if len(record) > 1:
            items += _image(run, "track_record_chart")
    else:
        items.append(_p("actions.no_track_record"))
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
    label = (say("kpi.at_risk.model", model=h["model"], threshold=h["threshold"]) if h["method"] == "model"
             else say("kpi.at_risk.lapse_rule", overdue_factor=h["overdue_factor"]))
    rows.insert(lapsed_at[0] + 1 if lapsed_at else len(rows), {
        "kpi": "at_risk", "kind": "count", "value": float(h["at_risk"]), "previous": before,
        "mom_abs": mom, "mom_rel": mom_rel})
    if h["method"] == "model":
        at_risk_text = say_html("kpis.at_risk.model", model=h["model"], at_risk=h["at_risk"], threshold=h["threshold"],
                                newly=h["newly_at_risk"])
    else:
        at_risk_text = say_html("kpis.at_risk.lapse_rule", at_risk=h["at_risk"], newly=h["newly_at_risk"])
    board = pd.DataFrame(rows).assign(month=facts["month"], previous_month=facts["previous_month"],
                                      year_ago_month=facts["year_ago_month"])
    for col in ("value", "previous", "mom_abs", "mom_rel", "year_ago", "yoy_abs", "yoy_rel"):
        board[col] = pd.to_numeric(board[col], errors="coerce").astype(float)
    v = board.set_index("kpi")["value"]
    summary = say_html("kpis.summary", month=facts["month"], active=v.get("active_customers"),
                       new=v.get("new_customers"), lapsed=v.get("lapsed_customers"), churn=v.get("churn_rate"),
                       retention=v.get("retention_rate"))
    warm = say_html("kpis.warm_up") if facts.get("warm_up") else ""
    paragraph = " ".join(filter(None, [summary, html.escape(text.render(facts["lapse"]["rule"])), at_risk_text,
                                       warm]))
    items = [HTML(f"<p>{paragraph}</p><p>{say_html('kpis.definitions', stores=facts['stores'])}</p>"),
             _table(text.format_board(board, cur, names={"at_risk": label}))]
    items += _image(run, "kpi_trends_chart")
    if facts.get("cohort_basis"):
        items.append(_p("kpis.cohorts.join" if facts["cohort_basis"] == "join" else "kpis.cohorts.first_purchase"))
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
        items.append(_p("segments.rfm", members=seg["members"], month=seg["month"],
                        window_days=seg["rfm_window_days"]))
        items.append(_table(text.headers(pd.DataFrame({
            "segment": [text.label("segment", k) for k in s["segment"]], "members": s["members"].map(text.count),
            "share_of_members": s["share_of_members"].map(lambda x: text.percent(x, 1)),
            "revenue": s["revenue"].map(text.money),
            "share_of_revenue": s["share_of_revenue"].map(lambda x: text.percent(x, 1)),
            "description": [say(f"segment_description.{k}", new_days=seg["new_days"]) for k in s["segment"]]}),
            "segments.table", currency=cur)))
        items += _image(run, "rfm_chart")
        t = pd.DataFrame(seg["tiers"])
        items.append(_p("tiers.intro", rule=seg["tier_rule"]["rule"]))
        items.append(_table(text.headers(pd.DataFrame({
            "tier": [text.label("tier", k) for k in t["tier"]],
            "action": [text.label("tier_action", k) for k in t["tier"]], "members": t["members"].map(text.count),
            "share_of_members": t["share_of_members"].map(lambda x: text.percent(x, 1)),
            "clv": t["clv"].map(text.money), "share_of_clv": t["share_of_clv"].map(lambda x: text.percent(x, 1)),
            "mean_p_alive": t["mean_p_alive"].map(lambda x: text.number(x, 2))}), "tiers.table", currency=cur)))
        moves = seg["tier_moves"]
        items.append(_p("tiers.moves", previous_month=seg["previous_month"], month=seg["month"], up=moves["up"],
                        down=moves["down"], down_revenue=moves["down_revenue"], currency=cur))
        m = seg["tier_migration"]["counts"]
        table = pd.DataFrame(m["values"], index=[text.label("tier", k) for k in m["rows"]],
                             columns=[text.label("tier", k) for k in m["columns"]]).astype(int).map(text.count)
        table.insert(0, say("tiers.moves.corner", previous_month=seg["previous_month"], month=seg["month"]),
                     table.index)
        items.append(_table(table))
        items += _image(run, "rfm_migration_chart")
    if warn:
        c = pd.DataFrame(warn["counts"])
        items.append(_p("warning.summary", checked=warn["checked_members"],
                        weeks=warn["recent_weeks"] + warn["baseline_weeks"], flagged=warn["flagged_members"],
                        multiple=warn["multiple_reasons"], recent_weeks=warn["recent_weeks"],
                        baseline_weeks=warn["baseline_weeks"], lookback_days=warn["lookback_days"]))
        items.append(_table(pd.DataFrame({
            say("warning.table.reason"): [text.label("warning", r) for r in c["reason"]],
            say("warning.table.members"): [(say("warning.no_data") if not a else text.count(n))
                                           for n, a in zip(c["members"], c["available"])],
            say("warning.table.share"): [text.percent(x, 1) for x in c["share_of_checked"]]})))
    if drv:
        intro = " ".join([say_html("drivers.intro", groups=drv["groups"])]
                         + [html.escape(text.render(n)) for n in drv["notes"]])
        items.append(HTML(f"<p>{intro}</p>"))
        lines = []
        for h in drv["headline"]:
            lines.append(say_html("drivers.numeric", name=text.feature_label(h["feature"], "feature_name"),
                                  lapsed=h["lapsed"], retained=h["retained"], difference=h["difference"],
                                  unit=text.feature_unit(h["feature"], cur), ci_low=h["ci_low"], ci_high=h["ci_high"],
                                  cohens_d=h["cohens_d"]))
        cats = [c for c in drv["categorical"] if c["ci_low"] is not None and (c["ci_low"] > 0 or c["ci_high"] < 0)]
        cats = sorted(cats, key=lambda c: -abs(c["difference"]))[:5]
        for c in cats:
            lines.append(say_html("drivers.categorical", variable=text.label("variable", c["variable"]),
                                  level=text.level(c["level"]), lapsed_share=c["lapsed_share"],
                                  retained_share=c["retained_share"], difference=c["difference"],
                                  ci_low=c["ci_low"], ci_high=c["ci_high"]))
        if lines:
            items.append(HTML(f"<p>{say_html('drivers.largest')}</p><ul>"
                              + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"))
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
        items.append(HTML(f"<p>{html.escape(sat_text.headline_text(s['headline']))}</p>"))
        items.append(_table(sat_text.headline_table(s["headline"])))
        items += _image(run, "satisfaction_trend_chart")
        if s["by_store"] and len(s["by_store"]) > 1:
            items.append(_p("satisfaction.section.by_store", month=run.month))
            items.append(_table(sat_text.score_display(s["by_store"], "store_id", "scores.table.store")))
        items.append(_p("satisfaction.section.drivers", text=sat_text.drivers_text(s["drivers"])))
        items += _image(run, "satisfaction_drivers_chart")
        items.append(_p("satisfaction.section.behaviour",
                        text=sat_text.behaviour_text(s["behaviour"], run.config.currency)))
        items += _image(run, "satisfaction_churn_chart")
        themes = s["themes"] or {}
        if themes.get("comments"):
            items.append(_p("satisfaction.section.themes", comments=themes["comments"], month=run.month,
                            zh=themes["zh"], en=themes["en"]))
            items.append(_table(sat_text.themes_display(themes)))
    if s["has_complaints"]:
        items.append(_p("satisfaction.section.complaints", text=sat_text.complaints_text(s["complaints"])))
        items += _image(run, "complaints_chart")
        stores = s["complaints"]["by_store"]
        if len(stores) > 1:
            items.append(_p("satisfaction.section.complaints_by_store", month=run.month))
            items.append(_table(sat_text.store_display(stores)))
    return items


# Later issues add their sections here, in reading order; data quality stays last.
SECTIONS: list[Section] = [
    Section("key-findings", key_findings_section),
    Section("kpis", kpi_section),
    Section("churn-value", churn_and_value),
    Section("segments", segments_section),
    Section("satisfaction", satisfaction_section),
    Section("actions", actions_section),
    Section("data-quality", data_quality),
]


def build(run: Run) -> list:
    facts = run.read("data_quality_summary")
    subtitle = say_html("report.subtitle", name=run.config.name, month=run.month,
                        data_end=run.end - pd.Timedelta(days=1))
    head = [HTML(f"<h1>{say_html('report.title', month=run.month)}</h1><p>{subtitle}</p>")]
    if facts.get("simulated", run.config.simulated):
        head.append(HTML(f'<p class="simulated-banner">{say_html("report.simulated")}</p>'))
    body, contents = [], []
    for section in SECTIONS:
        items = section.build(run)
        if items:
            contents.append(f'<li><a href="#{section.anchor}">{html.escape(section.title)}</a></li>')
            body += [_heading(section), *items]
    toc = HTML(f"<h2>{say_html('report.contents')}</h2><ol>" + "".join(contents) + "</ol>")
    return head + [toc] + body
