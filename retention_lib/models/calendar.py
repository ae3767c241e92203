"""A holiday calendar as a common time-varying covariate on the purchase rate, in operational time.

Every member buys at rate lambda * w(d) on day d, w = exp(gamma) on a holiday and 1 otherwise. With the
same w for everyone, a BG/NBD-family model in calendar time is the plain model in operational time
tau(t) = the integral of w (Pareto/NBD's dropout, which runs in time, runs on the same clock: a holiday
is taken to slow leaving as much as buying). So the fit is the plain fit on operational summaries, and
the log-likelihood gains the time change's Jacobian, gamma per repeat purchase day on a holiday. gamma
comes from the profile likelihood; a likelihood-ratio test against gamma = 0 decides whether the
calendar is used at all.

Days follow summarise's convention (weeks measured to the day): day d spans operational time
(tau(d - 1), tau(d)], so recency, T and a horizon count the days after the first purchase, after the
last, and after the observation end. The CNBD-k models would also need each gap's log in operational
time, which a summary does not hold: they are fitted plain.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import holidays
import numpy as np
import pandas as pd
from ibis import _
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import chi2

from retention_lib.data import engine
from retention_lib.data.aggregate import time_span
from retention_lib.models import btyd, cnbd
from retention_lib.models.fit_budget import MAX_ITER, MAX_SECONDS, ModelUnusable

NONE = "none"
COUNTRIES = ("cn", "us")
BRACKET = (-3.0, 1.0)                     # holiday rate ratios from 0.05 (shut) to 2.7
LR_95 = float(chi2.ppf(0.95, 1))          # 3.84
DAY = pd.Timedelta(days=1)   # also steps a datetime.date

# The holidays that move a store's week, by the package's English (en_US) day names. A Chinese
# festival is its official break: its days, 春节's eve (除夕: an official day off only since 2025, a
# family evening before) and the days off joined to them (weekends that are not 调休 working days,
# substituted days off). 元旦, 清明, 劳动节 and 端午 are left out: one gamma for all
# holidays should not average the golden weeks with days that barely move a grocery's trade. In the
# US, weekends are shopping days: only the holiday itself counts.
FESTIVALS = {"cn": {"spring_festival": "Chinese New Year (Spring Festival)", "national_day": "National Day",
                    "mid_autumn": "Mid-Autumn Festival"},
             "us": {"new_year": "New Year's Day", "thanksgiving": "Thanksgiving Day",
                    "christmas": "Christmas Day"}}
_ZH = {"new_year": "元旦", "thanksgiving": "感恩节", "christmas": "圣诞节"}   # the package has no zh_CN for the US


@functools.cache
def _festival_days(country: str, year: int) -> tuple[tuple, ...]:
    """(day, holiday, zh, en) of one year's festival days, from the installed `holidays` package."""
    code = country.upper()
    en = holidays.country_holidays(code, years=year, language="en_US", observed=country == "cn")
    zh = holidays.country_holidays(code, years=year, language="zh_CN") if country == "cn" else None
    out: dict = {}
    for key, name in FESTIVALS[country].items():   # a break joining two festivals is the first one's
        anchors = sorted(d for d in en if any(name in n for n in en.get_list(d)))   # "(observed)" days too
        if not anchors:
            continue
        main = next(d for d in anchors if name in en.get_list(d))
        label = zh.get_list(main)[en.get_list(main).index(name)] if zh is not None else _ZH[key]
        if key == "spring_festival":
            anchors.insert(0, anchors[0] - DAY)
        for day in anchors:
            out.setdefault(day, (key, label, name))
            if country == "cn":
                for step in (-DAY, DAY):
                    d = day + step
                    while not en.is_working_day(d):
                        out.setdefault(d, (key, label, name))
                        d += step
    return tuple(sorted((d, *v) for d, v in out.items()))


