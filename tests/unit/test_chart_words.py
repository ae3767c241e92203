"""Every word in every chart comes from the message catalogue, so a second language reaches the charts.

Each chart function is drawn on small data while every text helper the charts use (`say`, the number
and month helpers) is recorded; every text artist of the figure (titles, axis labels, tick labels,
legend entries and titles, annotations, figure texts) must then be one of those rendered strings, a
label the data brought in, or a bare number. A source scan keeps English literals out of the
drawing calls of the chart modules.
"""
import ast
import importlib
import pkgutil
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from retention_lib.analytics import cohorts, kpis, lifecycle, segments  # noqa: E402
from retention_lib.core.figures import phone_form  # noqa: E402
from retention_lib.core.schema import DIMENSIONS  # noqa: E402
from retention_lib.data import aggregate  # noqa: E402
from retention_lib.models import regularity  # noqa: E402
from retention_lib.data.sources.demo import simulate_store  # noqa: E402
from retention_lib.report import charts, language, text  # noqa: E402

MONTH = "2024-06"
STORES = ["东门店", "西湖店"]  # client data: store names shown as given
LAPSE_DAYS = 35
WINBACK_DAYS = 90   # the win-back window W (≥ LAPSE_DAYS + 31): long lapsed (the RFM segment "lost") from day 90
# the text helpers a chart may show a word or a number through
HELPERS = ("say", "count", "number", "percent", "month_label", "date_label", "money", "label", "feature_label",
           "level")
CHART_MODULES = [importlib.import_module(f"retention_lib.report.charts.{m.name}")
                 for m in pkgutil.iter_modules(charts.__path__)]


# --------------------------------------------------------------------------- small data for every chart
def _store() -> pd.DataFrame:
    """Baskets of a small simulated store, its two stores named in Chinese."""
    s = simulate_store(seed=2, n_customers=200, months=6, campaigns=False)
    b = aggregate.baskets_from_lines(s.tables["transactions"])
    b["store_id"] = b["store_id"].map(dict(zip(sorted(b["store_id"].unique()), STORES)))
    return b


def _inputs(b: pd.DataFrame) -> dict:
    """The baskets with the tables computed from them once: the KPI table and the cohorts."""
    c, basis = cohorts.cohort_retention(b, pd.Timestamp("2024-07-01"))
    return {"baskets": b, "monthly": kpis.monthly_kpis(b, LAPSE_DAYS, through=MONTH), "cohorts": (c, basis)}


@pytest.fixture(scope="module")
def store():
    return _inputs(_store())


def _months(n: int = 7) -> list[str]:
    return [str(p) for p in pd.period_range(end=MONTH, periods=n, freq="M")]


def _coverage(b, stores: int | None = None):
    month = pd.to_datetime(b["date"]).dt.to_period("M") == pd.Period(MONTH, "M")
    daily = b[month].groupby(["date", "store_id"]).size().rename("baskets").reset_index()
    daily["date"] = pd.to_datetime(daily["date"])
    if stores:   # a chain: more stores than lines, drawn as one line for all
        one = daily[daily["store_id"] == STORES[0]]
        daily = pd.concat([one.assign(store_id=f"分店{i + 1}") for i in range(stores)], ignore_index=True)
    return daily


def _membership(b):
    m = b.assign(month=pd.to_datetime(b["date"]).dt.to_period("M").astype(str))
    g = m.groupby("month")["is_member"].agg(member_baskets="sum", all="size").reset_index()
    return g.assign(non_member_baskets=g["all"] - g["member_baskets"]).drop(columns="all")


def _segments():
    s = pd.DataFrame({"segment": ["champions", "loyal", "best_gone_quiet", "lost"], "members": [1200, 800, 90, 40],
                      "revenue": [56_000.0, 21_000.0, 900.0, 0.0],
                      "recency_status": ["recent", "recent", "lapsed", "long_lapsed"]})
    return text.labelled(s, "segment", "segment")


def _migration(namespace: str, keys: list[str]):
    counts = pd.DataFrame(np.arange(len(keys) ** 2).reshape(len(keys), -1) * 130, index=keys, columns=keys)
    return text.relabelled(counts, namespace)


def _warning():
    c = pd.DataFrame({"reason": ["falling_frequency", "skip_risk", "open_complaint", "any"],
                      "members": [1500, 30, 0, 1510], "available": [True, True, False, True]})
    return text.labelled(c, "reason", "warning")


