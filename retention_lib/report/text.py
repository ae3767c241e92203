"""Every word and formatted number a reader sees, in one place: the seam for a second language.

Analysis modules return numbers, flags, keys and `Message`s (a key with its values); this
module turns them into sentences, table cells, labels and headers.

- `MESSAGES` (from retention_lib.report.catalogue, grouped by section) holds the English
  templates by key. A template names its values and how each is shown: `{members:count}`,
  `{share:pct1}`, `{change:pp1}`, `{day:date}`, `{total:cur0}` (money with the currency),
  `{tier:label:tier}` (the label of a key). The next issue turns it into gettext catalogues
  (msgid = the key) managed with Babel, chosen by `language`.
- `say(key, **params)` (or `say(message)`) fills a template, formatting the values with the
  number helpers below; `say_html` does the same for report HTML, escaping the values (the
  template's own markup is kept). A message among the values is rendered first.
- A key that has `.one` and `.other` forms picks one by its `n` value (English plural rule).
"""
from __future__ import annotations

import html
import re
import string
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from retention_lib.analytics import kpis, lapse_drivers
from retention_lib.analytics.satisfaction.complaints import NO_CATEGORY
from retention_lib.analytics.satisfaction.complaints import NO_STORE as NO_COMPLAINT_STORE
from retention_lib.analytics.satisfaction.scores import NO_CHANNEL, NO_STORE
from retention_lib.core import messages
from retention_lib.core.messages import Message
from retention_lib.report.catalogue import MESSAGES

# The reader's language; only "en" has a catalogue until the next issue adds zh-CN.
language = "en"


# Label namespaces whose keys are client data when the catalogue does not know them (shown as given).
CLIENT_DATA = frozenset({"level", "missing"})
# Sentinels analytics use for a missing store, channel or category.
MISSING = (NO_STORE, NO_CHANNEL, NO_COMPLAINT_STORE, NO_CATEGORY)


def _template(key: str) -> str:
    # The next issue: the gettext catalogue of `language`, msgid = key, English as the fallback.
    return MESSAGES[key]


# --------------------------------------------------------------------------- number helpers
def _missing(v) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)) or v is pd.NA


def count(v) -> str:
    return _template("missing") if _missing(v) else f"{v:,.0f}"


def number(v, digits: int = 2) -> str:
    return _template("missing") if _missing(v) else f"{v:,.{digits}f}"


def signed(v, digits: int = 1) -> str:
    return _template("missing") if _missing(v) else f"{v:+,.{digits}f}"


def percent(v, digits: int = 0) -> str:
    """A share as a percentage: 0.156 → 15.6% (digits=1)."""
    return _template("missing") if _missing(v) else f"{v:.{digits}%}"


def signed_percent(v, digits: int = 1) -> str:
    return _template("missing") if _missing(v) else f"{v:+.{digits}%}"


def points(v, digits: int = 1) -> str:
    """A difference of two shares in percentage points, signed: 0.012 → +1.2."""
    return _template("missing") if _missing(v) else f"{100 * v:+,.{digits}f}"


def money(v, digits: int = 0, currency: str = "") -> str:
    # Rounding to the unit that matters for the currency is a later issue: today's digits stay.
    if _missing(v):
        return _template("missing")
    return f"{v:,.{digits}f} {currency}".strip()


def general(v) -> str:
    return _template("missing") if _missing(v) else f"{v:g}"


def significant(v, digits: int = 3) -> str:
    """A model parameter to `digits` significant digits."""
    return _template("missing") if _missing(v) else f"{v:.{digits}g}"


def date_label(v) -> str:
    return _template("missing") if _missing(v) or v == "" else f"{pd.Timestamp(v):%Y-%m-%d}"


def month_label(v) -> str:
    return _template("missing") if _missing(v) or v == "" else str(pd.Period(v, "M"))


# A template's format spec names its helper, with digits where the helper takes them: {x:pct1}.
# "cur" is money followed by the template's `currency` value.
_NUMBERS = {"count": count, "num": number, "signed": signed, "pct": percent, "spct": signed_percent, "pp": points,
            "money": money, "g": general, "sig": significant, "date": date_label, "month": month_label}
_SPEC = re.compile(r"(?P<kind>[a-z]+)(?P<digits>\d*)")


