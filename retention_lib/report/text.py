"""Every word and formatted number a reader sees, in one place: the seam for a second language.

Analysis modules return numbers, flags, keys and `Message`s (a key with its values); this
module turns them into sentences, table cells, labels and headers.

- `MESSAGES` (from retention_lib.report.catalogue, grouped by section) holds the English
  templates by key. A template names its values and how each is shown: `{members:count}`,
  `{share:pct1}`, `{change:pp1}`, `{day:date}`, `{total:cur0}` (money with the currency),
  `{tier:label:tier}` (the label of a key), `{dims:and:dimension}` (labels written as a list, "a,
  b and c"). A month passed without a format (a Period or "2017-06") is shown by `month_label`.
  Other languages are gettext catalogues (msgid = the key, report/language).
- Numbers, money, dates and months follow report/numbers (Babel, in the reader's language); a
  change shows its relative part only when neither part rounds to zero (`format_change`).
- `say(key, **params)` (or `say(message)`) fills a template, formatting the values with the
  number helpers below; `say_html` does the same for report HTML, escaping the values (the
  template's own markup is kept). A message among the values is rendered first.
- A key that has `.one` and `.other` forms picks one by its `n` value (the language's plural rule).
"""
from __future__ import annotations

import html
import re
import string
from typing import Callable, Mapping

import pandas as pd

from retention_lib.analytics import kpis, lapse_drivers
from retention_lib.analytics.satisfaction.complaints import NO_CATEGORY
from retention_lib.analytics.satisfaction.complaints import NO_STORE as NO_COMPLAINT_STORE
from retention_lib.analytics.satisfaction.scores import NO_CHANNEL, NO_STORE
from retention_lib.core import messages
from retention_lib.core.messages import Message
from retention_lib.report.catalogue import MESSAGES
from retention_lib.report import language, measures
from retention_lib.report.numbers import (  # noqa: F401  (text is where callers reach them)
    DAY, MONEY_WHOLE_FROM, MONTH, _missing, count, date_label, general, money, money_cells,
    money_digits, month_label, number, percent, points, signed, signed_money, signed_percent, significant)

# Label namespaces whose keys are client data when the catalogue does not know them (shown as given).
CLIENT_DATA = frozenset({"level", "missing", "complaint_category", "campaign_type"})
# Sentinels analytics use for a missing store, channel or category.
MISSING = (NO_STORE, NO_CHANNEL, NO_COMPLAINT_STORE, NO_CATEGORY)


def _template(key: str) -> str:
    """The template of `key` in the reader's language (report/language)."""
    return language.template(key, MESSAGES[key])


def listing(items) -> str:
    """Names written as a list: "freshness, quality and price"."""
    items = [str(i) for i in items]
    if len(items) < 2:
        return "".join(items)
    return say("list.and", head=_template("list.separator").join(items[:-1]), last=items[-1])


# A template's format spec names its helper, with digits where the helper takes them: {x:pct1}.
# "cur" is money followed by the template's `currency` value.
_NUMBERS = {"count": count, "num": number, "signed": signed, "pct": percent, "spct": signed_percent, "pp": points,
            "money": money, "smoney": signed_money, "g": general, "sig": significant, "date": date_label,
            "month": month_label}
_SPEC = re.compile(r"(?P<kind>[a-z]+)(?P<digits>\d*)")


def _number(spec: str, value, params: Mapping) -> str:
    m = _SPEC.fullmatch(spec)
    if m is None or m["kind"] not in {*_NUMBERS, "cur"}:
        raise ValueError(f"unknown format {spec!r}: use one of {sorted(_NUMBERS)} or cur (with digits), "
                         "label:<namespace>, labels:<namespace>, and or and:<namespace>")
    digits = (int(m["digits"]),) if m["digits"] else ()
    if m["kind"] == "cur":   # without digits: by size (money_digits)
        return money(value, *(digits or (None,)), params.get(CURRENCY_CODE, params.get("currency", "")))
    return _NUMBERS[m["kind"]](value, *digits)


# --------------------------------------------------------------------------- labels
def label(namespace: str, key, **params) -> str:
    """The label of a key: `label("tier", "core")`; a key of client data is shown as it is."""
    if _is_message(key):
        return say(key)
    full = f"{namespace}.{key}"
    if full in MESSAGES or namespace not in CLIENT_DATA:
        return say(full, **params)
    return str(key)


