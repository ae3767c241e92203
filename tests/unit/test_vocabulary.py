"""One vocabulary: the lifecycle's words (new, active, at risk, lapsed, dormant, lost, the base) mean one
thing wherever they are said, "flagged" belongs to the early warning, and segment names reuse no churn
word; the report defines each term once, in "Terms used", and every count it quotes is the lifecycle's."""
import html as html_lib
import json
import re

import numpy as np
import pandas as pd
import pytest

from conftest import stub_charts
from retention_lib.analytics import churn, kpis, lifecycle, segments, value
from retention_lib.data.prepare import open_run
from retention_lib.report import charts, sections, text
from retention_lib.report.catalogue import MESSAGES
from retention_lib.report.findings import key_findings
from retention_lib.report.sections.glossary import TERMS

CHURN_WORDS = ("at risk", "at-risk", "flagged")
MONTH = "2024-11"


def test_segment_names_and_descriptions_reuse_no_churn_word():
    recency = segments.RecencyRule.of(lifecycle.Rule.of(35, 180)).params()
    for key in segments.SEGMENTS:
        words = (text.say(f"segment.{key}") + " " + text.say(f"segment_description.{key}", **recency)).lower()
        assert not any(w in words for w in CHURN_WORDS), key
        assert not any(w in key for w in ("risk", "flag")), key


def test_the_early_warning_speaks_of_flagged_members_not_of_members_at_risk():
    said = [k for k in MESSAGES if k.startswith("warning.")]
    assert len(said) > 10
    assert not [k for k in said if "at risk" in MESSAGES[k].lower()]
    assert "flagged" in MESSAGES["warning.summary"]


def test_no_message_speaks_of_likely_lost_members():
    # issue 23 removed the churn view's "likely lost": a member past the win-back window is lost (a state)
    assert sorted(k for k, v in MESSAGES.items() if "likely lost" in v.lower()) == []


def test_the_segments_chart_calls_long_lapsed_members_lost_as_the_lifecycle_does():
    # long lapsed = silent W days or more = the lifecycle's lost; "dormant" is the lifecycle's word for
    # lapsed members silent fewer than W days, so it may not name them
    recency = segments.RecencyRule.of(lifecycle.Rule.of(35, 180)).params()
    legend = text.say("segments.chart.status.long_lapsed", **recency).lower()
    assert "180 days" in legend
    assert "dormant" not in legend and "lost" in legend


def test_terms_used_is_a_section_just_before_the_data_quality_footnote():
    anchors = [s.anchor for s in sections.SECTIONS]
    assert anchors[-2:] == ["glossary", "data-quality"]
    assert text.say("section.glossary") == "Terms used"
    assert set(TERMS) == {"shopped", "base", "new", "active", "at_risk", "lapsed", "dormant", "lost", "churn_rate",
                          "flagged", "p_alive", "clv", "value_at_stake", "rfm_segment", "value_tier"}
    assert len(TERMS) == len(set(TERMS))


@pytest.fixture(scope="module")
def month(small_config, tmp_path_factory):
    """A small store's month with the artifacts the glossary, the KPI and the churn sections read
    (notebooks 02–05 as library calls)."""
    run = open_run(small_config, MONTH, tmp_path_factory.mktemp("vocabulary"))
    lapse = kpis.lapse_rule(run)
    kpis.save(run, kpis.for_month(run, lapse), lapse)
    churned = churn.saved(run)
    value.saved(run, churned)
    groups = text.labelled(pd.DataFrame(run.read("clv_summary")["groups"]), "state", "state", into="label")
    run.write("clv_chart", charts.clv_groups_chart(groups, run.config.currency, 12, MONTH))
    segments.save(run, segments.for_month(run))
    run.unavailable("backtest", "not part of this test")
    stub_charts(run)
    return run, lapse


def _states(baskets: pd.DataFrame, end: pd.Timestamp, n: int, w: int) -> pd.DataFrame:
    """The lifecycle rule written again: per member with a purchase by `end` (a month's last day), days
    silent at `end`, whether new in that month, and the state before the at-risk split."""
    p = baskets[baskets["is_member"] & baskets["is_purchase"] & baskets["customer_id"].notna()]
    day = pd.to_datetime(p["date"]).dt.normalize()
    p = p.assign(day=day)[day <= end]
    per = p.groupby("customer_id")["day"].agg(first="min", last="max")
    silent = (end - per["last"]).dt.days
    new = per["first"] >= end.replace(day=1)
    state = np.select([new, silent < n, silent < n + end.day, silent < w],
                      ["new", "active", "lapsed", "dormant"], "lost")
    return pd.DataFrame({"silent": silent, "new": new, "state": state, "bought": per["last"] >= end.replace(day=1)})


