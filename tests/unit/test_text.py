"""The message catalogue: every key the code says is in it, every entry is said somewhere, every
template can be filled by what its callers pass, and a Message survives JSON."""
import ast
import json
import re
import string
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from retention_lib.analytics import early_warning, kpis, lapse_drivers, lifecycle, segments
from retention_lib.analytics.satisfaction import comments, dimensions
from retention_lib.core import messages, schema, stages
from retention_lib.core.messages import Message
from retention_lib.delivery import compose
from retention_lib.report import sections, text
from retention_lib.report.text import MESSAGES, say

ROOT = Path(__file__).resolve().parents[2]
SAYING = {"say", "say_html", "paragraph", "Message"}            # first argument: a key
KEY = re.compile(r"[a-z0-9_\-.()']+")                     # (the pipeline's log is also called say)
# calls that take a label namespace, and at which argument
NAMESPACE_CALLS = {"label": 0, "labels": 0, "labelled": 2, "relabelled": 1, "headers": 1, "feature_label": 1}


def _sources() -> list[tuple[str, str]]:
    out = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in (ROOT / "retention_lib").rglob("*.py")]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        out.append((str(path.relative_to(ROOT)), code))
    return out


def _name(func) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _scan():
    """String constants, keys said literally (with the keyword names passed), namespaces and f-string prefixes."""
    constants, said, namespaces, prefixes = set(), [], set(), set()
    for where, source in _sources():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            elif isinstance(node, ast.Call) and _name(node.func) in SAYING and node.args \
                    and isinstance(node.args[0], ast.JoinedStr) and isinstance(node.args[0].values[0], ast.Constant):
                head = node.args[0].values[0].value
                if KEY.fullmatch(head) and head.endswith("."):   # a key built from a family: f"part.{name}"
                    prefixes.add(head)
            elif isinstance(node, ast.Call) and _name(node.func) in SAYING and node.args \
                    and isinstance(node.args[0], ast.Constant) and KEY.fullmatch(str(node.args[0].value)):
                spread = any(k.arg is None for k in node.keywords) or len(node.args) > 1
                said.append((where, node.args[0].value, {k.arg for k in node.keywords if k.arg}, spread))
            if isinstance(node, ast.Call) and _name(node.func) in NAMESPACE_CALLS:
                at = NAMESPACE_CALLS[_name(node.func)]
                arg = node.args[at] if len(node.args) > at else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    namespaces.add(arg.value)
    for template in MESSAGES.values():
        namespaces |= set(re.findall(r":(?:labels?|and):([a-z_]+)\}", template))
    return constants, said, namespaces, prefixes


CONSTANTS, SAID, NAMESPACES, PREFIXES = _scan()


def _placeholders(template: str) -> dict[str, str]:
    return {name.split(".")[0].split("[")[0]: spec or "" for _, name, spec, _ in string.Formatter().parse(template)
            if name}


def _known(key: str) -> bool:
    return key in MESSAGES or f"{key}.other" in MESSAGES


# ------------------------------------------------------------------ every key said is in the catalogue

def test_every_key_said_literally_is_in_the_catalogue():
    missing = sorted({(where, key) for where, key, _, _ in SAID if not _known(key)})
    assert not missing, missing
    assert len(SAID) > 150   # the scan sees the calls (report, analytics, notebooks)


def test_every_namespace_and_key_family_the_code_builds_has_entries():
    for ns in NAMESPACES | {p.rstrip(".") for p in PREFIXES}:
        assert any(k.startswith(f"{ns}.") for k in MESSAGES), ns


@pytest.mark.parametrize("family, keys", [
    ("part", list(stages.PART_BY_NAME)),
    ("section", [s.anchor for s in sections.SECTIONS]),
    ("kpi", [k.name for k in kpis.KPIS]),
    ("store", list(kpis.STORE_COLUMNS)),
    ("lapse", ["parameter", "config", "data", "fallback"]),
    ("segment", [*segments.SEGMENTS, segments.NOT_YET]),
    ("segment_description", list(segments.SEGMENTS)),
    ("tier", [*segments.TIERS, segments.NOT_YET]),
    ("tier_action", list(segments.TIERS)),
    ("warning", [*early_warning.REASONS, early_warning.ANY_REASON]),
    ("warning_inline", list(early_warning.REASONS)),
    ("state", lifecycle.STATES),
    ("dimension", list(schema.DIMENSIONS)),
    ("dimension_inline", list(schema.DIMENSIONS)),
    ("quadrant", list(dimensions.QUADRANTS.values())),
    ("outcome", ["nps", "csat"]),
    ("theme", [comments.OTHER_THEME, comments.NO_THEME]),
    ("variable", ["home_store", *lapse_drivers.DEMOGRAPHICS]),
    ("level", [lapse_drivers.OTHER_STORES]),
    ("missing", list(text.MISSING)),
    ("email.chart", list(compose.EMAIL_CHARTS)),
])
def test_every_key_of_a_registry_has_its_label(family, keys):
    assert [k for k in keys if f"{family}.{k}" not in MESSAGES] == []