def labels(namespace: str, keys) -> str:
    return _template("list.separator").join(label(namespace, k) for k in keys)


def level(value) -> str:
    """A value of client data (store, channel, category, demographic level), or the label of a
    sentinel analytics put in its place (a missing store, the pooled other stores)."""
    if value in MISSING:
        return label("missing", value)
    if value == lapse_drivers.OTHER_STORES:
        return label("level", value)
    return str(value)


def _feature_key(feature: str) -> tuple[str, dict]:
    if feature.startswith("share_"):
        return "share", {"category": feature.removeprefix("share_")}
    return feature, {}


def feature_label(feature: str, form: str = "feature") -> str:
    """A churn-driver feature: "feature" (with its unit, for tables and charts), "feature_name"
    (without it, at the start of a line) or "feature_inline" (inside a sentence)."""
    key, params = _feature_key(feature)
    return say(f"{form}.{key}", **params)


def feature_value(feature: str, value, currency: str) -> str:
    """A churn-driver feature's value with its unit: "23.4%", "4.8 months", "45.67 CNY"."""
    if lapse_drivers.is_percentage(feature):
        return say("value.percent", value=value)
    if feature == "tenure_months":
        return say("value.months", value=value)
    return money(value, None, currency)


def _telling_digits(v, digits: int, most: int = 3) -> int:
    """`digits`, or more (up to `most`) when a non-zero value would otherwise print as 0: an interval
    bound of +0.03 must not read as touching zero."""
    if _missing(v) or v == 0:
        return digits
    shown = next((d for d in range(digits, most + 1) if round(abs(v), d) != 0), digits)
    return shown


def feature_change(feature: str, change, currency: str) -> str:
    """A difference of a churn-driver feature with its unit: "+1.2 pp", "-0.7 months", "+3.40 CNY";
    a non-zero difference (or interval bound) never prints as 0."""
    if lapse_drivers.is_percentage(feature):
        return say("change.feature_pp", change=signed(change, _telling_digits(change, 1)))
    if feature == "tenure_months":
        return say("change.months", change=signed(change, _telling_digits(change, 1)))
    digits = money_digits(change) if not _missing(change) else 2
    return signed_money(change, _telling_digits(change, digits), currency)


def theme_label(theme: str) -> str:
    return label("dimension", theme) if theme.startswith("dim_") else label("theme", theme)


def labelled(frame: pd.DataFrame, column: str | None, namespace: str | Callable[[str], str], into: str | None = None,
             **params) -> pd.DataFrame:
    """A copy of `frame` with the keys of `column` (None: the index) shown as labels, in `into`
    (default: in place), for charts and notebook tables. `namespace` is a label namespace or a
    function of the key (`level` for client data, `feature_label`, `theme_label`)."""
    out = frame.copy()
    if column is not None and column not in frame and frame.empty:  # no rows this month (from empty records)
        return out
    keys = frame.index if column is None else frame[column]
    name = namespace if callable(namespace) else (lambda k: label(namespace, k, **params))
    shown = [name(k) for k in keys]
    if into is None and column is None:
        out.index = pd.Index(shown, name=frame.index.name)
    elif into is None or into in out:
        out[into or column] = shown
    else:  # a new column, beside its keys
        out.insert(0 if column is None else out.columns.get_loc(column) + 1, into, shown)
    return out


def relabelled(matrix: pd.DataFrame, namespace: str) -> pd.DataFrame:
    """A matrix (a migration: groups by groups) with its row and column keys shown as labels."""
    return matrix.rename(index=lambda k: label(namespace, k), columns=lambda k: label(namespace, k))


def reasons(keys: str) -> str:
    """The early-warning reasons of a member (their keys joined by ", ") in words."""
    return say("warning.reasons", reasons=keys.split(", ") if keys else [])


def headers(frame: pd.DataFrame, namespace: str, **params) -> pd.DataFrame:
    """A copy of `frame` with the columns that have a header in `namespace` renamed to it."""
    names = {c: say(f"{namespace}.{c}", **params) for c in frame.columns if f"{namespace}.{c}" in MESSAGES}
    return frame.rename(columns=names)


