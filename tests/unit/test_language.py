"""The report speaks zh-CN or English: gettext catalogues complete for every key, Babel formatting,
the language chosen by the config or `--lang`, and Chinese charts drawn with the bundled font."""
import re
import string
import warnings

import matplotlib
import pytest
from babel import numbers as babel_numbers
from babel.messages.pofile import read_po

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from retention_lib.core.config import LANGUAGES, ConfigError, load_config  # noqa: E402
from retention_lib.report import fonts, language, text  # noqa: E402
from retention_lib.report.catalogue import MESSAGES  # noqa: E402

OTHER_LANGUAGES = [tag for tag in LANGUAGES if tag != language.DEFAULT]


@pytest.fixture
def zh():
    language.use("zh-CN")
    yield
    language.use(language.DEFAULT)


def _fields(template: str) -> list[tuple[str, str]]:
    """The placeholders of a template, with their format specs, in a canonical order."""
    return sorted((name, spec or "") for _, name, spec, _ in string.Formatter().parse(template) if name is not None)


def _tags(template: str) -> list[str]:
    return sorted(re.findall(r"</?[a-z]+[^>]*>", template))


def _catalogue(tag: str) -> dict[str, str]:
    with language.catalogue_path(tag).open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def test_the_config_languages_are_the_ones_with_catalogues():
    assert set(LANGUAGES) == set(language.LANGUAGES)
    for tag in OTHER_LANGUAGES:
        assert language.catalogue_path(tag).exists()


@pytest.mark.parametrize("tag", OTHER_LANGUAGES)
def test_every_key_has_a_translation_with_the_same_placeholders(tag):
    translated = _catalogue(tag)
    assert sorted(k for k in MESSAGES if not translated.get(k)) == []
    assert sorted(k for k in translated if k not in MESSAGES) == []          # nothing obsolete
    wrong = [k for k, english in MESSAGES.items()
             if _fields(translated[k]) != _fields(english) or _tags(translated[k]) != _tags(english)]
    assert wrong == []


ZH_ALLOWED = {"NPS", "CSAT", "CLV", "RFM", "VIP", "P"}


def _reader_words(template: str) -> set[str]:
    """The Latin words of a template a reader reads, the allowed abbreviations aside: placeholders,
    markup, code, file names (with their folder: actions/retain.csv) and command-line flags are not."""
    bare = re.sub(r"<code>.*?</code>|`[^`]*`|(?:[\w-]+/)*[\w-]+\.(?:json|csv|xlsx|html|parquet|ipynb|png|log)\b"
                  r"|--[a-z-]+", " ", template)
    bare = re.sub(r"\{[^{}]*\}|<[^>]+>|&[a-z]+;", " ", bare)
    return set(re.findall(r"[A-Za-z]{2,}", bare)) - ZH_ALLOWED


def test_the_word_check_passes_names_and_finds_words():
    assert _reader_words("留住名单（actions/retain.csv）包含{listed:count}名<b>预警</b>会员，见 `actions/`，--force。") == set()
    assert _reader_words("按模型仍在光顾的概率（P(alive)）低于{threshold:pct0}，CLV 与 members") == {"alive", "members"}


def test_chinese_templates_have_no_english_words():
    latin = {key: sorted(words) for key, template in _catalogue("zh-CN").items() if (words := _reader_words(template))}
    assert latin == {}


def test_a_key_missing_from_the_catalogue_is_an_error_not_english(zh):
    with pytest.raises(language.MissingTranslation, match="no zh-CN translation"):
        language.template("no.such.key", "English")
    assert text.say("section.kpis") != MESSAGES["section.kpis"]


def test_numbers_money_and_months_follow_the_locale(zh):
    symbol = babel_numbers.get_currency_symbol("CNY", locale="zh_CN")
    assert text.money(1_234_567.8, None, "CNY") == f"{symbol}1,234,568"           # whole units from 10,000
    assert text.money(12.5, None, "CNY") == f"{symbol}12.50"
    assert text.signed_money(-12.5, None, "CNY") == f"-{symbol}12.50"
    assert text.month_label("2025-12") == "2025年12月"
    assert text.date_label("2025-12-03") == "2025年12月3日"
    assert text.percent(0.156, 1) == "15.6%"


def test_english_keeps_the_iso_code_after_the_amount_and_iso_months():
    assert text.money(1_234_567.8, None, "CNY") == "1,234,568 CNY"
    assert text.month_label("2025-12") == "2025-12"


def test_each_language_picks_its_own_plural_form(zh, monkeypatch):
    monkeypatch.setitem(MESSAGES, "t.n.one", "one {n}")
    monkeypatch.setitem(MESSAGES, "t.n.other", "other {n}")
    monkeypatch.setattr(language, "template", lambda key, english: english)
    assert text.say("t.n", n=1) == "other 1"          # Chinese: CLDR's one form, "other", for every n
    language.use(language.DEFAULT)
    assert (text.say("t.n", n=1), text.say("t.n", n=2)) == ("one 1", "other 2")


def test_the_config_and_the_command_line_choose_the_language(tmp_path):
    cfg = load_config("data/completejourney.yml")
    assert cfg.language == "en" and cfg.in_language("zh-CN").language == "zh-CN"
    with pytest.raises(ConfigError, match="allowed: zh-CN, en"):
        cfg.in_language("fr")
    bad = tmp_path / "bad.yml"
    bad.write_text("source: demo\ntables: {transactions: {path: x.csv}}\nreport: {language: zh_CN}\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="'report.language' is 'zh_CN'"):
        load_config(bad)


@pytest.fixture
def bundled_font_only(monkeypatch):
    """Charts as on a fresh machine: Latin from DejaVu Sans, CJK from the bundled font only."""
    monkeypatch.setattr(fonts, "FAMILIES", ["DejaVu Sans", fonts.BUNDLED_FAMILY])
    with warnings.catch_warnings():
        yield


def test_chinese_chart_text_draws_with_the_bundled_font(bundled_font_only, tmp_path):
    from retention_lib.report import charts

    charts.use_style()
    assert plt.rcParams["font.family"] == ["DejaVu Sans", fonts.BUNDLED_FAMILY]
    fig, ax = plt.subplots()
    ax.bar(["生鲜", "乳制品", "幸福里店"], [3, 2, 1])
    ax.set(title="会员客单价（元）：2025年12月，￥1,234。", xlabel="品类", ylabel="会员数")
    fig.savefig(tmp_path / "zh.png")   # a missing glyph would raise here
    plt.close(fig)


def test_a_glyph_no_font_has_fails_the_chart(bundled_font_only, tmp_path):
    from retention_lib.report import charts

    charts.use_style()
    fig, ax = plt.subplots()
    ax.set_title("\U00020000")   # CJK Extension B: outside GB2312 and the bundled subset
    with pytest.raises(UserWarning, match="missing from font"):
        fig.savefig(tmp_path / "tofu.png")
    plt.close(fig)


def test_the_sync_tool_finds_the_catalogue_in_step_and_rewrites_it_as_it_is():
    """tools/sync_zh_catalogue.py: nothing missing, stale or mismatched, and its rewrite of the
    committed .po is that file byte for byte (the English comments are current, the order is the key's)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "tools" / "sync_zh_catalogue.py"
    spec = importlib.util.spec_from_file_location("sync_zh_catalogue", path)
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    english = sync.english_messages()
    found = sync.report(sync.load(), english)
    assert {k: v for k, v in found.items() if k != "names" and v} == {}
    assert sync.rewrite(sync.load(), english) == language.catalogue_path("zh-CN").read_bytes()