def _drivers():
    d = pd.DataFrame({"feature": ["share_生鲜", "share_乳制品", "spend_per_basket", "tenure_months"],
                      "cohens_d": [0.3, -0.1, 0.05, np.nan], "scaled_low": [0.1, -0.3, -0.1, np.nan],
                      "scaled_high": [0.5, 0.1, 0.2, np.nan], "significant": [True, False, False, False]})
    return text.labelled(d, "feature", text.feature_label, into="label")


def _satisfaction_monthly():
    months = _months(8)
    n = len(months)
    return pd.DataFrame({"month": months, "responses": [20, 45] * (n // 2), "nps": np.linspace(-10, 20, n),
                         "nps_lo": np.linspace(-30, 0, n), "nps_hi": np.linspace(10, 40, n),
                         "csat": [0.7] * n, "csat_lo": [0.6] * n, "csat_hi": [0.8] * n})


def _dimensions():
    n = len(DIMENSIONS)
    t = pd.DataFrame({"importance": np.full(n, 1 / n), "importance_lo": np.full(n, 0.5 / n),
                      "importance_hi": np.full(n, 1.5 / n), "performance": np.linspace(3.2, 4.4, n),
                      "performance_lo": np.linspace(3.0, 4.2, n), "performance_hi": np.linspace(3.4, 4.6, n),
                      "fix_first": [True] + [False] * (n - 1)}, index=list(DIMENSIONS))
    return text.labelled(t, None, "dimension", into="label")


def _complaints():
    months = _months()
    trend = pd.DataFrame({"month": months, "per_1000_baskets": np.linspace(1, 3, len(months))})
    trend = trend.assign(per_1000_lo=trend["per_1000_baskets"] - 0.5, per_1000_hi=trend["per_1000_baskets"] + 0.5)
    categories = pd.DataFrame({"category": ["生鲜质量", "收银排队"], "per_1000_baskets": [1.2, 0.4],
                               "per_1000_lo": [0.8, 0.1], "per_1000_hi": [1.6, 0.9]})
    return trend, categories


def _behaviour():
    t = pd.DataFrame({"members": [1200, 800, 2500]}, index=["detractor", "passive", "promoter"])
    for col, v in (("churn", 0.3), ("p_alive", 0.6), ("spend", 420.0)):
        t[col if col != "churn" else "churn_share"] = v
        t[f"{col}_lo"], t[f"{col}_hi"] = v * 0.8, v * 1.2
    return t


def _themes():
    t = pd.DataFrame({"theme": ["dim_price", "dim_freshness", "none"], "from_detractors": [30, 20, 4],
                      "from_passives": [5, 5, 1], "from_promoters": [1, 2, 3]})
    return text.labelled(t, "theme", text.theme_label, into="label")


def _clv_groups():
    """analytics.value.groups' shape: every lifecycle state a row, value at stake only where an action can
    change it (at risk: retain; lapsed and dormant: win back), empty for the new, the active and the lost."""
    t = pd.DataFrame({"state": list(lifecycle.STATES), "members": [120, 2250, 15, 7, 40, 300],
                      "clv": [52_000.0, 1_035_366.0, 821.0, 13.0, 30.0, 0.0],
                      "clv_if_alive": [53_000.0, 1_037_998.0, 5_332.0, 998.0, 2_100.0, 0.0]})
    in_play = t["state"].isin(["at_risk", "lapsed", "dormant"])
    t["value_at_stake"] = (t["clv_if_alive"] - t["clv"]).where(in_play)
    return text.labelled(t, "state", "state", into="label")


def _tracking():
    weeks = pd.date_range("2024-01-06", periods=25, freq="W-SAT")
    return pd.DataFrame({"week_end": weeks, "actual": [900.0] + [2400.0] * 24, "predicted": [800.0] + [2350.0] * 24})


def _gap_histogram():
    """Members' purchase days with Erlang-2 gaps, binned as notebook 03 bins them."""
    rng = np.random.default_rng(5)
    gaps = np.maximum(np.rint(rng.gamma(2, 7.0, (200, 6))), 1)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(gaps, axis=1).ravel(), unit="D")
    return regularity.gap_histogram(pd.DataFrame({"customer_id": np.repeat(np.arange(200).astype(str), 6),
                                                  "d": days}))