def holiday_days(country: str, start, end) -> pd.DataFrame:
    """The festival days of a country (cn, us; none: no days) from `start` to `end` (both included),
    indexed by day, with the holiday's key (spring_festival, national_day, ...) and its zh and en names."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    rows = [] if country == NONE else [r for y in range(start.year, end.year + 1) for r in _festival_days(country, y)]
    days = pd.DataFrame(rows, columns=["day", "holiday", "zh", "en"])
    days["day"] = pd.to_datetime(days["day"])
    return days.set_index("day").sort_index().loc[start:end]


@dataclass(frozen=True)
class Calendar:
    """The holiday days of one country (cn, us); none: no holidays, no change."""
    country: str = NONE

    def __post_init__(self):
        if self.country not in (*COUNTRIES, NONE):
            raise ValueError(f"holiday calendar must be one of {', '.join((*COUNTRIES, NONE))}, not {self.country!r}")

    def days(self, start, end) -> pd.DataFrame:
        """holiday_days of the calendar's country."""
        return holiday_days(self.country, start, end)

    def is_holiday(self, start, end) -> np.ndarray:
        """Whether each day from `start` to `end` (both included) is a holiday."""
        return pd.date_range(start, end, freq="D").isin(self.days(start, end).index)

    def operational_days(self, gamma: float, origin, days) -> np.ndarray:
        """Operational days from the end of day `origin` to `days` (real, >= 0) days later: a day counts
        exp(gamma) on a holiday, 1 otherwise, and a part of a day pro rata. At gamma = 0 whole days
        stay whole numbers, so a summary's weeks come out bit for bit as summarise gives them."""
        days = np.asarray(days, dtype=float)
        n = int(np.ceil(days.max(initial=0.0)))
        origin = pd.Timestamp(origin).normalize()
        w = 1.0 + np.expm1(gamma) * self.is_holiday(origin + DAY, origin + n * DAY)
        return np.interp(days, np.arange(n + 1), np.concatenate([[0.0], np.cumsum(w)]))


def operational_summary(summary: pd.DataFrame, calendar: Calendar, gamma: float, end) -> pd.DataFrame:
    """The summary (weeks measured to the day, to the observation end `end`, its last day included) with
    recency and T in operational weeks."""
    T_days, rec_days = (np.rint(7 * summary[c].to_numpy(dtype=float)) for c in ("T", "recency"))
    oldest = T_days.max(initial=0.0)
    first = oldest - T_days                       # days from the oldest member's first purchase
    tau = calendar.operational_days(gamma, pd.Timestamp(end) - oldest * DAY,
                                    np.concatenate([first, first + rec_days, [oldest]]))
    n = len(summary)
    return summary.assign(recency=(tau[n:2 * n] - tau[:n]) / 7, T=(tau[-1] - tau[:n]) / 7)


def operational_horizon(calendar: Calendar, gamma: float, end, weeks: float) -> float:
    """The operational length of the `weeks` calendar weeks after the observation end `end`."""
    return float(calendar.operational_days(gamma, end, [7 * weeks])[0]) / 7


def holiday_repeat_days(days, calendar: Calendar, end) -> pd.Series:
    """Per member (customer_id), the purchase days after their first that fall on a holiday, to `end`
    (included): the Jacobian's count. `days` holds distinct (customer_id, d) purchase days, an Ibis table
    (aggregate.member_purchase_days) or a frame; members without any are absent."""
    end = pd.Timestamp(end).normalize()
    t = engine.as_table(days)
    t = t.filter(t.d <= end.date())
    first = time_span(t, "d")[0] if calendar.country != NONE else pd.NaT
    hol = [] if pd.isna(first) else [d.date() for d in calendar.days(first, end).index]
    if not hol:
        return pd.Series([], index=pd.Index([], name="customer_id"), name="holiday_repeat_days", dtype="int64")
    per = t.group_by("customer_id").aggregate(n=t.d.isin(hol).cast("int64").sum(), first=t.d.min())
    per = per.mutate(n=per.n - per.first.isin(hol).cast("int64")).filter(_.n > 0)
    out = engine.backend_of(per).to_pyarrow(per.select("customer_id", "n").order_by("customer_id")).to_pandas()
    return out.set_index("customer_id")["n"].astype("int64").rename("holiday_repeat_days")