@pytest.fixture(scope="module")
def again(month):
    """This month's and last month's states by the rule written again on the run's baskets."""
    run, lapse = month
    n = lapse.days
    w = max(int(run.setting("winback_days")), n + 31)   # the win-back window, widened to N + 31 at least
    b = run.table("baskets")
    now = _states(b, pd.Timestamp("2024-11-30"), n, w)
    before = _states(b, pd.Timestamp("2024-10-31"), n, w).reindex(now.index)
    in_base = now["silent"] < n
    was_in_base = (before["silent"] < n).fillna(False).astype(bool)
    events = {"new": int(now["new"].sum()), "returned": int((now["bought"] & ~now["new"] & ~was_in_base).sum()),
              "lapsed": int((was_in_base & ~in_base).sum()), "base_start": int(was_in_base.sum()),
              "base_end": int(in_base.sum())}
    return now, events, n, w


def test_the_glossary_defines_each_term_once_with_this_months_values(month, again):
    run, lapse = month
    _, _, n, w = again
    html = "".join(item.data for item in sections.glossary_section(run))
    terms = re.findall(r"<dt><b>(.*?)</b></dt>", html)
    assert len(terms) == len(TERMS) == len(set(terms))
    assert [t for t in (text.say(f"glossary.term.{k}") for k in TERMS) if terms.count(t) != 1] == []
    h = run.read("churn_summary")["headline"]
    assert h["method"] == "model"
    definition = {k: html_lib.unescape(d) for k, d in zip(terms, re.findall(r"<dd>(.*?)</dd>", html))}
    said = {k: definition[text.say(f"glossary.term.{k}")] for k in TERMS}
    assert f"the {h['model']} churn model gives at least {h['threshold']:.0%} chance of buying nothing next month" \
        in said["at_risk"]
    assert f"within {n} days" in said["at_risk"]          # at risk: still active
    assert f"lapsed after {lapse.days} days" in said["lapsed"]
    assert f"fewer than {w} days" in said["dormant"] and f"{w} days or more" in said["lost"]
    assert "new, active and at risk" in said["base"]
    assert f"{run.read('clv_summary')['horizon_months']} months" in said["clv"]
    assert "early warning" in said["flagged"]
    assert "lapsed, dormant and lost members are in no tier" in said["value_tier"]


def test_at_risk_members_are_all_active_and_the_lifecycle_counts_are_the_rule_written_again(month, again):
    run, lapse = month
    now, events, n, _ = again
    scores = run.read("churn_scores")
    at_risk = scores.index[scores["state"] == "at_risk"]
    assert len(at_risk) > 0                                   # not true of an empty set only
    # at risk ⊆ active: bought within the N days, not new this month
    assert (now.loc[at_risk, "silent"] < n).all() and not now.loc[at_risk, "new"].any()
    assert (now.loc[at_risk, "state"] == "active").all()
    assert scores["at_risk"].equals(scores["state"] == "at_risk")
    # every member's state is the rule's, at risk split off the active
    assert scores["state"].replace("at_risk", "active").sort_index().equals(now["state"].sort_index())
    facts = run.read("lifecycle")
    total = facts["scopes"][facts["total"]]
    mine = now["state"].value_counts()
    assert {s: total[s] for s in ("new", "lapsed", "dormant", "lost")} == \
        {s: int(mine.get(s, 0)) for s in ("new", "lapsed", "dormant", "lost")}
    assert total["active"] + total["at_risk"] == int(mine["active"]) and total["at_risk"] == len(at_risk)
    assert {k: total[k] for k in ("base_start", "base_end", "returned")} == \
        {k: events[k] for k in ("base_start", "base_end", "returned")}
    assert (total["new_event"], total["lapsed_event"]) == (events["new"], events["lapsed"])
    # the stock-and-flow identity, for all stores and each home store (the stores add up to all)
    for scope, c in facts["scopes"].items():
        assert c["base_end"] == c["base_start"] + c["new_event"] + c["returned"] - c["lapsed_event"], scope
        assert c["base_end"] == c["new"] + c["active"] + c["at_risk"], scope
    stores = [c for scope, c in facts["scopes"].items() if scope != facts["total"]]
    assert {k: sum(c[k] for c in stores) for k in total} == total


def test_the_lifecycle_words_name_the_same_members_in_segments_and_tiers(month, again):
    run, _ = month
    now, *_ = again
    m = run.read("segments_members")
    state = now["state"].reindex(m.index)
    assert state.notna().all()
    # RFM recency by the lifecycle's days: recent = the base, gone quiet = lapsed or dormant, lost = lost
    assert (m["segment"] == "lost").equals(state == "lost")
    assert m["segment"].isin(["best_gone_quiet", "gone_quiet"]).equals(state.isin(["lapsed", "dormant"]))
    # tiers for living members only; the others carry their state, never a tier
    living = state.isin(["new", "active"])
    assert m.loc[living, "tier"].isin(segments.TIERS).all()
    assert m.loc[~living, "tier"].equals(state[~living])


def _tables(html: str) -> list[str]:
    return re.findall(r"<table.*?</table>", html)


def _first_column(table_html: str) -> dict[str, str]:
    """A table's rows: label → the first number shown."""
    return {html_lib.unescape(label): v for label, v in
            re.findall(r'<tr><td[^>]*>([^<]*)</td><td class="num"[^>]*>([^<]*)</td>', table_html)}