def _figures(inputs: dict) -> dict:
    """Every chart function by name, each as a function drawing its figure (or figures)."""
    b, monthly, (c, basis) = inputs["baskets"], inputs["monthly"], inputs["cohorts"]
    recency = segments.RecencyRule.of(lifecycle.Rule.of(LAPSE_DAYS, WINBACK_DAYS)).params()
    trend, categories = _complaints()
    return {
        "coverage_chart": lambda: charts.coverage_chart(_coverage(b), MONTH),
        "coverage_chart (chain)": lambda: charts.coverage_chart(_coverage(b, stores=charts.MAX_STORE_LINES + 1), MONTH),
        "membership_chart": lambda: charts.membership_chart(_membership(b), MONTH),
        "kpi_trends_chart": lambda: charts.kpi_trends_chart(kpis.trend(monthly, MONTH), MONTH, "CNY", LAPSE_DAYS),
        "cohort_heatmap": lambda: charts.cohort_heatmap(cohorts.cohort_matrix(c, MONTH), MONTH, basis),
        "period_transactions_chart": lambda: charts.period_transactions_chart(
            pd.DataFrame({"repeat purchases": ["0", "1–2", "3+"], "actual": [1200, 3400, 2100],
                          "model": [1100, 3500, 2050]}), "BG/NBD", MONTH),
        "p_alive_matrix_chart": lambda: charts.p_alive_matrix_chart(
            pd.DataFrame(np.linspace(0, 1, 30 * 26).reshape(30, 26)), "BG/NBD", 104.0),
        "tracking_chart": lambda: charts.tracking_chart(_tracking(), "BG/NBD", "2024-04-30"),
        "calibration_chart": lambda: charts.calibration_chart(
            pd.DataFrame({"predicted": np.linspace(0.05, 0.95, 10), "observed": np.linspace(0.1, 0.9, 10)}), 13.0),
        "regularity_chart": lambda: charts.regularity_chart(_gap_histogram(), 2, 1.8, MONTH),
        "clv_groups_chart": lambda: charts.clv_groups_chart(_clv_groups(), "CNY", 12, MONTH),
        "track_record_chart": lambda: charts.track_record_chart(pd.DataFrame(
            {"for_month": _months(3), "actual_purchases": [1000, 2200, 1100],
             "predicted_purchases": [900, 2300, 1200], "reconstructed": [True, False, False]})),
        "segments_chart": lambda: charts.segments_chart(_segments(), MONTH, "CNY", recency),
        "tiers_chart": lambda: charts.tiers_chart(text.labelled(pd.DataFrame(
            {"tier": ["core", "key", "developable"], "members": [300, 900, 1500], "clv": [4e5, 2e5, 5e4]}), "tier",
            "tier"), MONTH, "CNY", 12),
        "migration_chart": lambda: charts.migration_chart(_migration("tier", ["core", "key", "developable"]), MONTH,
                                                          "2024-05", text.say("migration.what.tier")),
        "early_warning_chart": lambda: charts.early_warning_chart(_warning(), MONTH, 4200),
        "drivers_chart": lambda: charts.drivers_chart(_drivers(), MONTH, text.say("range", lo="2024-01-01",
                                                                                  hi="2024-06-30"), 30),
        "drivers_chart (any n)": lambda: charts.drivers_chart(_drivers(), MONTH, "2024-01-01", None),
        "satisfaction_trend_chart": lambda: charts.satisfaction_trend_chart(_satisfaction_monthly(), MONTH),
        "importance_performance_chart": lambda: charts.importance_performance_chart(
            _dimensions(), text.say("range", lo="2023-07-01", hi="2024-06-30"), text.label("outcome", "nps")),
        "complaints_chart": lambda: charts.complaints_chart(trend, categories, MONTH),
        "complaints_chart (none)": lambda: charts.complaints_chart(trend, categories.iloc[:0], MONTH),
        "satisfaction_churn_chart": lambda: charts.satisfaction_churn_chart(
            _behaviour(), text.say("range", lo="2023-11-02", hi="2024-05-01"), "CNY", 60),
        "comment_themes_chart": lambda: charts.comment_themes_chart(_themes(), MONTH),
        "email_charts": lambda: charts.email_charts(monthly, MONTH, "CNY"),
    }


NAMES = ["coverage_chart", "coverage_chart (chain)", "membership_chart", "kpi_trends_chart", "cohort_heatmap",
         "period_transactions_chart", "p_alive_matrix_chart", "tracking_chart", "calibration_chart", "regularity_chart",
         "clv_groups_chart", "track_record_chart", "segments_chart", "tiers_chart", "migration_chart", "early_warning_chart",
         "drivers_chart", "drivers_chart (any n)", "satisfaction_trend_chart", "importance_performance_chart",
         "complaints_chart", "complaints_chart (none)", "satisfaction_churn_chart", "comment_themes_chart",
         "email_charts"]


