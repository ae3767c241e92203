"""Churn drivers: how lapsed members differ from retained ones, with effect sizes and 95% CIs.

Groups and window (M is the reported month, E its last day, N the lapse rule's days):
- The window runs from W0 = max(E − 12 months + 1 day, first day of data) to E.
- Compared are the members who bought at least once in [W0, E − N], so every one of them
  had N days in which to come back:
  **lapsed** — no purchase in the last N days to E (their silence reached N by E);
  **retained** — bought in the last N days.
- Features come from each member's purchases in the window: share of spend by category
  (positive lines), discounts as a share of spend before discounts, share of baskets with a
  coupon (all three in %, so their differences are in percentage points), spend per purchase
  basket; tenure = months from joining to E, from real join dates only (a member without one
  is left out of it; a source whose join dates are substituted, core.schema.SUBSTITUTED, has
  no tenure, and a note says why); home store = the store with most of their purchase baskets in
  the window (ties: the latest visit, then the store id), as the store table counts it; demographics where the customers table has them (never a substituted column).

Statistics (lapsed minus retained):
- numeric features: difference in means with a Welch 95% CI, and Cohen's d (pooled SD) with
  its large-sample 95% CI;
- categories (store, age band, …): for each level, the share of lapsed members minus the
  share of retained members in that level, with Newcombe's hybrid-score 95% CI built on
  Wilson intervals. Members with the value missing are left out of that variable.

One significance rule, for the chart, the text and the findings alike (`significant`): the 95%
interval of the difference (Welch for means, Newcombe for shares) excludes 0 and each group has
at least `min_group_n` members with the value (settings.min_group_n). Every row carries its n.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd
from ibis import _

from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchases, money, time_span
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.core.schema import substituted
from retention_lib.core.settings import DEFAULTS
from retention_lib.core.stats import newcombe, welch

WINDOW_MONTHS = 12
MAX_STORES = 10
MIN_GROUP = 10  # lapsed and retained members each, for a comparison worth showing
# Demographic columns compared when the customers table has them (report.text: "variable.<column>").
DEMOGRAPHICS = ("age_band", "income_band", "household_size", "gender")
OTHER_STORES = "other_stores"   # the level pooling the stores past MAX_STORES
PERCENTAGE_FEATURES = ("discount_share", "coupon_basket_share")   # besides every share_<category>


# --------------------------------------------------------------------------- groups and features
@dataclass
class Groups:
    window_start: pd.Timestamp
    last_day: pd.Timestamp
    lapse_days: int
    lapsed: pd.Series            # bool per member in the comparison

    def describe(self) -> Message:
        """Who is compared, over which window."""
        return Message("drivers.groups", window_start=self.window_start.normalize(),
                       cutoff=(self.last_day - pd.Timedelta(days=self.lapse_days)).normalize(),
                       last_day=self.last_day.normalize(), lapse_days=self.lapse_days,
                       lapsed=int(self.lapsed.sum()), retained=int((~self.lapsed).sum()))


def comparison_groups(baskets, end: pd.Timestamp, lapse_days: int,
                      window_months: int = WINDOW_MONTHS) -> Groups:
    """Who is compared (module docstring); `baskets` is an Ibis table (the run's, on its engine) or a frame."""
    end = pd.Timestamp(end).normalize()
    last_day = end - pd.Timedelta(days=1)
    b = engine.as_table(baskets)
    data_start = time_span(b)[0].normalize()
    window_start = max(end - pd.DateOffset(months=window_months), data_start)
    cutoff = last_day - pd.Timedelta(days=lapse_days)
    p = member_purchases(b)
    p = p.filter((p.date >= window_start.to_pydatetime()) & (p.date <= last_day.to_pydatetime()))
    g = p.group_by("customer_id").aggregate(first=_.date.min(), last=_.date.max())
    g = g.filter(g.first <= cutoff.to_pydatetime()).select("customer_id", lapsed=_.last <= cutoff.to_pydatetime())
    lapsed = engine.backend_of(b).to_pyarrow(g).to_pandas().set_index("customer_id")["lapsed"].sort_index()
    return Groups(pd.Timestamp(window_start), last_day, int(lapse_days), lapsed.astype(bool))


def _basket_features(window):
    """Per member: spend, spend before discounts, discounts, purchase baskets, baskets with a coupon."""
    return window.group_by("customer_id").aggregate(
        spend=money(_.amount).sum().cast("float64"), gross=money(_.gross_amount).sum().cast("float64"),
        discount=money(_.discount).sum().cast("float64"), baskets=_.count(),
        coupon_baskets=_.count(where=_.coupon_discount > 0))


def _home_store(window):
    """The store with most of a member's baskets in the window; ties to the latest visit, then the lower
    store id (as the store table counts it: analytics/lifecycle)."""
    w = window.filter(window.store_id.notnull()).mutate(store_id=_.store_id.cast("string"))
    visits = w.group_by(["customer_id", "store_id"]).aggregate(n=_.count(), last=_.timestamp.max())
    rank = ibis.row_number().over(group_by="customer_id", order_by=[ibis.desc("n"), ibis.desc("last"), "store_id"])
    return visits.mutate(rank=rank).filter(_.rank == 0).select("customer_id", "store_id")


def _category_spend(lines, members, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | None:
    """Positive-line spend per (member, category) in [start, end), summed exactly; None when the lines
    have no category column or no line with a category. `members` is an Ibis table of ids."""
    t = engine.as_table(lines)
    if "category" not in t.columns:
        return None
    t = t.filter((t.amount > 0) & (t.timestamp >= start.to_pydatetime()) & (t.timestamp < end.to_pydatetime()))
    t = t.semi_join(members, "customer_id").mutate(category=_.category.cast("string").fill_null("unknown"))
    spend = t.group_by(["customer_id", "category"]).aggregate(spend=money(_.amount).sum().cast("float64"))
    cat = engine.backend_of(t).to_pyarrow(spend.order_by(["customer_id", "category"])).to_pandas()
    if not len(cat) or (cat["category"] == "unknown").all():
        return None
    return cat


NO_CATEGORIES = Message("drivers.no_categories")


def is_percentage(feature: str) -> bool:
    """Whether a feature is in % (its differences are percentage points)."""
    return feature.startswith("share_") or feature in PERCENTAGE_FEATURES


def features(baskets, groups: Groups, lines=None, customers: pd.DataFrame | None = None
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numeric and categorical features per compared member (report.text labels them by column).

    Category shares need `lines` with a category column; without one (it is optional in the
    data) there are no share_* features. Columns come in a fixed order: category shares by
    mean share (largest first, then by name), then the other features.
    """
    ids = groups.lapsed.index
    start, end = groups.window_start, groups.last_day + pd.Timedelta(days=1)
    # the compared members' ids only: no missing text goes into the engine (see engine.scan)
    members = ibis.memtable(pd.DataFrame({"customer_id": ids.astype(str).to_numpy()}))
    b = engine.as_table(baskets)
    bought = member_purchases(b)
    window = bought.filter((bought.timestamp >= start.to_pydatetime())
                           & (bought.timestamp < end.to_pydatetime())).semi_join(members, "customer_id")
    con = engine.backend_of(b)
    per = con.to_pyarrow(_basket_features(window)).to_pandas().set_index("customer_id").reindex(ids)
    home = con.to_pyarrow(_home_store(window)).to_pandas().set_index("customer_id")["store_id"].reindex(ids)
    num = pd.DataFrame(index=ids)
    cat = _category_spend(lines, members, start, end) if lines is not None else None
    if cat is not None:
        shares = cat.pivot_table(index="customer_id", columns="category", values="spend", aggfunc="sum",
                                 fill_value=0.0)
        shares = shares.div(shares.sum(axis=1), axis=0).reindex(ids)
        mean = shares.mean()
        for c in sorted(shares.columns, key=lambda c: (-mean[c], c)):
            if c == "unknown":  # lines without a category: a data gap, not a behaviour
                continue
            num[f"share_{c}"] = 100 * shares[c]
    if per["discount"].fillna(0).abs().sum() > 0:
        num["discount_share"] = 100 * per["discount"] / (per["gross"] + per["discount"])
    if (per["coupon_baskets"].fillna(0) > 0).any():
        num["coupon_basket_share"] = 100 * per["coupon_baskets"] / per["baskets"]
    num["spend_per_basket"] = per["spend"] / per["baskets"]
    filled = substituted(customers)
    if customers is not None and "join_date" in customers and "join_date" not in filled \
            and customers["join_date"].notna().any():
        join = pd.to_datetime(customers.set_index("customer_id")["join_date"]).reindex(ids)
        num["tenure_months"] = (groups.last_day - join).dt.days / (365.25 / 12)

    cats = pd.DataFrame(index=ids)
    # The MAX_STORES stores that are home to most members are kept (ties by store id), the rest pooled.
    counts = home.value_counts()
    top = sorted(counts.index, key=lambda store: (-counts[store], store))[:MAX_STORES]
    cats["home_store"] = home.where(home.isin(top) | home.isna(), OTHER_STORES)
    if customers is not None:
        c = customers.set_index("customer_id").reindex(ids)
        for col in DEMOGRAPHICS:
            if col in c and col not in filled and c[col].notna().any():
                cats[col] = c[col].astype("string")
    return num, cats


def significant(ci_low, ci_high, n_lapsed, n_retained, min_group_n: int) -> bool:
    """The one significance rule: the 95% interval excludes 0 and both groups have min_group_n members."""
    if not (pd.notna(ci_low) and pd.notna(ci_high)):
        return False
    return bool((ci_low > 0 or ci_high < 0) and n_lapsed >= min_group_n and n_retained >= min_group_n)


def _pooled_sd(a: pd.Series, b: pd.Series) -> float:
    """The pooled standard deviation of Cohen's d (NaN when it is 0 or undefined)."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    sd = float(np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)))
    return sd if sd > 0 else float("nan")


def numeric_effects(num: pd.DataFrame, lapsed: pd.Series, min_group_n: int = DEFAULTS.min_group_n) -> pd.DataFrame:
    """Per feature: n with the value of all the group's members (of_lapsed, of_retained), means,
    the Welch difference and interval, Cohen's d with its interval, the Welch interval in pooled
    standard deviations (scaled_low/high: what the chart draws, so a bar crosses 0 exactly when
    the Welch interval does) and `significant`."""
    rows = []
    of1, of2 = int(lapsed.sum()), int((~lapsed).sum())
    for col in num.columns:
        x = num[col].astype(float)
        w = welch(x[lapsed], x[~lapsed])
        pooled = _pooled_sd(x[lapsed], x[~lapsed])
        rows.append({"feature": col, "n_lapsed": w.n1, "n_retained": w.n2, "of_lapsed": of1, "of_retained": of2,
                     "lapsed": w.mean1, "retained": w.mean2, "difference": w.difference, "ci_low": w.lo,
                     "ci_high": w.hi, "cohens_d": w.cohens_d, "d_low": w.d_lo, "d_high": w.d_hi,
                     "scaled_low": w.lo / pooled, "scaled_high": w.hi / pooled, "p_value": w.p_value,
                     "significant": significant(w.lo, w.hi, w.n1, w.n2, min_group_n)})
    return pd.DataFrame(rows)


CATEGORICAL_COLUMNS = ["variable", "level", "lapsed_share", "retained_share", "difference", "ci_low", "ci_high",
                       "k_lapsed", "k_retained", "n_lapsed", "n_retained", "of_lapsed", "of_retained", "significant"]


def categorical_effects(cats: pd.DataFrame, lapsed: pd.Series, min_group_n: int = DEFAULTS.min_group_n
                        ) -> pd.DataFrame:
    """Per variable and level: k members in the level of n with the value known, of all the group's
    members (coverage: n of of_lapsed), the shares, their Newcombe difference and `significant`."""
    rows = []
    of1, of2 = int(lapsed.sum()), int((~lapsed).sum())
    for col in cats.columns:
        x = cats[col]
        known = x.notna()
        n1, n2 = int((known & lapsed).sum()), int((known & ~lapsed).sum())
        if n1 == 0 or n2 == 0:
            continue
        for level in sorted(x.dropna().unique(), key=str):
            k1 = int(((x == level) & lapsed).sum())
            k2 = int(((x == level) & ~lapsed).sum())
            d, lo, hi = newcombe(k1, n1, k2, n2)
            rows.append({"variable": col, "level": str(level),
                         "lapsed_share": k1 / n1, "retained_share": k2 / n2, "difference": d,
                         "ci_low": lo, "ci_high": hi, "k_lapsed": k1, "k_retained": k2, "n_lapsed": n1,
                         "n_retained": n2, "of_lapsed": of1, "of_retained": of2,
                         "significant": significant(lo, hi, n1, n2, min_group_n)})
    return pd.DataFrame(rows, columns=CATEGORICAL_COLUMNS)


@dataclass
class Drivers:
    groups: Groups
    numeric: pd.DataFrame
    categorical: pd.DataFrame
    notes: list[Message] = field(default_factory=list)
    min_group_n: int = DEFAULTS.min_group_n

    @property
    def has_categories(self) -> bool:
        """Whether the category mix could be compared: False when the data has no categories."""
        return bool(self.numeric.get("feature", pd.Series(dtype=str)).str.startswith("share_").any())

    def headline(self, top: int = 5) -> list[dict]:
        """The significant numeric features with the largest |Cohen's d| (ties by feature name)."""
        n = self.numeric.dropna(subset=["cohens_d"])
        n = n[n["significant"]]
        n = n.assign(_size=-n["cohens_d"].abs()).sort_values(["_size", "feature"]).drop(columns="_size")
        return n.head(top).to_dict('records')

    def categorical_headline(self, top: int = 5) -> list[dict]:
        """The significant category levels with the largest |difference| (ties by variable, level)."""
        c = self.categorical[self.categorical["significant"]]
        c = c.assign(_size=-c["difference"].abs()).sort_values(["_size", "variable", "level"]).drop(columns="_size")
        return c.head(top).to_dict('records')


def drivers(baskets, end: pd.Timestamp, lapse_days: int, *, lines=None,
            customers: pd.DataFrame | None = None, window_months: int = WINDOW_MONTHS,
            min_group_n: int = DEFAULTS.min_group_n) -> Drivers:
    """Lapsed against retained members; see the module docstring for groups and statistics."""
    groups = comparison_groups(baskets, end, lapse_days, window_months)
    notes = []
    if groups.lapsed.sum() < 2 or (~groups.lapsed).sum() < 2:
        notes.append(Message("drivers.too_few"))
    num, cats = features(baskets, groups, lines, customers)
    if "tenure_months" not in num:
        notes.append(Message("drivers.no_tenure.substituted" if "join_date" in substituted(customers)
                             else "drivers.no_tenure"))
    if not any(c.startswith("share_") for c in num):
        notes.append(NO_CATEGORIES)
    if "discount_share" not in num:
        notes.append(Message("drivers.no_discounts"))
    if "coupon_basket_share" not in num:
        notes.append(Message("drivers.no_coupons"))
    return Drivers(groups, numeric_effects(num, groups.lapsed, min_group_n),
                   categorical_effects(cats, groups.lapsed, min_group_n), notes, min_group_n)


def for_month(run: Run, lapse_days: int) -> Drivers:
    lines = engine.run_table(run, "transactions")
    return drivers(engine.run_table(run, "baskets"), run.end, lapse_days, lines=lines, customers=run.table("customers"),
                   min_group_n=int(run.setting("min_group_n")))


def save(run: Run, result: Drivers) -> None:
    """The comparison for the report; the parts the data cannot support, with the reason."""
    g = result.groups
    n_lapsed, n_retained = int(g.lapsed.sum()), int((~g.lapsed).sum())
    if n_lapsed < MIN_GROUP or n_retained < MIN_GROUP:
        run.unavailable("drivers", Message("drivers.too_few_to_compare", lapsed=n_lapsed, retained=n_retained,
                                           minimum=MIN_GROUP, groups=g.describe()))
        run.unavailable("category_mix", Message("drivers.none_lapsed"))
        return
    run.available("drivers")
    if result.has_categories:
        run.available("category_mix")
    else:
        run.unavailable("category_mix", NO_CATEGORIES)
    run.write("drivers_numeric", result.numeric, index=False)
    run.write("drivers_categorical", result.categorical, index=False)
    run.write("drivers", {
        "month": str(run.month), "window_start": g.window_start, "last_day": g.last_day,
        "lapse_days": g.lapse_days, "lapsed": int(g.lapsed.sum()), "retained": int((~g.lapsed).sum()),
        "groups": g.describe(), "notes": result.notes, "has_categories": result.has_categories,
        "min_group_n": result.min_group_n,
        "numeric": result.numeric.to_dict('records'), "categorical": result.categorical.to_dict('records'),
        "headline": result.headline(), "categorical_headline": result.categorical_headline(),
    })