def _number(spec: str, value, params: Mapping) -> str:
    m = _SPEC.fullmatch(spec)
    if m is None or m["kind"] not in {*_NUMBERS, "cur"}:
        raise ValueError(f"unknown format {spec!r}: use one of {sorted(_NUMBERS)} or cur (with digits), "
                         "label:<namespace> or labels:<namespace>")
    digits = (int(m["digits"]),) if m["digits"] else ()
    if m["kind"] == "cur":
        return money(value, *(digits or (0,)), params.get("currency", ""))
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


def feature_unit(feature: str, currency: str) -> str:
    if lapse_drivers.is_percentage(feature):
        return _template("unit.pp")
    return _template("unit.months") if feature == "tenure_months" else currency


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
    if spec.startswith("sigs"):   # a model's parameters by name
        digits = int(spec.removeprefix("sigs") or 3)
        return _template("list.separator").join(say("parameter", name=k, value=significant(v, digits))
                                                for k, v in value.items())
    if spec.startswith("label:"):
        return label(spec.removeprefix("label:"), value)
    if spec.startswith("labels:"):
        return labels(spec.removeprefix("labels:"), value)
    if not spec:
        return _template("missing") if value is None else str(value)
    return _number(spec, value, params)


def _resolve(what, params: Mapping) -> tuple[str, Mapping]:
    if isinstance(what, Mapping):
        what = Message.from_dict(what)
    if isinstance(what, Message):
        return what.key, {**what.params, **params}
    return what, params


def _fill(what, params: Mapping, escape: bool) -> str:
    key, params = _resolve(what, params)
    if key not in MESSAGES and f"{key}.other" in MESSAGES:
        key = f"{key}.one" if params.get("n") == 1 else f"{key}.other"
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
def format_value(v: float, kind: str, currency: str = "") -> str:
    if _missing(v):
        return _template("missing")
    if kind == "count":
        return count(v)
    if kind == "rate":
        return percent(v, 1)
    if kind == "money":
        return money(v, 2, currency)
    if kind == "score":
        return signed(v, 0)
    return number(v, 2)


def format_change(a: float, rel: float, kind: str) -> str:
    """'+12 (+3.4%)'; rates in percentage points; '—' without a comparison."""
    if _missing(a):
        return _template("missing")
    if kind == "rate":
        head = say("change.pp", change=a)
    elif kind == "score":
        head = say("change.points", change=a)
    elif kind == "count":
        head = signed(a, 0)
    else:
        head = signed(a, 2)
    return say("change.relative", head=head, relative=rel) if not _missing(rel) else head


def kpi_label(kpi: str) -> str:
    return label("kpi", kpi)


def format_board(b: pd.DataFrame, currency: str = "", names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The board as a readable table: value, previous month, year ago and both changes. `names`
    labels rows the catalogue does not know, by KPI key (the report's at-risk row)."""
    m, p, y = b["month"].iloc[0], b["previous_month"].iloc[0], b["year_ago_month"].iloc[0]
    names = names or {}
    return pd.DataFrame({
        say("board.kpi"): [names.get(k) or kpi_label(k) for k in b["kpi"]],
        m: [format_value(v, k, currency) for v, k in zip(b["value"], b["kind"])],
        p: [format_value(v, k, currency) for v, k in zip(b["previous"], b["kind"])],
        say("board.month_on_month"): [format_change(a, r, k) for a, r, k in zip(b["mom_abs"], b["mom_rel"], b["kind"])],
        y: [format_value(v, k, currency) for v, k in zip(b["year_ago"], b["kind"])],
        say("board.year_on_year"): [format_change(a, r, k) for a, r, k in zip(b["yoy_abs"], b["yoy_rel"], b["kind"])],
    })


def stores_display(stores: pd.DataFrame) -> pd.DataFrame:
    """kpis.store_table as display text: each KPI formatted by its kind (revenue in whole units),
    under its header, and the all-stores row named."""
    kind = {k.name: k.kind for k in kpis.KPIS}
    shown = pd.DataFrame({c: [count(v) if c == "revenue" else format_value(v, kind[c]) for v in stores[c]]
                          for c in stores.columns}, index=stores.index)
    shown = headers(shown, "store").rename(index={kpis.TOTAL: say("store.all")})
    return shown.rename_axis(say("store.scope"))


# --------------------------------------------------------------------------- intervals
def ci(lo, hi, kind: str = "signed", digits: int | None = 0) -> str:
    """'lo to hi' with one number helper; '—' without an interval."""
    if lo is None or hi is None:
        return _template("missing")
    spec = f"{kind}{'' if digits is None else digits}"
    return say("range", lo=_number(spec, lo, {}), hi=_number(spec, hi, {}))