def test_the_kpi_and_churn_sections_quote_the_lifecycle(month, again):
    run, _ = month
    _, events, n, _ = again
    facts = run.read("lifecycle")
    total = facts["scopes"][facts["total"]]
    h = run.read("churn_summary")["headline"]
    kpi_html = "".join(i.data for i in sections.kpi_section(run) if isinstance(getattr(i, "data", None), str))
    cells = _first_column(_tables(kpi_html)[0])   # the board: this month's column
    count = text.count
    assert cells[text.kpi_label("new_customers")] == count(events["new"])
    assert cells[text.kpi_label("reactivated_customers")] == count(events["returned"])
    assert cells[text.kpi_label("lapsed_customers")] == count(events["lapsed"])
    assert cells[text.kpi_label("active_base_start")] == count(events["base_start"])
    assert cells[text.kpi_label("base_end")] == count(events["base_end"])
    # churn = lapsed ÷ the base at the month's start
    assert cells[text.kpi_label("churn_rate")] == text.percent(events["lapsed"] / events["base_start"], 1)
    at_risk_labels = {text.say("kpi.at_risk.model"), text.say("kpi.at_risk.lapse_rule")}
    at_risk_row = [v for label, v in cells.items() if label in at_risk_labels]
    assert at_risk_row == [count(total["at_risk"])]
    # the lifecycle paragraph: its numbers are the artifact's, and they add up
    assert (f"{count(total['base_start'])} + {count(total['new_event'])} new + {count(total['returned'])} returned "
            f"− {count(total['lapsed_event'])} lapsed = {count(total['base_end'])}") in kpi_html
    assert f"Of the {count(total['active'] + total['at_risk'])} active members, <b>{count(total['at_risk'])}</b>" \
        in kpi_html
    # the store table: each home store's new, lapsed and churn are the artifact's
    for scope, c in facts["scopes"].items():
        if scope == facts["total"]:
            continue
        row = re.search(rf'<tr><td[^>]*>{re.escape(scope)}</td>((?:<td class="num"[^>]*>[^<]*</td>)+)</tr>', kpi_html)
        shown = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row.group(1))
        assert [count(c["new_event"]), count(c["lapsed_event"]),
                text.percent(c["lapsed_event"] / c["base_start"], 1)] == shown[1:4], scope

    churn_html = "".join(i.data for i in sections.churn_and_value(run) if isinstance(getattr(i, "data", None), str))
    assert (f"Of the {count(total['active'] + total['at_risk'])} active members (bought within {n} days, not new), "
            f"<b>{count(total['at_risk'])}</b> are at risk") in churn_html
    assert f"<b>{count(total['newly_at_risk'])}</b> of them became at risk this month" in churn_html
    assert h["at_risk"] == total["at_risk"] and h["newly_at_risk"] == total["newly_at_risk"]
    # the CLV table by state: one row a state, its members the artifact's count
    rows = _first_column(_tables(churn_html)[-1])
    assert {s: rows[text.label("state", s)] for s in lifecycle.STATES} == \
        {s: count(total[s]) for s in lifecycle.STATES}
    winback = total["lapsed"] + total["dormant"]
    assert f"Winning back the {count(winback)} lapsed and dormant members" in churn_html
    assert f"The {count(total['lost'])} lost members are beyond the win-back window" in churn_html
    # counts and money with separators, never a raw 2370 or 1087366
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", churn_html)
    assert not [c for c in cells if re.fullmatch(r"\d{4,}(\.\d+)?", c)]


def test_the_at_risk_finding_counts_active_members_and_the_retain_list(tmp_path):
    (tmp_path / "artifacts").mkdir()
    headline = {"method": "model", "threshold": 0.5, "overdue_factor": None, "newly_at_risk": 40, "at_risk": 55,
                "lapse_days": 35}
    (tmp_path / "artifacts" / "churn_summary.json").write_text(json.dumps({"headline": headline}))
    (tmp_path / "artifacts" / "clv_summary.json").write_text(json.dumps(
        {"newly_at_risk_value_at_stake": 12345.0, "horizon_months": 12}))
    (tmp_path / "artifacts" / "actions_summary.json").write_text(json.dumps(
        {"retain": {"candidates": 55, "listed": 31, "without_consent": 24}, "campaigns": [], "track_record": []}))
    found = [f for f in key_findings(tmp_path, "USD") if "at risk" in f]
    assert len(found) == 1
    sentence = found[0]
    assert sentence.startswith("40 active members became at risk this month")
    assert "50%" in sentence and "12,345 USD of 12-month CLV" in sentence
    assert "holds the 31 members at risk who can be called" in sentence    # the list's count, as listed
    assert "have not bought" not in sentence                                # at risk: still active
    # without a retain list, nothing is said of one
    (tmp_path / "artifacts" / "actions_summary.json").unlink()
    alone = [f for f in key_findings(tmp_path, "USD") if "at risk" in f]
    assert len(alone) == 1 and "retain list" not in alone[0] and alone[0].startswith("40 active members")