@dataclass
class CalendarFit:
    """A model fitted in operational time, and what its predictions need: the calendar, the holiday
    effect and the observation end. Without the calendar (`used` false) it is the plain model; `lr` and
    `interval` are NaN when gamma was not estimated (no holidays in the history, a CNBD-k model)."""
    model: btyd.BTYDModel
    calendar: Calendar
    end: pd.Timestamp                    # the observation end fitted to, its last day included
    gamma: float = 0.0                   # log of the holiday rate ratio (profile maximum)
    interval: tuple[float, float] = (np.nan, np.nan)   # 95% profile interval; +-inf: not bounded in BRACKET
    lr: float = np.nan                   # 2 (log L(gamma) - log L(0))
    used: bool = False                   # lr above LR_95: the calendar enters the predictions
    holiday_repeat_days: int = 0

    @classmethod
    def of(cls, model: btyd.BTYDModel) -> "CalendarFit":
        """The fit a saved model came from, by the record fit_with_calendar keeps in its `fitted_on`
        (BTYDModel.from_json; an unbounded end of the interval comes back NaN); a model fitted without
        it is the plain model."""
        r = model.fitted_on.get("holiday_calendar")
        if r is None:
            return cls(model, Calendar(), pd.NaT)
        lower, upper = (np.nan if v is None else v for v in r["interval"])
        return cls(model, Calendar(r["calendar"]), pd.Timestamp(r["end"]), r["gamma"], (lower, upper),
                   np.nan if r["lr"] is None else r["lr"], r["used"], r["holiday_repeat_days"])

    def operational(self, summary: pd.DataFrame, end=None) -> pd.DataFrame:
        """A summary to `end` (default: the fit's) in the model's time."""
        if not self.used:
            return summary
        return operational_summary(summary, self.calendar, self.gamma, self.end if end is None else end)

    def horizon(self, weeks: float, end=None) -> float:
        """The model's length of the `weeks` calendar weeks after `end` (default: the fit's)."""
        if not self.used:
            return weeks
        return operational_horizon(self.calendar, self.gamma, self.end if end is None else end, weeks)

    def month_ends(self, months: int, weeks_per_month: float, end=None) -> np.ndarray | None:
        """The model's lengths of months 0 .. `months` after `end` (default: the fit's), for clv.clv's
        `horizons`; None without the calendar (the plain multiples of weeks_per_month)."""
        if not self.used:
            return None
        days = 7 * weeks_per_month * np.arange(months + 1)
        return self.calendar.operational_days(self.gamma, self.end if end is None else end, days) / 7

    def score(self, summary: pd.DataFrame, horizons: dict[str, float], end=None) -> pd.DataFrame:
        """BTYDModel.score of a summary to `end` (default: the fit's), the horizons in calendar weeks."""
        return self.model.score(self.operational(summary, end), {k: self.horizon(t, end) for k, t in horizons.items()})

    def to_dict(self) -> dict:
        """The calendar's part of the record (JSON: an unbounded end of the interval is null)."""
        return {"calendar": self.calendar.country, "end": self.end.date().isoformat(), "gamma": self.gamma,
                "rate_ratio": float(np.exp(self.gamma)), "interval": [_finite(v) for v in self.interval],
                "lr": _finite(self.lr), "used": self.used, "holiday_repeat_days": self.holiday_repeat_days}


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def fit_with_calendar(summary: pd.DataFrame, kind: str, calendar: Calendar, holiday_repeat_days: pd.Series, end,
                      *, max_iter: int = MAX_ITER, max_seconds: float = MAX_SECONDS, k: int | None = None
                      ) -> CalendarFit:
    """btyd.fit with the calendar: gamma by profile likelihood over BRACKET (a grid of halves, then
    Brent's method around the best), its 95% interval where the profile falls LR_95 / 2 below the top,
    and the likelihood-ratio test against gamma = 0. `summary` is in weeks measured to the day, to the
    observation end `end` (its last day included); `holiday_repeat_days` per member (holiday_repeat_days()).
    `max_seconds` is the budget of the whole profile, `max_iter` of each fit. Without holidays in the
    history, or for the CNBD-k models (see the module docstring; `k` is their regularity), it is btyd.fit."""
    end = pd.Timestamp(end).normalize()
    start = end - int(np.rint(7 * summary["T"].max())) * DAY if len(summary) else end
    plain = len(calendar.days(start, end)) == 0 or kind in cnbd.DROPOUT_AT_ZERO
    if plain:
        return _recorded(CalendarFit(btyd.fit(summary, kind, max_iter=max_iter, max_seconds=max_seconds, k=k),
                                     calendar, end))
    H = int(holiday_repeat_days.reindex(summary.index, fill_value=0).sum())
    deadline = time.monotonic() + max_seconds
    fits: dict[float, tuple[float, btyd.BTYDModel | None]] = {}

    def out_of_time() -> ModelUnusable:
        return ModelUnusable(f"{btyd.NAMES[kind]} with the holiday calendar did not finish its profile within "
                             f"{max_seconds:g} s ({len(fits)} fits)")

    def loglik(gamma: float) -> float:
        gamma = float(gamma)
        if gamma not in fits:
            left = deadline - time.monotonic()
            if left <= 0:
                raise out_of_time()
            try:
                m = btyd.fit(operational_summary(summary, calendar, gamma, end), kind, max_iter=max_iter,
                             max_seconds=left)
                fits[gamma] = (m.log_likelihood + gamma * H, m)
            except ModelUnusable:
                if time.monotonic() > deadline:
                    raise out_of_time() from None
                if gamma == 0:   # the plain model: its reason stands
                    raise
                fits[gamma] = (-np.inf, None)   # this gamma cannot be fitted: outside the profile
        return fits[gamma][0]

    grid = np.arange(BRACKET[0], BRACKET[1] + 0.25, 0.5)
    ll0 = loglik(0.0)
    i = int(np.argmax([loglik(g) for g in grid]))
    minimize_scalar(lambda g: -loglik(g), bounds=(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]),
                    method="bounded", options={"xatol": 0.01})
    gamma = max(fits, key=lambda g: fits[g][0])   # a grid point wins where the search never reaches its ends
    cut = fits[gamma][0] - LR_95 / 2

    def bound(step: int) -> float:
        """Where the profile crosses the cut on one side of gamma (step -1: below); +-inf if the grid's
        points on that side never fall below it."""
        outside = [g for g in grid[::step] if (g - gamma) * step > 0 and loglik(g) < cut]
        return brentq(lambda g: loglik(g) - cut, outside[0], gamma, xtol=2e-3) if outside else step * np.inf

    lr = max(2 * (fits[gamma][0] - ll0), 0.0)
    used = lr > LR_95
    return _recorded(CalendarFit(fits[gamma if used else 0.0][1], calendar, end, gamma, (bound(-1), bound(1)), lr,
                                 used, H))


def fit_on_days(summary: pd.DataFrame, kind: str, calendar: Calendar, days, end, **budget) -> CalendarFit:
    """fit_with_calendar, the holiday repeat days counted from the members' distinct purchase days `days`
    (holiday_repeat_days' input)."""
    return fit_with_calendar(summary, kind, calendar, holiday_repeat_days(days, calendar, end), end, **budget)


def _recorded(fitted: CalendarFit) -> CalendarFit:
    """The fit, its record kept in the model's fitted_on: a saved model's predictions need it (CalendarFit.of)."""
    fitted.model.fitted_on = {**fitted.model.fitted_on, "holiday_calendar": fitted.to_dict()}
    return fitted