# --------------------------------------------------------------------------- what a figure shows
def _texts(fig) -> list[str]:
    """Every non-empty text artist of a drawn figure."""
    fig.canvas.draw()
    shown = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    return [t.get_text() for t in shown]


NUMBER = re.compile(r"[\s\d.,%+\-−–()×]*")
DATE = re.compile(r"\d{4}-\d{2}")   # a month or day: shown through text.month_label / date_label, not raw
# While a chart is drawn, months and days come out of the text helpers marked (as another locale's
# would differ from ISO), so one drawn raw is told from one shown through them.
MARKED = {"month_label": "月", "date_label": "日"}


def _bare_number(t: str) -> bool:
    return bool(NUMBER.fullmatch(t)) and not DATE.search(t)


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _data_words(*frames: pd.DataFrame, matrices: tuple[pd.DataFrame, ...] = ()) -> set[str]:
    """The text cells of `frames` and the row and column names of `matrices`, months left out (they
    are shown through month_label)."""
    words = {str(v) for f in frames for col in f.columns if not pd.api.types.is_numeric_dtype(f[col])
             for v in f[col].dropna()}
    words |= {str(v) for m in matrices for v in (*m.index, *m.columns)}
    return {w for w in words if not DATE.search(w)}


def _stray(texts, rendered: set[str], data: set[str]) -> list[str]:
    """The texts that are neither a bare number, a rendered catalogue string nor a label of the data."""
    allowed = {_squash(s) for s in rendered | data}
    return [t for t in texts if not _bare_number(t) and _squash(t) not in allowed]


@pytest.fixture
def recorded(monkeypatch):
    """Every string the text helpers return while a chart is drawn."""
    seen: set[str] = set()

    def wrap(fn, mark: str = ""):
        def recording(*args, **kwargs):
            out = fn(*args, **kwargs)
            if isinstance(out, str):
                out += mark
                seen.add(out)
            return out
        return recording

    for name in HELPERS:
        original = getattr(text, name)
        monkeypatch.setattr(text, name, wrap(original, MARKED.get(name, "")))
        for module in CHART_MODULES:   # `from ... text import say` binds the helper in the chart module too
            if getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, getattr(text, name))
    return seen


def _drawn(build) -> list:
    out = build()
    drawn = list(out.values()) if isinstance(out, dict) else [out]
    return drawn + [p for f in drawn if (p := phone_form(f)) is not None]   # a report chart's phone form too


def test_the_drawing_covers_every_chart_function(store):
    assert list(_figures(store)) == NAMES
    drawn = {name.split(" ")[0] for name in NAMES} | {"revenue_members_chart", "churn_chart"}   # email_charts' two
    assert set(_figures(store)["email_charts"]()) == {"email_trend_chart", "email_churn_chart"}
    plt.close("all")
    public = set(charts.__dict__) & {n for m in CHART_MODULES for n in dir(m) if n.endswith(("_chart", "_heatmap",
                                                                                              "_charts"))}
    assert public <= drawn, f"charts not drawn by this test: {sorted(public - drawn)}"


@pytest.mark.parametrize("name", NAMES)
def test_every_word_in_a_chart_comes_from_the_catalogue_or_the_data(name, store, recorded):
    build = _figures(store)[name]
    figures = _drawn(build)
    # the data's own labels (store names, categories): the labelled frames were built before the drawing
    data = set(STORES) | _data_words(_segments(), _warning(), _drivers(), _dimensions(), _themes(), _clv_groups(),
                                     *_complaints(), matrices=(_migration("tier", ["core", "key", "developable"]),))
    data |= {"BG/NBD", "0", "1–2", "3+"}
    texts = [t for fig in figures for t in _texts(fig)]
    assert texts and recorded, "the chart shows no text, or none of it came from the text helpers"
    assert _stray(texts, recorded, data) == []
    words = [t for t in texts if not _bare_number(t)]
    assert any(_squash(t) in {_squash(s) for s in recorded} for t in words)   # the titles at least
    for fig in figures:
        plt.close(fig)


# Latin words a zh-CN chart may show: the abbreviations the glossary defines, and what the data brings
# (the model's name, the currency code the config gives).
ZH_ALLOWED = {"NPS", "CSAT", "CLV", "RFM", "BG", "NBD", "CNY"}