def test_every_comment_theme_and_driver_feature_has_a_label():
    assert {text.theme_label(t) for t in comments.THEMES} >= {say(f"dimension.{d}") for d in schema.DIMENSIONS}
    for feature in ("share_fresh produce", *lapse_drivers.PERCENTAGE_FEATURES, "spend_per_basket", "tenure_months"):
        for form in ("feature", "feature_name", "feature_inline"):
            assert text.feature_label(feature, form)
    assert text.feature_label("share_dairy & eggs") == "Share of spend: dairy & eggs (%)"


# ------------------------------------------------------------------ every entry is said somewhere

def test_every_catalogue_entry_is_used():
    def used(key: str) -> bool:
        base = re.sub(r"\.(one|other)$", "", key)
        if base in CONSTANTS:
            return True
        return any(key.startswith(f"{ns}.") and key[len(ns) + 1:] in CONSTANTS
                   for ns in NAMESPACES | {p.rstrip(".") for p in PREFIXES})
    assert sorted(k for k in MESSAGES if not used(k)) == []


# ------------------------------------------------------------------ every template can be filled

def _dummy(spec: str):
    if spec.startswith("label:"):
        ns = spec.removeprefix("label:")
        return next(k for k in MESSAGES if k.startswith(f"{ns}.")).removeprefix(f"{ns}.")
    if spec.startswith(("labels:", "and:")):
        ns = spec.partition(":")[2]
        return [k.removeprefix(f"{ns}.") for k in MESSAGES if k.startswith(f"{ns}.")][:3]
    if spec in ("list", "and"):
        return ["a.csv", "b.xlsx"]
    if spec.startswith("sigs"):
        return {"r": 0.2426, "alpha": 4.4136}
    if spec in ("date", "month"):
        return "2025-01-31"
    return 1234.5678 if spec else "x"


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_template_fills_with_values_of_its_kinds(key):
    params = {name: _dummy(spec) for name, spec in _placeholders(MESSAGES[key]).items()}
    out = say(key, **params)
    assert "{" not in out and "}" not in out
    # the HTML form escapes the values, never the template's own markup
    html_out = text.say_html(key, **{k: ("<i>" if v == "x" else v) for k, v in params.items()})
    assert "<i>" not in html_out and html_out.count("<b>") == MESSAGES[key].count("<b>")


def test_every_literal_call_passes_the_placeholders_of_its_template():
    gaps = []
    for where, key, passed, spread in SAID:
        if spread or not _known(key):
            continue
        template = MESSAGES.get(key) or MESSAGES[f"{key}.other"]
        need = set(_placeholders(template)) | ({"currency"} if ":cur" in template else set())
        if not need <= passed:
            gaps.append((where, key, sorted(need - passed)))
    assert gaps == []


def test_an_unknown_key_or_format_fails_loudly():
    with pytest.raises(KeyError):
        say("no.such.key")
    with pytest.raises(ValueError, match="unknown format"):
        text._field(1.0, "percent", {})


# ------------------------------------------------------------------ number helpers, by exact arithmetic

def test_number_helpers():
    assert text.count(1234567) == "1,234,567" and text.count(float("nan")) == "—" and text.count(None) == "—"
    assert text.percent(0.156, 1) == "15.6%" and text.percent(0.5) == "50%"
    assert text.points(0.0123) == "+1.2" and text.points(-0.0033, 1) == "-0.3" and text.points(0.092, 0) == "+9"
    assert text.signed(-41.25, 1) == "-41.2" and text.signed(1234.5, 0) == "+1,234"
    assert text.money(83901.578, 2, "CNY") == "83,901.58 CNY" and text.money(2130.4, 0) == "2,130"
    assert text.signed_percent(-0.0235) == "-2.4%" and text.general(2.0) == "2"
    assert text.significant(4.41361, 4) == "4.414"
    assert text.date_label("2024-02-01 00:00:00") == "2024-02-01" and text.month_label("2024-11-15") == "2024-11"
    assert text.ci(None, 3) == "—" and text.ci(0.452, 0.881, "pct", 0) == "45% to 88%"


