"""The number rules of report.text, checked against values built around each threshold: money
precision by size, no signed zero, a change's parts agreeing in sign, lists and month labels."""
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd
import pytest

from retention_lib.report import text
from retention_lib.report.text import MONEY_WHOLE_FROM


def _expected_money(v: float, digits: int, currency: str = "") -> str:
    q = Decimal(repr(v)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    return f"{q:,} {currency}".strip() if digits else f"{int(q):,} {currency}".strip()


@pytest.mark.parametrize("v", [MONEY_WHOLE_FROM - 0.01, MONEY_WHOLE_FROM, MONEY_WHOLE_FROM + 0.6, 45.678,
                               1_314_134.67, -MONEY_WHOLE_FROM - 5.5, -9_999.99, 0.004])
def test_money_is_whole_from_the_threshold_and_has_cents_below(v):
    digits = 0 if abs(v) >= MONEY_WHOLE_FROM else 2
    shown = text.money(v, None, "CNY")
    assert shown == _expected_money(v, digits, "CNY")
    assert ("." in shown) == (digits == 2)


def test_a_money_column_has_one_precision():
    cells = text.money_cells([900.5, 12_000.25, 80.0], "USD")
    assert cells == ["900 USD", "12,000 USD", "80 USD"]      # the largest decides: whole units
    assert text.money_cells([900.5, 80.0]) == ["900.50", "80.00"]


@pytest.mark.parametrize("helper, v, digits", [
    (text.signed, -0.004, 2), (text.signed, -0.04, 1), (text.count, -0.3, None), (text.number, -0.0001, 2),
    (text.signed_percent, -0.0004, 1), (text.points, -0.0004, 1), (text.percent, -0.00001, 1),
])
def test_a_value_that_rounds_to_zero_has_no_sign(helper, v, digits):
    shown = helper(v) if digits is None else helper(v, digits)
    assert not shown.startswith(("-", "+", "−")), shown
    assert float(shown.rstrip("%").replace(",", "")) == 0


@pytest.mark.parametrize("helper, v, digits, sign", [
    (text.signed, -0.006, 2, "-"), (text.signed, 0.05, 1, "+"), (text.points, 0.0006, 1, "+"),
    (text.signed_percent, -0.0006, 1, "-"),
])
def test_a_value_that_does_not_round_to_zero_keeps_its_sign(helper, v, digits, sign):
    assert helper(v, digits).startswith(sign)


def test_thousands_separators_on_every_number():
    assert text.count(2393103) == "2,393,103"
    assert text.number(1234567.891, 1) == "1,234,567.9"
    assert text.signed(-12345.0, 0) == "-12,345"
    assert text.percent(12.5, 0) == "1,250%"


def _parts(shown: str) -> tuple[float, float | None]:
    head, _, rel = shown.partition(" (")
    number = float(head.split()[0].replace(",", ""))
    return number, (float(rel.rstrip("%)").replace(",", "")) if rel else None)


@pytest.mark.parametrize("previous", [4.0, 40.0, 9_999.0, 10_000.0, 2_000_000.0])
@pytest.mark.parametrize("change", [-0.004, -0.0001, 0.003, -3.2, 0.6, 250.0, -12_345.6])
@pytest.mark.parametrize("kind", ["money", "number"])
def test_a_change_never_shows_a_signed_zero_or_parts_that_disagree(previous, change, kind):
    shown = text.format_change(change, change / previous, kind)
    head, rel = _parts(shown)
    assert not (head == 0 and shown[0] in "+-"), shown
    if rel is not None:                       # shown only when both parts are non-zero, same sign
        assert head != 0 and rel != 0 and (head > 0) == (rel > 0), shown
    else:
        assert head == 0 or round(100 * change / previous, 1) == 0, shown


def test_a_money_change_takes_the_precision_of_the_value_it_changes_from():
    assert text.format_change(-3.2, -3.2 / 320_000, "money") == "-3"               # 320,000: whole units
    assert text.format_change(-3.2, -3.2 / 40, "money") == "-3.20 (-8.0%)"          # 40: cents
    assert text.format_change(-0.004, -0.001, "number") == "0.00"                  # the old "-0.00 (-0.1%)"


def test_the_board_has_one_precision_per_row_and_month_labels():
    board = pd.DataFrame({
        "kpi": ["revenue", "avg_basket_value"], "kind": ["money", "money"],
        "month": ["2017-06"] * 2, "previous_month": ["2017-05"] * 2, "year_ago_month": ["2016-06"] * 2,
        "value": [1_314_134.67, 28.291], "previous": [9_876.5, 28.295], "year_ago": [float("nan")] * 2,
        "mom_abs": [1_304_258.17, -0.004], "mom_rel": [132.06, -0.004 / 28.295],
        "yoy_abs": [float("nan")] * 2, "yoy_rel": [float("nan")] * 2})
    shown = text.format_board(board, "CNY")
    assert list(shown.columns[1:3]) == [text.month_label("2017-06"), text.month_label("2017-05")]
    assert shown.iloc[0, 1:3].tolist() == ["1,314,135 CNY", "9,876 CNY"]     # the row's largest decides
    assert shown.iloc[1, 1:3].tolist() == ["28.29 CNY", "28.30 CNY"]
    assert shown.iloc[1, 3] == "0.00 CNY"           # -0.004: no sign, no relative part; money in its one form
    assert shown.iloc[0, 3].startswith("+1,304,258 CNY")


@pytest.mark.parametrize("items, expected", [
    ([], ""), (["price"], "price"), (["freshness", "price"], "freshness and price"),
    (["freshness", "quality", "price"], "freshness, quality and price"),
])
def test_a_list_of_names_is_written_as_a_list(items, expected):
    assert text.listing(items) == expected
    assert text.say("drivers_text.fix", dimensions=text.listing(items)).count(" and ") == (len(items) > 1)


def test_the_list_format_spec_labels_its_keys():
    assert text._field(["dim_price", "dim_staff"], "and:dimension_inline", {}) == "price and staff attitude"


@pytest.mark.parametrize("month", ["2017-06", pd.Period("2017-06", "M"), "2017-06-30", pd.Timestamp("2017-06-30")])
def test_a_month_has_one_form_however_it_is_passed(month):
    assert text.month_label(month) == "2017-06"
    if not isinstance(month, pd.Timestamp) and len(str(month)) == 7:   # a month given to a template as it is
        assert text.say("report.title", month=month) == text.say("report.title", month=text.month_label(month))


@pytest.mark.parametrize("feature, value, change, shown, shown_change", [
    ("share_meat", 23.456, 1.25, "23.5%", "+1.2 pp"),
    ("discount_share", 4.0, -0.04, "4.0%", "-0.04 pp"),      # never 0.0: an interval bound would touch zero
    ("discount_share", 4.0, 0.0, "4.0%", "0.0 pp"),
    ("discount_share", 4.0, -0.0001, "4.0%", "0.0 pp"),     # beyond 3 decimals it is zero to a reader
    ("tenure_months", 4.84, -0.7, "4.8 months", "-0.7 months"),
    ("spend_per_basket", 31.2, 2.5, "31.20 USD", "+2.50 USD"),
    ("spend_per_basket", 31.2, 0.003, "31.20 USD", "+0.003 USD"),
])
def test_a_driver_value_carries_its_unit(feature, value, change, shown, shown_change):
    assert text.feature_value(feature, value, "USD") == shown
    assert text.feature_change(feature, change, "USD") == shown_change


def test_signed_money_and_templates_without_digits_follow_the_size_rule():
    assert text.signed_money(-12_345.6, None, "CNY") == "-12,346 CNY" and text.signed_money(3.456) == "+3.46"
    assert text.signed_money(-0.001) == "0.00"
    assert text._field(45.678, "cur", {"currency": "CNY"}) == "45.68 CNY"
    assert text._field(1_314_134.67, "cur", {"currency": "CNY"}) == "1,314,135 CNY"
    assert text.general(-0.0) == "0" and text.significant(-0.0) == "0"
