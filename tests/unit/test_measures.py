"""One unit per measure (report/measures): each measure's value and change have one form in both
languages, every template names a known form, and no code of the report or the email formats a number
by itself (it would escape the registry)."""
import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from retention_lib.report import language, measures, text
from retention_lib.report.catalogue import MESSAGES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["en", "zh-CN"])
def lang(request):
    language.use(request.param)
    yield request.param
    language.use("en")


def test_nps_is_whole_points_and_so_is_its_change(lang):
    pts = "分" if lang == "zh-CN" else " pts"
    assert measures.value("nps", 18.4) == "+18"
    assert measures.change("nps", -20.2) == f"-20{pts}"
    assert measures.interval("nps", -35.0, -5.5, change_of=True).endswith(pts.strip())
    # the KPI board's NPS row is the same measure
    assert text.format_change(-20.2, float("nan"), "score") == measures.change("nps", -20.2)


def test_a_csat_change_is_in_percentage_points_never_in_points(lang):
    pp = "个百分点" if lang == "zh-CN" else " pp"
    assert measures.value("csat", 0.7234) == "72%"
    assert measures.change("csat", -0.072) == f"-7.2{pp}"
    assert not re.search(r"\d(分|\s*pts)", measures.change("csat", -0.072))   # never score points


def test_a_probability_is_a_percentage(lang):
    assert measures.value("probability", 0.978) == "98%"


@pytest.mark.parametrize("hours, en, zh", [(16, "16 h", "16小时"), (48, "48 h", "48小时"),
                                           (254, "11 days", "11天"), (60, "2.5 days", "2.5天")])
def test_a_duration_is_in_hours_up_to_two_days_and_in_days_beyond(lang, hours, en, zh):
    assert measures.value("hours", hours) == (zh if lang == "zh-CN" else en)


def test_money_has_one_form_per_language(lang):
    shown = [measures.value("money", v, "CNY") for v in (42_281.2, 13_045, 470.0)]
    if lang == "zh-CN":
        assert all(s.startswith("¥") and "元" not in s for s in shown)
    else:
        assert all(s.endswith(" CNY") for s in shown)
    assert shown[1] == ("¥13,045" if lang == "zh-CN" else "13,045 CNY")
    assert shown[2] == ("¥470.00" if lang == "zh-CN" else "470.00 CNY")   # small money keeps its cents


def test_an_unknown_measure_names_the_registry():
    with pytest.raises(ValueError, match="report/measures.py"):
        measures.value("nps_change", 1)


# --------------------------------------------------------------------------- every template names a known form
_FORMS = re.compile(r"(count|num|signed|pct|spct|pp|money|smoney|g|sig|date|month|cur)\d*")


def _specs(template: str):
    for _, field, spec, _ in string.Formatter().parse(template):
        if field is not None and spec:
            yield field, spec


def _known(spec: str) -> bool:
    kind, _, name = spec.partition(":")
    if kind in ("measure", "change"):
        return name in measures.MEASURES
    if kind in ("label", "labels", "and"):
        return True   # a label of a key: words, not a number
    return spec in ("list", "and") or spec.startswith("sigs") or bool(_FORMS.fullmatch(spec))


def test_every_template_formats_its_numbers_through_a_known_form():
    catalogue = read_po((ROOT / "retention_lib/report/locale/zh_CN/LC_MESSAGES/messages.po").open("rb"))
    chinese = {m.id: m.string for m in catalogue if m.id and m.string}
    unknown = [(key, field, spec) for key, english in MESSAGES.items()
               for template in (english, chinese.get(key, ""))
               for field, spec in _specs(template) if not _known(spec)]
    assert not unknown, unknown[:10]


# --------------------------------------------------------------------------- no number formatted outside it
# The modules that may format a number themselves: the registry and the helpers it stands on.
FORMATTERS = {"retention_lib/report/numbers.py", "retention_lib/report/measures.py"}
NUMERIC_SPEC = re.compile(r"[,_]|\.\d|\d[dfeg%]|[+%]$|^[+-]?\d*[fegd%]$")


def _own_number_formats(path: Path) -> list[str]:
    """f-string or str.format specs that shape a number (":.1f", ":,", ":.0%", ":+"), and calls of
    Babel's number formatting, in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = "".join(v.value for v in node.format_spec.values if isinstance(v, ast.Constant))
            if NUMERIC_SPEC.search(spec):
                found.append(f"{path.name}:{node.lineno} f-string spec {spec!r}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("format_") and \
                isinstance(node.value, ast.Name) and node.value.id in ("babel_numbers", "numbers"):
            found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
                and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str) \
                and any(spec and NUMERIC_SPEC.search(spec) for _, _, spec, _ in
                        string.Formatter().parse(node.func.value.value)):
            found.append(f"{path.name}:{node.lineno} str.format {node.func.value.value!r}")
    return found


def test_no_code_of_the_report_or_the_email_formats_a_number_by_itself():
    modules = [p for folder in ("retention_lib/report", "retention_lib/delivery")
               for p in sorted((ROOT / folder).rglob("*.py"))
               if p.relative_to(ROOT).as_posix() not in FORMATTERS and "catalogue" not in p.parts]
    assert len(modules) > 20
    found = [f for p in modules for f in _own_number_formats(p)]
    assert not found, found


def test_the_scan_finds_a_number_formatted_by_hand(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('share = 0.25\nshown = f"{share:.1%}"\nmoney = "{:,.0f}".format(12345)\n', encoding="utf-8")
    assert len(_own_number_formats(sample)) == 2