# --------------------------------------------------------------------------- say
class _Formatter(string.Formatter):
    def __init__(self, escape: bool):
        super().__init__()
        self.escape = escape
        self.params: Mapping = {}

    def format_field(self, value, spec: str) -> str:
        out = _field(value, spec, self.params)
        return html.escape(out) if self.escape else out


def _is_message(value) -> bool:
    return isinstance(value, Message) or (isinstance(value, Mapping) and set(value) == {"key", "params"})


def _field(value, spec: str, params: Mapping) -> str:
    if _is_message(value):
        value = say(value)
    if spec == "list":
        return _template("list.separator").join(str(v) for v in value)
    if spec == "and":
        return listing(value)
    if spec.startswith("and:"):   # labels of keys, as a list: {dimensions:and:dimension}
        return listing(label(spec.removeprefix("and:"), k) for k in value)
    if spec.startswith("sigs"):   # a model's parameters by name
        digits = int(spec.removeprefix("sigs") or 3)
        return _template("list.separator").join(say("parameter", name=k, value=significant(v, digits))
                                                for k, v in value.items())
    if spec.startswith("measure:"):   # a value of a measure, with its unit: {nps:measure:nps}
        return measures.value(spec.removeprefix("measure:"), value, params.get(CURRENCY_CODE, ""))
    if spec.startswith("change:"):    # a change of a measure, in its change unit: {move:change:nps}
        return measures.change(spec.removeprefix("change:"), value, params.get(CURRENCY_CODE, ""))
    if spec.startswith("label:"):
        return label(spec.removeprefix("label:"), value)
    if spec.startswith("labels:"):
        return labels(spec.removeprefix("labels:"), value)
    if not spec:
        if isinstance(value, pd.Period) or (isinstance(value, str) and MONTH.fullmatch(value)):
            return month_label(value)   # a month, however it was passed
        if isinstance(value, str) and DAY.fullmatch(value):
            return date_label(value)    # a day given as ISO text (artifacts store days so)
        return _template("missing") if value is None else str(value)
    return _number(spec, value, params)


def _resolve(what, params: Mapping) -> tuple[str, Mapping]:
    if isinstance(what, Mapping):
        what = Message.from_dict(what)
    if isinstance(what, Message):
        return what.key, {**what.params, **params}
    return what, params


CURRENCY_CODE = "_currency_code"   # the code behind a template's {currency}, for its amounts


def currency_unit(code: str) -> str:
    """A currency as a unit in a header or a sentence, in the reader's language: CNY / 元 (the
    catalogue's currency.unit.<code>); a currency the catalogue does not know is shown by its code."""
    key = f"currency.unit.{code}"
    return _template(key) if key in MESSAGES else str(code)


def _fill(what, params: Mapping, escape: bool) -> str:
    key, params = _resolve(what, params)
    if params.get("currency"):   # a template's {currency} is a unit; amounts ({x:cur}) take its symbol
        params = {**params, "currency": currency_unit(params["currency"]), CURRENCY_CODE: params["currency"]}
    if key not in MESSAGES and f"{key}.other" in MESSAGES:   # the language's plural rule (Babel)
        form = language.locale().plural_form(params.get("n", 0))
        key = f"{key}.{form}" if f"{key}.{form}" in MESSAGES else f"{key}.other"
    f = _Formatter(escape)
    f.params = params
    return f.vformat(_template(key), (), params)


def say(what: str | Message | Mapping, /, **params) -> str:
    """The sentence of a key (or a Message, or its JSON dict) with its values, as text."""
    return _fill(what, params, escape=False)


def say_html(what: str | Message | Mapping, /, **params) -> str:
    """As `say`, for HTML: every value is escaped; the template's own markup is kept."""
    return _fill(what, params, escape=True)


def render(value: Message | Mapping | str | None) -> str:
    """A stored reason or text as the reader reads it: a Message (or its JSON dict) rendered,
    a plain text (the models' technical messages) as it is, None as ''."""
    if value is None:
        return ""
    if _is_message(value):
        return say(value)
    return str(value)


messages.set_renderer(say)


# --------------------------------------------------------------------------- KPI values
def format_value(v: float, kind: str, currency: str = "", digits: int | None = None) -> str:
    """A KPI value by its kind (a measure of report/measures); money to `digits` decimals (None: by its size)."""
    return measures.value(kind, v, currency, digits)