def test_kpi_values_and_changes():
    assert text.format_value(0.1563, "rate") == "15.6%"
    assert text.format_value(83901.58, "money", "CNY") == "83,902 CNY"     # ≥ 1,000: whole units
    assert text.format_value(45.678, "money", "CNY") == "45.68 CNY"        # a basket: cents
    assert text.format_change(-0.0033, -0.02, "rate") == "-0.3 pp (-2.0%)"
    assert text.format_change(-41.0, float("nan"), "score") == "-41 pts"   # NPS moves in whole points (measures)
    assert text.format_change(151, None, "count") == "+151"


def test_plural_forms_follow_the_count():
    assert say("months", n=1) == "1 month" and say("months", n=3) == "3 months"


# ------------------------------------------------------------------ Messages through JSON

def _nested() -> Message:
    rule = kpis.LapseRule(35, "data", 0.95, 33.6, 6878)
    tiers = segments.TierRule(891.2, 291.4, key_quantile=0.6, living=1_200)
    return Message("churn.headline.states.lapse_rule", reason=Message(
        "churn.unusable", model="BG/NBD", error="no one has left", months=Message("months", n=3),
        first=pd.Timestamp("2024-01-01"), month=pd.Period("2024-03", "M"), lapsed=0, members=400, lapse_days=35,
        advice=Message("churn.unusable.nobody_lapsed")), members=400, active=380, at_risk=12, newly=3,
        overdue_factor=2.0, lapse_days=35), rule.describe(), tiers.describe("CNY")


@pytest.mark.parametrize("message", _nested())
def test_a_message_rendered_after_a_json_round_trip_says_the_same(message):
    back = Message.from_dict(json.loads(json.dumps(message.to_dict())))
    assert back == message and hash(back) == hash(message)
    assert say(back) == say(message) == str(message) == text.render(message.to_dict())


def test_messages_say_todays_sentences():
    rule, tiers = _nested()[1:]
    assert say(rule) == ("A member is lapsed after 35 days without a purchase: the 95% quantile of the 6,878 gaps "
                         "between members' consecutive purchase days (34 days), rounded up to whole weeks and kept "
                         "within 35–182 days.")   # LAPSE_MIN_DAYS is 35: a rule of at least a month, whole weeks
    # thresholds of the living members' CLV only: the 1,200 in the base name how many the quantiles are of
    assert say(tiers).startswith("Tiers describe the 1,200 members in the base (new, active, at risk).")
    assert "CLV ≥ 891 CNY (the 80% quantile of their CLV)" in say(tiers)
    assert "(the median, 60% quantile)" in say(tiers)
    assert "Lapsed, dormant and lost members are in no tier" in say(tiers)
    headline = _nested()[0]
    reason = headline.params["reason"]
    assert "The data covers 3 months (2024-01-01 to the end of 2024-03)" in say(reason)
    # the at-risk members are counted among the active (bought within the 35 days), not among all members
    assert "Of the 380 active members (bought within 35 days, not new), <b>12</b> are at risk" in say(headline)
    assert say(reason) in say(headline)


def test_a_reason_is_stored_as_its_key_and_read_back_as_a_message(tmp_path):
    from retention_lib.core.run import Run

    run = Run(None, pd.Period("2024-03", "M"), tmp_path)
    reason = Message("satisfaction.no_comments", month=pd.Period("2024-03", "M"))
    run.unavailable("comment_themes", reason)
    run.unavailable("backtest", "a technical message from a model")
    stored = json.loads((tmp_path / "status.json").read_text(encoding="utf-8"))["unavailable"]
    assert stored["comment_themes"] == {"key": "satisfaction.no_comments", "params": {"month": "2024-03"}}
    assert run.reason("comment_themes") == reason and run.reason("backtest") == "a technical message from a model"
    assert run.unavailable_parts()["comment_themes"] == "No survey comments were written in 2024-03."
    titles = stages.by_reason({"comment_themes": reason, "satisfaction": reason})
    assert titles == [(["what customers write about", "NPS and CSAT"], reason)]


def test_without_a_renderer_a_message_shows_its_key_and_values():
    m = Message("dq.none")
    messages.set_renderer(None)
    try:
        assert str(m) == "dq.none()" and str(Message("months", n=2)) == "months(n=2)"
    finally:
        messages.set_renderer(say)
    assert str(m) == "none"
