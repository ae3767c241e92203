"""One vocabulary: "at risk" and "likely lost" belong to the churn view, "flagged" to the early
warning, segment names reuse neither; the report defines each term once, in "Terms used"."""
import json
import re

import pandas as pd
import pytest

from retention_lib.analytics import churn, early_warning, kpis, segments, value
from retention_lib.data.prepare import open_run
from retention_lib.report import charts, sections, text
from retention_lib.report.catalogue import MESSAGES
from retention_lib.report.findings import key_findings
from retention_lib.report.sections.glossary import TERMS

CHURN_WORDS = ("at risk", "at-risk", "likely lost", "flagged")


def test_segment_names_and_descriptions_reuse_no_churn_word():
    for key in segments.SEGMENTS:
        words = (text.say(f"segment.{key}") + " " + text.say(f"segment_description.{key}", new_days=60, lapse_days=28,
                                                               last_quiet_day=55, long_days=56)).lower()
        assert not any(w in words for w in CHURN_WORDS), key
        assert not any(w in key for w in ("risk", "flag")), key


def test_the_early_warning_speaks_of_flagged_members_not_of_members_at_risk():
    said = [k for k in MESSAGES if k.startswith("warning.")]
    assert len(said) > 10
    assert not [k for k in said if "at risk" in MESSAGES[k].lower()]
    assert "flagged" in MESSAGES["warning.summary"]


def test_terms_used_is_a_section_just_before_the_data_quality_footnote():
    anchors = [s.anchor for s in sections.SECTIONS]
    assert anchors[-2:] == ["glossary", "data-quality"]
    assert text.say("section.glossary") == "Terms used"
    assert set(TERMS) == {"active", "new", "lapsed", "churn_rate", "at_risk", "likely_lost", "flagged", "p_alive",
                          "clv", "value_at_stake", "rfm_segment", "value_tier"}


@pytest.fixture(scope="module")
def month(small_config, tmp_path_factory):
    """A small store's month with the artifacts the glossary reads (notebooks 02–05 as library calls)."""
    run = open_run(small_config, "2024-11", tmp_path_factory.mktemp("vocabulary"))
    lapse = kpis.lapse_rule(run)
    kpis.save(run, kpis.for_month(run, lapse), lapse)
    churned = churn.saved(run)
    value.saved(run, churned)
    groups = text.labelled(pd.DataFrame(run.read("clv_summary")["groups"]), "state", "state", into="label")
    run.write("clv_chart", charts.clv_groups_chart(groups, run.config.currency, 12, "2024-11"))
    segments.save(run, segments.for_month(run))
    run.unavailable("backtest", "not part of this test")
    return run, lapse


def test_the_glossary_defines_each_term_once_with_this_months_values(month):
    run, lapse = month
    html = "".join(item.data for item in sections.glossary_section(run))
    terms = re.findall(r"<dt><b>(.*?)</b></dt>", html)
    assert len(terms) == len(TERMS) == len(set(terms))
    assert [t for t in (text.say(f"glossary.term.{k}") for k in TERMS) if terms.count(t) != 1] == []
    h = run.read("churn_summary")["headline"]
    assert h["method"] == "model"
    definition = dict(zip(terms, re.findall(r"<dd>(.*?)</dd>", html)))
    assert f"P(alive) below {h['threshold']:.0%}" in definition["At risk"]
    assert f"below {h['likely_lost_below']:.0%}" in definition["Likely lost"]
    assert f"lapsed after {lapse.days} days" in definition["Lapsed"]
    assert f"{run.read('clv_summary')['horizon_months']} months" in definition["CLV"]
    assert "early warning" in definition["Flagged"]


def test_the_churn_section_says_how_many_at_risk_members_have_not_bought_for_months(month):
    run, lapse = month
    h = run.read("churn_summary")["headline"]
    html = "".join(item.data for item in sections.churn_and_value(run) if isinstance(getattr(item, "data", None), str))
    scores = run.read("churn_scores")
    lapsed = int((scores["at_risk"] & (scores["days_since_last_purchase"] >= lapse.days)).sum())
    assert h["at_risk"] > 0 and h["at_risk_lapsed"] == lapsed
    assert f"<b>{lapsed:,}</b> have not bought for {lapse.days} days or more" in html
    # the CLV groups table shows counts and money with separators, never a raw 2370 or 1087366
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    assert not [c for c in cells if re.fullmatch(r"\d{4,}(\.\d+)?", c)]


def test_the_at_risk_finding_says_how_many_have_not_bought_for_the_lapse_days(tmp_path):
    (tmp_path / "artifacts").mkdir()
    headline = {"method": "model", "threshold": 0.5, "overdue_factor": None, "newly_at_risk": 40,
                "newly_at_risk_lapsed": 25, "lapse_days": 28}
    (tmp_path / "artifacts" / "churn_summary.json").write_text(json.dumps({"headline": headline}))
    (tmp_path / "artifacts" / "clv_summary.json").write_text(json.dumps(
        {"newly_at_risk_value_at_stake": 12345.0, "horizon_months": 12}))
    found = key_findings(tmp_path, "USD")
    assert found == ["40 members became at risk this month (their chance of still shopping here fell below 50%; 25 of them have not bought for "
                     "28 days or more); keeping them would be worth 12,345 USD of 12-month CLV."]