def format_change(a: float, rel: float, kind: str, digits: int | None = None, currency: str = "") -> str:
    """'+12 (+3.4%)'; rates in percentage points, scores in points (report/measures); '—' without a
    comparison. Money changes have `digits` decimals (None: those of the value they change from). The
    relative part is shown only when neither part rounds to zero, so the two never disagree in sign."""
    if _missing(a):
        return _template("missing")
    m = measures.measure(kind)
    if m.change == "money" and digits is None:
        digits = money_digits(a, a / rel) if not _missing(rel) and rel else money_digits(a)
    head = measures.change(kind, a, currency, digits=digits)
    scale = 100 if m.change == "pp" else 1
    shown = round(a * scale, m.change_digits if m.change_digits is not None else digits)
    if _missing(rel) or shown == 0 or round(100 * rel, 1) == 0:
        return head
    return say("change.relative", head=head, relative=rel)


def kpi_label(kpi: str) -> str:
    return label("kpi", kpi)


def format_board(b: pd.DataFrame, currency: str = "", names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The board as a readable table: value, previous month, year ago and both changes. `names`
    labels rows the catalogue does not know, by KPI key (the report's at-risk row)."""
    m, p, y = (month_label(b[c].iloc[0]) for c in ("month", "previous_month", "year_ago_month"))
    names = names or {}
    # one precision per row, by the largest of its money values
    d = [money_digits(*vs) for vs in zip(b["value"], b["previous"], b["year_ago"])]
    kind = [measures.of_kpi(k, kind) for k, kind in zip(b["kpi"], b["kind"])]
    out = pd.DataFrame({
        say("board.kpi"): [names.get(k) or kpi_label(k) for k in b["kpi"]],
        m: [format_value(v, k, currency, i) for v, k, i in zip(b["value"], kind, d)],
        p: [format_value(v, k, currency, i) for v, k, i in zip(b["previous"], kind, d)],
        say("board.month_on_month"): [format_change(a, r, k, i, currency) for a, r, k, i in
                                      zip(b["mom_abs"], b["mom_rel"], kind, d)],
        y: [format_value(v, k, currency, i) for v, k, i in zip(b["year_ago"], kind, d)],
        say("board.year_on_year"): [format_change(a, r, k, i, currency) for a, r, k, i in
                                    zip(b["yoy_abs"], b["yoy_rel"], kind, d)],
    })
    # A comparison month with no data at all (before the data starts) is left out, not a column of "—",
    # and so is a KPI without any value (churn in the first weeks of data).
    values = b[["value", "previous", "year_ago"]].apply(pd.to_numeric, errors="coerce")
    empty = [[p, say("board.month_on_month")]] if values["previous"].isna().all() else []
    if values["year_ago"].isna().all():
        empty.append([y, say("board.year_on_year")])
    out = out[values.notna().any(axis=1).to_numpy()].reset_index(drop=True)
    return out.drop(columns=[c for pair in empty for c in pair])


def stores_display(stores: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """kpis.store_table as display text: each KPI with a value by its kind (money at one precision
    per column, with the currency), the all-stores row and the row summing the rest named."""
    kind = {k.name: measures.of_kpi(k.name, k.kind) for k in kpis.KPIS}
    cols = [c for c in stores.columns if c in kind and stores[c].notna().any()]   # no column of "—"
    shown = pd.DataFrame({c: money_cells(stores[c], currency) if kind[c] == "money"
                          else [format_value(v, kind[c]) for v in stores[c]] for c in cols}, index=stores.index)
    rows = {kpis.TOTAL: say("store.all")}
    if kpis.MORE_STORES in stores.index:
        rows[kpis.MORE_STORES] = say("store.more", n=int(stores.at[kpis.MORE_STORES, "stores"]))
    shown = headers(shown, "store", currency=currency).rename(index=rows)
    return shown.rename_axis(say("store.scope"))


# --------------------------------------------------------------------------- intervals
def ci(lo, hi, kind: str = "signed", digits: int | None = 0) -> str:
    """'lo to hi' with one number helper; '—' without an interval."""
    if lo is None or hi is None:
        return _template("missing")
    spec = f"{kind}{'' if digits is None else digits}"
    return say("range", lo=_number(spec, lo, {}), hi=_number(spec, hi, {}))