@pytest.mark.parametrize("name", NAMES)
def test_a_zh_cn_chart_is_chinese_and_draws_every_glyph(name, store):
    language.use("zh-CN")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="Glyph .* missing from font", category=UserWarning)
            figures = _drawn(_figures(store)[name])
            texts = [t for fig in figures for t in _texts(fig)]   # drawn: every glyph rendered
    finally:
        language.use(language.DEFAULT)
        plt.close("all")
    assert any(re.search(r"[\u4e00-\u9fff]", t) for t in texts)
    assert {t: words for t in texts if (words := set(re.findall(r"[A-Za-z]{2,}", t)) - ZH_ALLOWED)} == {}


def test_the_check_finds_a_literal_word():
    fig, ax = plt.subplots()
    ax.set_title("Members by segment")
    ax.set_xlabel("成员")
    ax.set_xticks([0, 1, 2], ["1,234", "−5%", "2024-06"])
    assert sorted(_stray(_texts(fig), {"成员"}, set())) == ["2024-06", "Members by segment"]   # a raw month, a word
    plt.close(fig)


def test_a_chinese_note_wraps_by_its_width_and_an_english_one_as_before():
    import textwrap

    from retention_lib.report.charts.style import wrap

    english = "2024-06: 22 of the 136 members active at the month's start lapsed. Interval: Wilson 95%."
    assert wrap(english, 62) == textwrap.fill(english, 62, break_on_hyphens=False)
    chinese = "2024年6月：月初1,136名活跃会员中有22名流失。区间为威尔逊法95%区间，按显示宽度换行，标点不在行首。"
    lines = wrap(chinese, 40).split("\n")
    assert len(lines) > 1 and "".join(lines) == chinese
    assert all(sum(2 if "\u3000" <= c <= "\uffef" or "\u4e00" <= c <= "\u9fff" else 1 for c in line) <= 40
               for line in lines)
    assert not any(line[0] in "，。：、" for line in lines)
    assert any("1,136" in line for line in lines) and any("95%" in line for line in lines)   # numbers kept whole
    bracketed = "入会后的月数（0 = 入会当月）"
    assert wrap(bracketed, 14).split("\n") == ["入会后的月数", "（0 = 入会当月）"]   # no line ends on "（"


# --------------------------------------------------------------------------- the source
# Strings of matplotlib's own vocabulary (legend and annotation positions), never shown, and the one
# column key analytics names with a space (churn.period_transactions; its axis label is the catalogue's).
NOT_WORDS = frozenset({"upper left", "upper right", "lower left", "lower right", "upper center", "lower center",
                       "center left", "center right", "offset points", "offset pixels", "axes fraction",
                       "figure fraction", "repeat purchases"})
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _latin_words(s: str) -> int:
    return sum(1 for token in s.split() if LATIN_WORD.search(token))


def wordy_literals(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every string in `source` with two or more Latin words, docstrings and
    matplotlib's vocabulary aside: a title, label, legend entry or note written in the code. Catalogue
    keys ("chart.actual") are one word."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and node.value not in NOT_WORDS and _latin_words(node.value) >= 2]


def test_no_chart_module_writes_english_in_its_code():
    sources = {Path(m.__file__).name: Path(m.__file__).read_text(encoding="utf-8") for m in CHART_MODULES}
    assert len(sources) >= 8
    assert {name: hits for name, src in sources.items() if (hits := wordy_literals(src))} == {}


def test_the_source_scan_finds_english_in_titles_labels_legends_and_notes():
    src = ('"""A chart: its docstring may say anything."""\n'
           'ax.set(title=f"Members by segment, {month}", xlabel=say("a.b"))\n'
           'ax.text(0, 1, "Keep up the good work", ha="right")\n'
           'ax.plot(x, y, label="Perfect calibration")\n'
           'ax.legend(loc="lower left", title=say("x.y", n=2))\n'
           'names = {"actual": "Actual", "model": f"{model} (simulated)"}\n'
           'fig.suptitle(say("chart.title"), fontweight="bold")\n'
           'ax.annotate(label, (x, y), textcoords="offset points")\n')
    assert sorted(line for line, _ in wordy_literals(src)) == [2, 3, 4]   # "(simulated)" alone: one word
    assert wordy_literals('m = {"a": "no purchase yet"}') == [(1, "no purchase yet")]
