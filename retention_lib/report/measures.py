"""Every measure the report shows, defined once: what kind of number it is, its unit, its precision
and how a change in it is written. Tables, sentences (`{x:measure:nps}`, `{x:change:nps}` in a
template), charts and the email format a figure of a measure only through here, so NPS is "+18"
and moves by "−20 points" everywhere, a CSAT change is always in percentage points, money has one
form per report (¥1,234 in Chinese, 1,234 CNY in English) and a duration is in the unit a manager
uses (hours up to two days, days beyond).

The kinds are the KPI kinds of analytics/kpis (count, rate, money, number, score) and the
report's own measures (nps, csat, probability, hours).
"""
from __future__ import annotations

from dataclasses import dataclass

from retention_lib.report import numbers
from retention_lib.report.catalogue import MESSAGES
from retention_lib.report import language


@dataclass(frozen=True)
class Measure:
    name: str
    unit: str            # what a value is in: count, share, points (a score), money, hours, number
    digits: int | None   # decimals of a value (money: None, by its size)
    change: str          # how a difference is written: count, pp (percentage points), points, money, number
    change_digits: int | None


MEASURES = {m.name: m for m in (
    Measure("count", "count", 0, "count", 0),
    Measure("rate", "share", 1, "pp", 1),          # churn, retention, repeat rate: a change in points
    Measure("csat", "share", 0, "pp", 1),          # % of 4–5 ratings
    Measure("probability", "share", 0, "pp", 0),   # P(alive): a percentage, never 0.98
    Measure("score", "points", 0, "points", 0),    # NPS, −100 to 100: whole points, its change too
    Measure("nps", "points", 0, "points", 0),
    Measure("money", "money", None, "money", None),
    Measure("number", "number", 2, "number", 2),
    Measure("hours", "hours", 0, "hours", 0),
)}
# A duration longer than this many hours is written in days (a manager thinks "11 days", not "254 hours").
HOURS_UP_TO = 48


def of_kpi(kpi: str, kind: str) -> str:
    """The measure of a KPI: its own when the registry has one (nps, csat), else its kind's."""
    return kpi if kpi in MEASURES else kind


def measure(name: str) -> Measure:
    try:
        return MEASURES[name]
    except KeyError:
        raise ValueError(f"unknown measure {name!r}: one of {sorted(MEASURES)} (report/measures.py)") from None


def _say(key: str, **params) -> str:
    return language.template(key, MESSAGES[key]).format(**params)


def _duration(hours: float, signed: bool = False) -> str:
    number = numbers.signed if signed else numbers.number
    if abs(hours) <= HOURS_UP_TO:
        return _say("unit.hours", value=number(hours, 0))
    return _say("unit.days", value=number(hours / 24, 1 if abs(hours) < 240 else 0))


def value(name: str, v, currency: str = "", digits: int | None = None) -> str:
    """A value of a measure with its unit; money to `digits` decimals (None: by its size)."""
    m = measure(name)
    if numbers._missing(v):
        return numbers.missing_sign()
    if m.unit == "count":
        return numbers.count(v)
    if m.unit == "share":
        return numbers.percent(v, m.digits)
    if m.unit == "points":
        return numbers.signed(v, m.digits)
    if m.unit == "money":
        return numbers.money(v, digits, currency)
    if m.unit == "hours":
        return _duration(v)
    return numbers.number(v, m.digits if digits is None else digits)


def change(name: str, d, currency: str = "", digits: int | None = None) -> str:
    """A difference of a measure in its change unit, signed: "+1.2 pp", "−20 pts", "+1,234 CNY"."""
    m = measure(name)
    if numbers._missing(d):
        return numbers.missing_sign()
    if m.change == "pp":
        return _say("unit.pp", value=numbers.points(d, m.change_digits))
    if m.change == "points":
        return _say("unit.points", value=numbers.signed(d, m.change_digits))
    if m.change == "count":
        return numbers.signed(d, 0)
    if m.change == "money":
        return numbers.signed_money(d, digits, currency)
    if m.change == "hours":
        return _duration(d, signed=True)
    return numbers.signed(d, m.change_digits if digits is None else digits)


def change_number(name: str, d) -> str:
    """A difference of a measure as a bare signed number in its change unit (for a range whose unit is
    written once after it: "+10 to +29 pp")."""
    m = measure(name)
    if m.change == "pp":
        return numbers.points(d, m.change_digits)
    return numbers.signed(d, m.change_digits or 0)


def interval(name: str, lo, hi, *, change_of: bool = False) -> str:
    """A range of a measure's values (or of its change): "66% to 79%", "+7 to +28", "−35 to −5 pts"."""
    if numbers._missing(lo) or numbers._missing(hi):
        return numbers.missing_sign()
    if not change_of:
        return _say("range", lo=value(name, lo), hi=value(name, hi))
    m = measure(name)
    unit = {"pp": "unit.pp", "points": "unit.points"}.get(m.change)
    bare = _say("range", lo=change_number(name, lo), hi=change_number(name, hi))
    return _say(unit, value=bare) if unit else _say("range", lo=change(name, lo), hi=change(name, hi))
