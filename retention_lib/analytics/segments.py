"""RFM segments, value tiers and how members moved between them since last month.

**RFM** (scored at a month's end, for every member with at least one purchase so far):
- R = days since the last purchase, against the lifecycle's days (analytics/lifecycle.py: the
  lapse rule's N and the win-back window W, one of each for every month of a run, so last month's
  segments use the same days): *recent* = a purchase in the last N days (the base: new, active, at
  risk; a member who bought this month is always recent); *lapsed* = no purchase for N to W − 1
  days (lapsed this month or dormant: the win-back pool); *long lapsed* = no purchase for W days or
  more (lost). Recency is never a quantile: on grocery data
  nearly everyone bought in the last weeks, so a quintile of recency names as "gone" members
  who bought this month.
- F = purchase days in the last 365 days, M = net spend of purchase baskets in the last 365
  days, each scored 1–5 by quintile of rank, 5 best: rank(method="first") after a stable sort,
  so every quintile has the same size (±1) and ties are broken deterministically — F ties by
  M, then recency; M ties by F, then recency; remaining ties by customer id. FM = ⌈(F + M) / 2⌉.
- High/low flags on the member table (for the 8-cell CRM grid, R × F × M): `r_high` = recent;
  `f_high` and `m_high` = the upper half by the same ranks (exactly half of the members, ±1).

Segments, first rule that matches (no name reuses the churn words "at risk", "likely lost" or
"flagged"; each name is true of every member in it):

  | segment | rule |
  |---|---|
  | champions | recent and FM ≥ 4 |
  | new | recent and first purchase in the month (the lifecycle's new; W days or more after the data starts) |
  | loyal | recent and FM = 3 |
  | occasional | recent (FM ≤ 2: buying rarely or for little) |
  | best customers gone quiet | lapsed and FM ≥ 4 |
  | gone quiet | lapsed |
  | lost | long lapsed |

**Value tiers** (DESIGN §2) describe living members only (the lifecycle's base: new, active, at
risk), thresholds set by the CLV distribution of the month's living members:

  | tier | rule | action |
  |---|---|---|
  | core | CLV ≥ 80th percentile | keep with VIP care |
  | key | CLV ≥ 50th percentile | special service plans |
  | developable | not above, and CLV-if-alive ≥ the CLV median | lukewarm: find out why |
  | low-priority | everyone else | occasional shoppers: no special effort |

CLV-if-alive is what the member would be worth if surely still a customer (CLV ÷ P(alive)):
developable members would be worth at least a key member's CLV if they kept buying. A member at risk
keeps the tier of their value (an at-risk core member is the first to call). Lapsed, dormant and lost
members are in no tier: the tier tables show them by their state (`TIER_OR_STATE`).

**Migration** from M−1 to M: RFM is rescored at M−1's end on M−1's data with the same N;
tiers at M−1 use P(alive) and CLV of the M−1 summary scored with this month's models and this
month's thresholds, so a move reflects the member's behaviour, not a refit. Revenue in a cell
is the members' net spend in month M.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from retention_lib.analytics import churn, kpis, lifecycle, value
from retention_lib.analytics.lifecycle import NOT_YET, migration  # noqa: F401  (NOT_YET: the migration tables' row of the new)
from retention_lib.data import engine
from retention_lib.data.aggregate import member_purchases, money, time_span
from retention_lib.models.clv import GammaGamma
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.core.settings import DEFAULTS

RFM_WINDOW_DAYS = 365
RECENT, LAPSED, LONG_LAPSED = "recent", "lapsed", "long_lapsed"
# Keys, best first; report.text has their names ("segment.<key>", "tier.<key>"), the segments'
# descriptions ("segment_description.<key>") and the tiers' actions ("tier_action.<key>").
SEGMENTS: tuple[str, ...] = ("champions", "loyal", "new", "occasional", "best_gone_quiet", "gone_quiet",
                             "lost")
# The recency status every member of a segment has (the chart colours segments by it).
SEGMENT_STATUS = {"champions": RECENT, "loyal": RECENT, "new": RECENT, "occasional": RECENT,
                  "best_gone_quiet": LAPSED, "gone_quiet": LAPSED, "lost": LONG_LAPSED}
TIERS: tuple[str, ...] = ("core", "key", "developable", "low-priority")
OUTSIDE_TIERS: tuple[str, ...] = tuple(s for s in lifecycle.STATES if s not in lifecycle.BASE_STATES)
TIER_OR_STATE: tuple[str, ...] = TIERS + OUTSIDE_TIERS   # the rows of the tier tables

def rfm_table(baskets, end: pd.Timestamp, window_days: int = RFM_WINDOW_DAYS) -> pd.DataFrame:
    """Raw R, F and M at `end` (exclusive) for every member with a purchase before it; `baskets` is an
    Ibis table (the run's, on its engine) or a frame."""
    end = pd.Timestamp(end).normalize()
    last_day, window_start = end - pd.Timedelta(days=1), (end - pd.Timedelta(days=window_days)).date()
    b = member_purchases(baskets)
    b = b.filter(b.date < end.to_pydatetime())
    b = b.mutate(d=b.date.cast("date"))
    recent = b.d >= window_start
    per = b.group_by("customer_id").aggregate(
        first_purchase=b.d.min(), last_purchase=b.d.max(), frequency=b.d.nunique(where=recent),
        monetary=money(b.amount).sum(where=recent).cast("float64").fill_null(0.0))
    out = engine.backend_of(b).to_pyarrow(per.order_by("customer_id")).to_pandas()
    for col in ("first_purchase", "last_purchase"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    out.insert(3, "recency_days", (last_day - out["last_purchase"]).dt.days)
    out = out.astype({"recency_days": "int64", "frequency": "int64", "monetary": "float64"})
    return out.set_index("customer_id")


def ranked_bins(keys: list, ids, bins: int = 5) -> np.ndarray:
    """Scores 1…bins by equal-sized bins of rank; `keys` are goodness arrays, most important first.

    The rows are sorted by the keys (ascending: larger is better), then by id, and ranked
    with method="first": equal-sized bins and deterministic tie-breaking.
    """
    ids = np.asarray(ids).astype(str)
    n = len(ids)
    if n == 0:
        return np.array([], dtype=int)
    # A stable sort on (keys..., id) — np.lexsort takes the primary key last — then
    # rank(method="first") of the sorted position: no two members share a rank.
    order = np.lexsort([ids] + [np.asarray(k, dtype=float) for k in reversed(keys)])
    position = np.empty(n)
    position[order] = np.arange(1, n + 1)
    rank = pd.Series(position).rank(method="first").to_numpy()
    return (1 + np.floor((rank - 1) * bins / n)).astype(int)


def quintile(keys: list, ids) -> np.ndarray:
    """Scores 1–5 by quintile of rank (see `ranked_bins`)."""
    return ranked_bins(keys, ids, 5)


@dataclass(frozen=True)
class RecencyRule:
    """Recency in days against the lifecycle's days: recent, lapsed, long lapsed (module docstring)."""
    lapse_days: int
    long_lapse_days: int

    @classmethod
    def of(cls, rule: lifecycle.Rule) -> "RecencyRule":
        return cls(rule.lapse_days, rule.winback_days)

    def status(self, recency_days: pd.Series, bought_this_month: pd.Series) -> np.ndarray:
        days = recency_days.to_numpy()
        recent = (days < self.lapse_days) | bought_this_month.to_numpy()
        return np.select([recent, days < self.long_lapse_days], [RECENT, LAPSED], LONG_LAPSED)

    def params(self) -> dict:
        """The values the rule's sentence and the segments' descriptions name."""
        return {"lapse_days": self.lapse_days, "last_quiet_day": self.long_lapse_days - 1,
                "long_days": self.long_lapse_days}

    def describe(self) -> Message:
        return Message("segments.recency_rule", **self.params())

    def to_dict(self) -> dict:
        return asdict(self) | {"rule": self.describe()}


def name_segments(status: np.ndarray, fm: np.ndarray, is_new: np.ndarray) -> np.ndarray:
    recent, lapsed = status == RECENT, status == LAPSED
    conditions = [
        recent & (fm >= 4),
        recent & is_new,
        recent & (fm == 3),
        recent,
        lapsed & (fm >= 4),
        lapsed,
    ]
    return np.select(conditions, ["champions", "new", "loyal", "occasional", "best_gone_quiet",
                                  "gone_quiet"], "lost")


def default_rule(baskets, end: pd.Timestamp) -> lifecycle.Rule:
    """The lifecycle's days as the KPI board derives them from the data before `end`, with the default
    win-back window."""
    b = engine.as_table(baskets)
    n = kpis.derive_lapse_days(kpis.purchase_gaps(b.filter(b.date < pd.Timestamp(end).to_pydatetime()))).days
    return lifecycle.Rule.of(n, DEFAULTS.winback_days)


def rfm(baskets, end: pd.Timestamp, rule: lifecycle.Rule | None = None,
        window_days: int = RFM_WINDOW_DAYS) -> pd.DataFrame:
    """Recency status, F and M scores, high/low flags and named segments at `end` (exclusive);
    `rule` is the run's lifecycle rule (None: derived from the data as the KPI board does).
    See the module docstring."""
    end = pd.Timestamp(end).normalize()
    baskets = engine.as_table(baskets)
    rule = RecencyRule.of(rule or default_rule(baskets, end))
    t = rfm_table(baskets, end, window_days)
    recent, freq, spend = -t["recency_days"].to_numpy(), t["frequency"].to_numpy(), t["monetary"].to_numpy()
    ids = t.index.to_numpy()
    last_day = end - pd.Timedelta(days=1)
    month_start = last_day.to_period("M").start_time
    t["bought_this_month"] = pd.to_datetime(t["last_purchase"]) >= month_start
    t["recency_status"] = rule.status(t["recency_days"], t["bought_this_month"])
    t["f"] = quintile([freq, spend, recent], ids)
    t["m"] = quintile([spend, freq, recent], ids)
    t["fm"] = np.ceil((t["f"] + t["m"]) / 2).astype(int)
    t["r_high"] = t["recency_status"] == RECENT
    t["f_high"] = ranked_bins([freq, spend, recent], ids, 2) == 2
    t["m_high"] = ranked_bins([spend, freq, recent], ids, 2) == 2
    # New: first purchase in the month, as the lifecycle counts new members, and at least W days after the
    # data starts: a first purchase earlier may be a lost member's return.
    first = pd.to_datetime(t["first_purchase"])
    data_start = time_span(baskets)[0].normalize()
    is_new = (first >= month_start) & (first >= data_start + pd.Timedelta(days=rule.long_lapse_days))
    t["segment"] = name_segments(t["recency_status"].to_numpy(), t["fm"].to_numpy(), is_new.to_numpy())
    t["segment"] = pd.Categorical(t["segment"], categories=list(SEGMENTS))
    return t


# --------------------------------------------------------------------------- value tiers
@dataclass(frozen=True)
class TierRule:
    core_clv: float
    key_clv: float
    core_quantile: float = DEFAULTS.tier_core_quantile
    key_quantile: float = DEFAULTS.tier_key_quantile
    living: int = 0                    # the living members the thresholds are quantiles of

    def describe(self, currency: str = "") -> Message:
        """The four tiers' rules with this month's thresholds."""
        key_note = "" if self.key_quantile == 0.5 else Message("tiers.key_quantile", quantile=self.key_quantile)
        return Message("tiers.rule", core_clv=self.core_clv, key_clv=self.key_clv, core_quantile=self.core_quantile,
                       key_note=key_note, living=self.living, currency=currency)

    def to_dict(self) -> dict:
        return asdict(self)


def living(scores: pd.DataFrame) -> pd.Series:
    """Whether each member is in the lifecycle's base (new, active, at risk): the members tiers describe."""
    return scores["state"].isin(lifecycle.BASE_STATES)


def tier_rule(scores: pd.DataFrame, core_quantile: float = DEFAULTS.tier_core_quantile,
              key_quantile: float = DEFAULTS.tier_key_quantile) -> TierRule:
    """The thresholds: quantiles of the living members' CLV (all members' when nobody is living)."""
    values = scores.loc[living(scores), "clv"]
    values = values if len(values) else scores["clv"]
    return TierRule(float(np.quantile(values, core_quantile)), float(np.quantile(values, key_quantile)),
                    core_quantile, key_quantile, int(living(scores).sum()))


def value_tiers(scores: pd.DataFrame, rule: TierRule) -> pd.Series:
    """Per member its tier when living, else its lifecycle state (lapsed, dormant, lost): `TIER_OR_STATE`,
    from the scores' state, clv and clv_if_alive (see the module docstring)."""
    alive = living(scores).to_numpy()
    v, if_alive = scores["clv"].to_numpy(), scores["clv_if_alive"].to_numpy()
    tier = np.select([alive & (v >= rule.core_clv), alive & (v >= rule.key_clv), alive & (if_alive >= rule.key_clv),
                      alive], ["core", "key", "developable", "low-priority"], "")
    tier = np.where(alive, tier, scores["state"].astype(str).to_numpy())
    return pd.Series(pd.Categorical(tier, categories=list(TIER_OR_STATE)), index=scores.index, name="tier")


def month_revenue(baskets, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Members' net spend (all their baskets, returns netted) in [start, end), summed exactly."""
    b = engine.as_table(baskets)
    b = b.filter(b.is_member & (b.timestamp >= pd.Timestamp(start).to_pydatetime())
                 & (b.timestamp < pd.Timestamp(end).to_pydatetime()))
    per = b.group_by("customer_id").aggregate(amount=money(b.amount).sum().cast("float64")).order_by("customer_id")
    return engine.backend_of(b).to_pyarrow(per).to_pandas().set_index("customer_id")["amount"]


# --------------------------------------------------------------------------- scores
def previous_month_scores(run: Run, churned: churn.Saved, settings: dict) -> pd.DataFrame:
    """Churn status, CLV and CLV-if-alive at M−1's end, judged with this month's models (or
    lapse rule) and CLV method, so a tier move reflects the member's behaviour, not a refit."""
    baskets = engine.run_table(run, "baskets")
    spend = GammaGamma.from_json(run.path("gamma_gamma")) if run.has("gamma_gamma") else None
    view = value.value_month(churned.model, churn.scores_last_month(run, churned), spend=spend,
                             baskets=baskets.filter(baskets.timestamp < run.start.to_pydatetime()), end=run.start,
                             horizon_months=int(settings["horizon_months"]),
                             annual_discount_rate=float(settings["annual_discount_rate"]),
                             margin=float(settings["margin"]))
    return view.scores


# --------------------------------------------------------------------------- the month
@dataclass
class SegmentView:
    rfm_now: pd.DataFrame
    rfm_before: pd.DataFrame
    tiers_now: pd.Series
    tiers_before: pd.Series
    rule: TierRule
    revenue: pd.Series       # members' net spend in the month
    scores: pd.DataFrame     # churn and CLV scores at the month's end
    recency: RecencyRule     # the days both months' segments are judged by

    def members(self) -> pd.DataFrame:
        """Customer level (stays in the run folder): segment and tier now and a month ago."""
        out = self.rfm_now.join(self.scores[["p_alive", "clv", "clv_if_alive"]])
        out["tier"] = self.tiers_now
        out["segment_last_month"] = self.rfm_before["segment"].astype(str).reindex(out.index)
        out["tier_last_month"] = self.tiers_before.astype(str).reindex(out.index)
        out["revenue_this_month"] = self.revenue.reindex(out.index).fillna(0.0)
        return out

    def segment_summary(self) -> pd.DataFrame:
        return segment_summary(self.rfm_now, self.revenue)

    def tier_summary(self) -> pd.DataFrame:
        return tier_summary(self.scores, self.tiers_now, self.revenue)

    def rfm_migration(self):
        return migration(self.rfm_before["segment"], self.rfm_now["segment"], list(SEGMENTS), self.revenue)

    def tier_migration(self):
        return migration(self.tiers_before, self.tiers_now, list(TIER_OR_STATE), self.revenue)


def for_month(run: Run, *, core_quantile: float | None = None, key_quantile: float | None = None,
              lapse_days: int | None = None) -> SegmentView:
    """RFM segments and value tiers at the end of the month and of the month before, from the
    churn and CLV scores notebooks 03 and 04 saved (computed with the config's settings when
    they have not run). Recency is judged by the run's lifecycle days (notebook 02's lapse rule,
    unless `lapse_days` overrides it), the same at both months' ends."""
    baskets = engine.run_table(run, "baskets")
    days = churn.run_rule(run, lapse_days)
    churned = churn.saved(run)
    now = value.saved(run, churned)
    rule = tier_rule(now, run.setting("tier_core_quantile", core_quantile), run.setting("tier_key_quantile", key_quantile))
    before = previous_month_scores(run, churned, run.read("clv_summary"))
    return SegmentView(
        rfm_now=rfm(baskets, run.end, days), rfm_before=rfm(baskets, run.start, days),
        tiers_now=value_tiers(now, rule), tiers_before=value_tiers(before, rule), rule=rule,
        revenue=month_revenue(baskets, run.start, run.end), scores=now, recency=RecencyRule.of(days))


# --------------------------------------------------------------------------- summaries
def segment_summary(seg: pd.DataFrame, revenue: pd.Series) -> pd.DataFrame:
    """Members, share, revenue in the month, members who bought in it and typical R/F/M by RFM segment."""
    f = seg.assign(revenue=revenue.reindex(seg.index).fillna(0.0))
    out = f.groupby("segment", observed=False).agg(
        members=("recency_days", "size"), bought_this_month=("bought_this_month", "sum"),
        min_days_since_purchase=("recency_days", "min"), max_days_since_purchase=("recency_days", "max"),
        revenue=("revenue", "sum"), median_days_since_purchase=("recency_days", "median"),
        median_purchase_days_12m=("frequency", "median"), median_spend_12m=("monetary", "median"))
    out["share_of_members"] = out["members"] / out["members"].sum()
    out.insert(0, "recency_status", [SEGMENT_STATUS[k] for k in out.index])
    total = out["revenue"].sum()
    out["share_of_revenue"] = out["revenue"] / total if total else np.nan
    return out.reset_index()


def tier_summary(scores: pd.DataFrame, tiers: pd.Series, revenue: pd.Series) -> pd.DataFrame:
    f = scores.assign(tier=tiers, revenue=revenue.reindex(scores.index).fillna(0.0))
    out = f.groupby("tier", observed=False).agg(
        members=("clv", "size"), clv=("clv", "sum"), mean_clv=("clv", "mean"),
        mean_p_alive=("p_alive", "mean"), revenue=("revenue", "sum"))
    out["share_of_members"] = out["members"] / out["members"].sum()
    out["share_of_clv"] = out["clv"] / out["clv"].sum() if out["clv"].sum() else np.nan
    return out.reset_index()


def tier_moves(counts: pd.DataFrame, revenue: pd.DataFrame) -> dict:
    """Members who moved up or down a value tier since last month (members new this month are
    neither), and the revenue this month of those who moved down (in cents, as saved)."""
    rank = {tier: i for i, tier in enumerate(TIERS)}   # 0 is the best tier
    revenue = revenue.round(2)
    up = down = 0
    down_revenue = 0.0
    for before in TIERS:
        for now in TIERS:
            if rank[now] < rank[before]:
                up += int(counts.at[before, now])
            elif rank[now] > rank[before]:
                down += int(counts.at[before, now])
                down_revenue += float(revenue.at[before, now])
    return {"up": up, "down": down, "down_revenue": down_revenue}


def _matrix(frame: pd.DataFrame) -> dict:
    return {"rows": list(frame.index), "columns": list(frame.columns),
            "values": frame.to_numpy().round(2).tolist()}


def save(run: Run, view: SegmentView) -> None:
    """Customer-level file (run folder only) and the aggregated JSON the report reads."""
    rule, rfm_moves, tier_migration = view.rule, view.rfm_migration(), view.tier_migration()
    seg_summary, tiers = view.segment_summary(), view.tier_summary()
    members = view.members()
    run.write("segments_members", members.astype({"segment": str, "tier": str}))
    run.write("segments_summary", {
        "month": str(run.month), "previous_month": str(run.month - 1),
        "members": int(len(members)), "currency": run.config.currency,
        "rfm_window_days": RFM_WINDOW_DAYS, "recency": view.recency.to_dict(),
        "segments": seg_summary.to_dict('records'), "tiers": tiers.to_dict('records'),
        "tier_rule": rule.to_dict() | {"rule": rule.describe(run.config.currency)},
        "rfm_migration": {"counts": _matrix(rfm_moves[0]), "revenue": _matrix(rfm_moves[1])},
        "tier_migration": {"counts": _matrix(tier_migration[0]), "revenue": _matrix(tier_migration[1])},
        "tier_moves": tier_moves(*tier_migration),
    })


def saved_tiers(run: Run) -> pd.Series | None:
    """The month's value tier per member, as notebook 05 saved it (None before it ran)."""
    return run.read("segments_members")["tier"] if run.has("segments_members") else None
