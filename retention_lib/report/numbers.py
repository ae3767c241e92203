"""Numbers, money, dates and months as the reader reads them, in the report's language (Babel).

The rules, defined once here: thousands separators on every number; a value that rounds to zero has
no sign; money of MONEY_WHOLE_FROM or more in whole units, smaller money with 2 decimals
(`money_digits`; a table column or a board row takes one precision). Rounding is ours (Python's
`round` on the value), the symbols, grouping and currency placement are the locale's (Babel): a
Chinese report writes ¥1,234 and 2025年12月, an English one 1,234 CNY and 2025-12 (ISO dates, the
English report's convention).
"""
from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from retention_lib.report import language
from retention_lib.report.catalogue import MESSAGES


def missing_sign() -> str:
    return language.template("missing", MESSAGES["missing"])


def _missing(v) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)) or v is pd.NA or v is pd.NaT


# Money at or above this size is shown in whole units (cents are noise there); below it, with 2
# decimals (a basket, a spend per visit).
MONEY_WHOLE_FROM = 1_000


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits else "")


def _fixed(v, digits: int, sign: bool = False, scale: float = 1) -> str:
    """`v × scale` to `digits` decimals with the locale's separators; a value that rounds to zero
    is shown as 0, without a sign (never "-0" or "+0.00")."""
    x = round(float(v) * scale, digits)
    loc = language.locale()
    body = babel_numbers.format_decimal(Decimal(f"{abs(x):.{digits}f}"), format=_pattern(digits), locale=loc,
                                        decimal_quantization=False)
    if x < 0:
        return babel_numbers.get_minus_sign_symbol(loc) + body
    return (babel_numbers.get_plus_sign_symbol(loc) + body) if sign and x > 0 else body


def count(v) -> str:
    return missing_sign() if _missing(v) else _fixed(v, 0)


def number(v, digits: int = 2) -> str:
    return missing_sign() if _missing(v) else _fixed(v, digits)


def signed(v, digits: int = 1) -> str:
    return missing_sign() if _missing(v) else _fixed(v, digits, sign=True)


def _with_percent(body: str) -> str:
    return body + language.locale().number_symbols["latn"]["percentSign"]


def percent(v, digits: int = 0) -> str:
    """A share as a percentage: 0.156 → 15.6% (digits=1)."""
    return missing_sign() if _missing(v) else _with_percent(_fixed(v, digits, scale=100))


def signed_percent(v, digits: int = 1) -> str:
    return missing_sign() if _missing(v) else _with_percent(_fixed(v, digits, sign=True, scale=100))


def points(v, digits: int = 1) -> str:
    """A difference of two shares in percentage points, signed: 0.012 → +1.2."""
    return missing_sign() if _missing(v) else _fixed(v, digits, sign=True, scale=100)


def money_digits(*values) -> int:
    """Decimals for money of this size: 0 when any value is MONEY_WHOLE_FROM or more in size, else 2."""
    return 0 if any(not _missing(v) and abs(v) >= MONEY_WHOLE_FROM for v in values) else 2


def _with_currency(amount: str, currency: str) -> str:
    """An amount with its currency: the ISO code after it in English (1,234 CNY), the locale's
    symbol where its currency pattern puts it elsewhere (¥1,234)."""
    if not currency:
        return amount
    if language.active() == language.DEFAULT:
        return f"{amount} {currency}"
    loc = language.locale()
    pattern = loc.currency_formats["standard"].pattern.split(";")[0]
    symbol = babel_numbers.get_currency_symbol(currency, locale=loc)
    negative = amount.startswith(babel_numbers.get_minus_sign_symbol(loc))
    plus = amount.startswith(babel_numbers.get_plus_sign_symbol(loc))
    body = amount[1:] if negative or plus else amount
    shown = pattern.replace("¤", symbol, 1)
    shown = re.sub(r"[#0,.]+", lambda _: body, shown, count=1)
    return (amount[0] + shown) if negative or plus else shown


def money(v, digits: int | None = None, currency: str = "") -> str:
    """Money with its currency; `digits` None: by size (money_digits)."""
    if _missing(v):
        return missing_sign()
    return _with_currency(_fixed(v, money_digits(v) if digits is None else digits), currency)


def money_cells(values, currency: str = "") -> list[str]:
    """A column of money at one precision, chosen by its largest value (money_digits)."""
    values = list(values)
    digits = money_digits(*values)
    return [money(v, digits, currency) for v in values]


def signed_money(v, digits: int | None = None, currency: str = "") -> str:
    if _missing(v):
        return missing_sign()
    return _with_currency(_fixed(v, money_digits(v) if digits is None else digits, sign=True), currency)


def general(v) -> str:
    return missing_sign() if _missing(v) else f"{v or 0:g}"   # -0.0 is 0


def significant(v, digits: int = 3) -> str:
    """A model parameter to `digits` significant digits."""
    return missing_sign() if _missing(v) else f"{v or 0:.{digits}g}"


def date_label(v) -> str:
    if _missing(v) or v == "":
        return missing_sign()
    day = pd.Timestamp(v)
    if language.active() == language.DEFAULT:
        return f"{day:%Y-%m-%d}"
    return babel_dates.format_skeleton("yMMMd", day.date(), locale=language.locale())


# A month is shown one way everywhere (prose, tables, charts): ISO "2017-06" in English, the
# locale's year-and-month form otherwise (2017年6月).
MONTH = re.compile(r"\d{4}-\d{2}")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def month_label(v) -> str:
    if _missing(v) or v == "":
        return missing_sign()
    month = pd.Period(v, "M")
    if language.active() == language.DEFAULT:
        return str(month)
    return babel_dates.format_skeleton("yMMM", month.start_time.date(), locale=language.locale())
