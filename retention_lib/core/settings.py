"""Every setting the product reads: one frozen dataclass, the single place of their defaults,
units and meanings, and of how a value is resolved.

Resolution, everywhere: a notebook parameter when it is given (None means "not given"; 0 stays
0), else the config's `settings`, else the default here. A value is checked against what the
setting allows when the config loads, so a typo fails at once rather than 50 seconds in.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Mapping

CHOICE, CHOICE_LIST, INT, NUMBER, DATE, TEXT_LIST = (
    "choice", "choice_list", "int", "number", "date", "text_list")
MODELS = ("bgnbd", "mbgnbd", "paretonbd", "bgcnbd", "mbgcnbd")
AUTO = "auto"   # the model chosen by backtest (analytics.model_choice.choose_model) among these:
AUTO_CANDIDATES = ("bgnbd", "mbgnbd", "bgcnbd", "mbgcnbd")


@dataclass(frozen=True)
class Setting:
    """One setting the product reads: its default, what it allows, its unit and meaning.

    Null in a config always means "not set": the caller's or this default applies.
    """
    name: str
    default: Any
    kind: str
    meaning: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False   # low itself not allowed
    high_open: bool = False

    def allowed(self) -> str:
        """What the setting allows, in words a consultant can act on."""
        if self.kind == CHOICE:
            return "one of " + ", ".join(self.choices)
        if self.kind == CHOICE_LIST:
            return f"a list drawn from {', '.join(self.choices)}, e.g. [{', '.join(self.choices[-2:])}]"
        if self.kind == DATE:
            return "a date written YYYY-MM-DD"
        if self.kind == TEXT_LIST:
            return "a list of quoted texts, e.g. ['NULL', 'N/A']"
        what = "a whole number" if self.kind == INT else "a number"
        unit = f" ({self.unit})" if self.unit else ""
        low, high = _num(self.low), _num(self.high)
        if self.low is not None and self.high is not None:
            if not (self.low_open or self.high_open):
                return f"{what} from {low} to {high}{unit}"
            return (f"{what} with {low} {'<' if self.low_open else '≤'} value "
                    f"{'<' if self.high_open else '≤'} {high}{unit}")
        if self.low is not None:
            return f"{what} {'>' if self.low_open else '≥'} {low}{unit}"
        return f"{what}{unit}"

    def check(self, value: Any) -> Any:
        """The value in its canonical form, or ValueError when it is not allowed."""
        if self.kind == CHOICE:
            text = str(value).strip().lower() if isinstance(value, str) else None
            if text not in self.choices:
                raise ValueError(self.allowed())
            return text
        if self.kind == CHOICE_LIST:
            listed = isinstance(value, (list, tuple))
            items = [v.strip().lower() for v in value if isinstance(v, str)] if listed else []
            if not listed or len(items) != len(value) or set(items) - set(self.choices):
                raise ValueError(self.allowed())
            return tuple(items)
        if self.kind == DATE:
            return _as_date(value, self.allowed())
        if self.kind == TEXT_LIST:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ValueError(self.allowed() + " (YAML reads unquoted null, NULL and ~ as "
                                 "empty and 0 as a number: quote every entry)")
            return tuple(v.strip() for v in value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(self.allowed())
        if self.kind == INT:
            if value != int(value):
                raise ValueError(self.allowed())
            value = int(value)
        else:
            value = float(value)
        too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        if too_low or too_high:
            raise ValueError(self.allowed())
        return value


def _num(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _as_date(value: Any, allowed: str) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(allowed) from None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise ValueError(allowed + " (without a time of day: the whole day counts)")
        value = value.date()
    if not isinstance(value, dt.date):
        raise ValueError(allowed)
    return value.isoformat()


def _s(default, kind: str, meaning: str, unit: str = "", **rule):
    return field(default=default, metadata={"kind": kind, "meaning": meaning, "unit": unit, **rule})


# The placeholders exports write for a walk-in customer: Pospal's member id 0, 散客, 非会员, 游客.
DEFAULT_NULL_CUSTOMER_IDS = ("NULL", "null", "N/A", "#N/A", "None", "nan", "-", "", "0", "散客", "非会员", "游客")
# What marks a stored-value top-up (a member paying money into their card), in line_type or payment_method.
DEFAULT_TOPUP_MARKERS = ("充值", "储值充值", "会员充值", "卡充值", "top-up", "topup", "recharge")


@dataclass(frozen=True)
class Settings:
    """The settings of a run (config `settings:`, notebook parameters), with their defaults."""
    model: str = _s(AUTO, CHOICE, "BTYD model that scores P(alive) and expected purchases; auto: BG/NBD, "
                    "MBG/NBD, BG/CNBD-k and MBG/CNBD-k backtested, the one with the lowest per-member holdout "
                    "MAE used", choices=(AUTO, *MODELS))
    compare_models: tuple = _s((), CHOICE_LIST, "other models backtested beside `model`, for comparison; under "
                               "auto, further candidates (e.g. [paretonbd])", choices=MODELS)
    model_margin: float = _s(0.01, NUMBER, "under model: auto, how much lower than BG/NBD's a model's per-member "
                             "holdout MAE must be to replace it", "share of BG/NBD's MAE", low=0, high=1,
                             high_open=True)
    at_risk_threshold: float = _s(0.5, NUMBER, "chance of no purchase next month from which an active member is at risk",
                                  "probability", low=0, high=1)
    holiday_calendar: str = _s("none", CHOICE, "holidays on which the churn model lets members buy at their own "
                               "rate, so a quiet holiday is not read as drifting away (cn: 春节, 国庆 and 中秋 on "
                               "their real dates; us: New Year, Thanksgiving, Christmas); used when the history "
                               "shows an effect", choices=("none", "cn", "us"))
    holdout_months: int = _s(3, INT, "months held out to backtest the churn model", "months", low=1)
    fit_budget_s: float = _s(120.0, NUMBER, "time budget of one model fit", "seconds", low=0, low_open=True)
    horizon_months: int = _s(12, INT, "horizon of the CLV", "months", low=1)
    annual_discount_rate: float = _s(0.10, NUMBER, "yearly rate at which future margin is discounted in CLV",
                                     "share per year", low=0, high=1, high_open=True)
    margin: float = _s(0.25, NUMBER, "gross margin on sales, applied to spend in CLV", "share of sales",
                       low=0, high=1, low_open=True)
    lapse_days: int | None = _s(None, INT, "days without a purchase after which a member is lapsed; "
                                "null: derived from the data", "days", low=31, high=365)
    winback_days: int = _s(180, INT, "win-back window: a lapsed member silent fewer days than this is dormant "
                           "(still worth winning back), beyond it lost; at least the lapse rule's days + 31",
                           "days since the last purchase", low=62, high=730)
    store_table_top: int = _s(15, INT, "stores the report's store table lists one by one, largest revenue "
                              "first; one line sums the rest", "stores", low=1)
    cohort_basis: str = _s("auto", CHOICE, "cohorts by join month or month of first purchase; auto: join "
                           "month when the data has join dates", choices=("auto", "join", "first_purchase"))
    tier_core_quantile: float = _s(0.8, NUMBER, "CLV quantile from which a live member is core", "quantile",
                                   low=0, high=1)
    tier_key_quantile: float = _s(0.5, NUMBER, "CLV quantile from which a live member is key (below "
                                  "tier_core_quantile)", "quantile", low=0, high=1)
    contact_budget: int = _s(500, INT, "most members put on the win-back list", "members", low=0)
    campaign_window_weeks: int = _s(8, INT, "weeks after a send in which a campaign is measured", "weeks", low=1)
    holdout_share: float = _s(0.10, NUMBER, "share of each contact list held out at random, not contacted, "
                              "so next month's report can measure what the list did", "share of the list",
                              low=0, high=0.5)
    holdout_min_members: int = _s(100, INT, "smallest contact list that keeps a holdout (a smaller one is "
                                  "contacted in full and not measured)", "members", low=2)
    list_window_weeks: int = _s(4, INT, "weeks after a list reaches the stores (the next month's first day) "
                                "in which its members' return is measured", "weeks", low=1, high=26)
    sla_hours: float = _s(48.0, NUMBER, "service level for closing a complaint", "hours", low=0, low_open=True)
    driver_months: int = _s(12, INT, "months of surveys the satisfaction drivers are estimated on", "months",
                            low=1)
    driver_outcome: str = _s("nps", CHOICE, "survey score the dimension drivers explain", choices=("nps", "csat"))
    bootstrap_resamples: int = _s(500, INT, "bootstrap resamples for the driver importance intervals",
                                  "resamples", low=50)
    churn_window_days: int = _s(60, INT, "later churn: no purchase in this many days to the month's end",
                                "days", low=1)
    cohort_months: int = _s(6, INT, "members surveyed in this many months before the churn window", "months",
                            low=1)
    min_group_n: int = _s(30, INT, "fewest members in each group of a comparison (lapsed and retained, "
                          "detractors and promoters, the two months of a score) for a difference to be called "
                          "significant or become a finding", "members", low=2)
    max_reject_share: float = _s(0.05, NUMBER, "largest share of a table's rows one rule may set aside before "
                                 "the load stops", "share of rows", low=0, high=1)
    data_end: str | None = _s(None, DATE, "day the client's extract was taken: later timestamps are future; "
                              "null: today")
    null_customer_ids: tuple = _s(DEFAULT_NULL_CUSTOMER_IDS, TEXT_LIST, "customer ids that mean no member "
                                  "(matched after trimming spaces, ignoring case)")
    topup_markers: tuple = _s(DEFAULT_TOPUP_MARKERS, TEXT_LIST, "values of line_type or payment_method that mark "
                              "a stored-value top-up (充值): money paid in, not a sale; such rows are counted "
                              "apart (matched after trimming spaces, ignoring case)")
    suspect_id_basket_share: float = _s(0.02, NUMBER, "share of all baskets above which one customer id is "
                                        "flagged as a likely placeholder for walk-in customers", "share of baskets",
                                        low=0, high=1, low_open=True)
    max_basket_amount: float | None = _s(None, NUMBER, "baskets above this amount are set aside as implausible; "
                                         "null: none is, the outliers are only flagged", "money", low=0,
                                         low_open=True)
    cell_timeout_s: int = _s(1800, INT, "papermill's execution timeout for one notebook cell", "seconds", low=1)

    def resolve(self, name: str, value: Any = None) -> Any:
        """`value` when given (a notebook parameter), else this run's setting."""
        return value if value is not None else getattr(self, name)

    def given(self, **values) -> "Settings":
        """These settings with the given (non-None) values, checked, in place of the config's."""
        checked = {k: SETTINGS[k].check(v) for k, v in values.items() if v is not None}
        return replace(self, **checked)


SETTINGS: Mapping[str, Setting] = MappingProxyType(
    {f.name: Setting(f.name, f.default, **f.metadata) for f in fields(Settings)})
DEFAULTS = Settings()


def markdown_table() -> str:
    """The README's settings table, from the dataclass (a test keeps the README in step)."""
    rows = ["| setting | default | allowed | meaning |", "|---|---|---|---|"]
    for spec in SETTINGS.values():
        default = "null" if spec.default is None else (
            "[" + ", ".join(f'"{v}"' for v in spec.default) + "]" if isinstance(spec.default, tuple)
            else str(spec.default))
        rows.append(f"| `{spec.name}` | `{default}` | {spec.allowed()} | {spec.meaning} |")
    return "\n".join(rows)
