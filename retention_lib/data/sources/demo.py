"""A deterministic demo supermarket with a known ground truth (DESIGN §4).

Members purchase exactly as BG/NBD says (time unit: weeks) and spend exactly as Gamma-Gamma
says, per basket, so model fits on the data can be checked against the parameters that made
it. Satisfaction, fresh-produce share and coupon use are derived from each member's dropout
probability *after* it is drawn, so churn drivers show in the data while the population stays
exactly BG/NBD. Everything is vectorised over purchases; nothing loops per basket or customer.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats

from retention_lib.core.schema import CATEGORIES, DATE, DIMENSIONS, TABLES, TIMESTAMP

# Ground-truth parameters. BG/NBD in weeks: mean rate r/alpha ≈ 0.9 visits a week;
# mean dropout a/(a+b) ≈ 3.2% per repeat purchase, so about half the members are still
# alive at the end of two years. These values let BG/NBD recover all four parameters
# within 10% at 20,000 members (at 5,000, a and b have standard errors of 5–8%).
BGNBD = {"r": 2.0, "alpha": 2.2, "a": 0.5, "b": 15.0}
# Mean basket p*gamma/(q-1) = ¥112.5; basket CV 1/sqrt(p) ≈ 0.63 within a customer.
GAMMA_GAMMA = {"p": 2.5, "q": 5.0, "gamma": 180.0}
DIMENSION_WEIGHTS = {
    "dim_freshness": 0.30, "dim_price": 0.18, "dim_checkout": 0.14, "dim_variety": 0.12,
    "dim_staff": 0.12, "dim_environment": 0.08, "dim_after_sales": 0.06,
}
# Shift of each dimension's mean rating: freshness matters most yet performs worst, the
# importance/performance gap the satisfaction section should surface.
DIMENSION_PERFORMANCE = {
    "dim_freshness": -0.45, "dim_price": -0.2, "dim_checkout": -0.3, "dim_variety": 0.1,
    "dim_staff": 0.35, "dim_environment": 0.2, "dim_after_sales": 0.0,
}

OPEN_HOUR = 7  # opening hours 07:00–22:00
HOUR_WEIGHTS = np.array([3, 5, 6, 6, 5, 4, 4, 4, 4, 5, 7, 8, 7, 5, 3], float)  # 07h … 21h
# Relative busyness Monday … Sunday. Purchases run on a clock where busy days last longer;
# it averages 1 over a week, so weekly counts keep their BG/NBD distribution.
WEEKDAY_WEIGHTS = np.array([0.9, 0.88, 0.9, 0.95, 1.07, 1.18, 1.12])
BASE_MEMBER_SHARE = 0.6     # shoppers enrolling in the first weeks after the programme launch
BASE_ENROL_DAYS = 56
HOME_STORE_SHARE = 0.9
SECOND_VISIT_RATE = 0.03    # purchase days with a second basket
RETURN_RATE = 0.02
SURVEY_RATE = 0.07          # of members active in a month
ANONYMOUS_SURVEY_SHARE = 0.15
COMPLAINT_RATE = 0.002      # per purchase day, scaled up for dissatisfied members
WINDOW_WEEKS = 8
WINBACK_LEAD_DAYS = 105     # win-back sent about 3.5 months before the end
HOLIDAY_LEAD_DAYS = 45
LAPSE_DAYS = 30
WINBACK_COUPON = 15.0
# Chance a targeted member comes back for the coupon: base + slope × coupon_affinity, ≈ 13%.
COUPON_RESPONSE = (0.05, 0.3)
COUPON_WAIT_DAYS = 12  # mean wait before the coupon visit, within the 8-week validity
PRODUCTS_PER_CATEGORY = 300
CHANNELS = ("wechat", "sms", "in-store", "app")
COMPLAINT_CATEGORIES = {
    "freshness": 0.25, "product quality": 0.2, "checkout wait": 0.15, "price": 0.12,
    "staff": 0.1, "refund/after-sales": 0.1, "environment": 0.08,
}
COMMENTS = {  # (negative, positive) templates per dimension, Chinese and English
    "dim_variety": (["商品种类太少", "想买的东西经常没有", "Not enough choice", "Often out of stock"],
                    ["商品很齐全", "Great range of products"]),
    "dim_price": (["价格比网上贵", "菜价太高了", "Prices are higher than online", "Too expensive"],
                  ["价格实惠", "Good value for money"]),
    "dim_freshness": (["蔬菜不新鲜", "水果有烂的", "肉不新鲜", "Vegetables were not fresh",
                       "Found mouldy fruit"], ["蔬菜水果很新鲜", "Always fresh produce"]),
    "dim_staff": (["店员态度差", "Staff were rude"],
                  ["店员很热情", "Staff were very friendly"]),
    "dim_environment": (["店里太挤了", "地面很脏", "Store was messy"],
                        ["环境干净整洁", "Clean and tidy store"]),
    "dim_checkout": (["排队结账太慢", "收银台开得太少", "Checkout queue too long"],
                     ["结账很快", "Quick checkout"]),
    "dim_after_sales": (["退货太麻烦", "Refund took too long"],
                        ["退换货很方便", "Easy returns"]),
}
GENERIC_COMMENTS = ["还行", "挺方便的", "离家近", "OK overall", "Convenient location"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹")
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "小红", "志强", "海燕"]
EN_FIRST = ["James", "Emma", "David", "Sophie", "Michael", "Olivia", "Daniel", "Grace",
            "Thomas", "Lucy", "Kevin", "Amy"]
EN_LAST = ["Smith", "Brown", "Wilson", "Taylor", "Johnson", "Walker", "Wright", "Green"]
PHONE_PREFIXES = ["138", "139", "135", "136", "137", "150", "151", "152", "158", "159",
                  "186", "187", "188", "189"]


@dataclass
class GroundTruth:
    """Everything a test may compare against. Rates and alpha are per week."""

    seed: int
    start: pd.Timestamp
    end: pd.Timestamp  # last day of data, inclusive
    bgnbd: dict
    gamma_gamma: dict
    dimension_weights: dict[str, float]
    strongest_dimension: str
    campaigns: dict
    customers: pd.DataFrame

    def to_dict(self) -> dict:
        customers = self.customers.copy()
        for col in ("join_date", "dropout_at"):
            customers[col] = customers[col].map(lambda t: None if pd.isna(t) else t.isoformat())
        return {
            "seed": self.seed, "start": self.start.isoformat(), "end": self.end.isoformat(),
            "bgnbd": self.bgnbd, "gamma_gamma": self.gamma_gamma,
            "dimension_weights": self.dimension_weights,
            "strongest_dimension": self.strongest_dimension, "campaigns": self.campaigns,
            "customers": json.loads(customers.to_json(orient="records")),
        }


@dataclass
class DemoStore:
    tables: dict[str, pd.DataFrame]
    truth: GroundTruth


def _bgnbd_paths(rng, birth, rate, p, clock_end):
    """Purchase times under BG/NBD for customers whose first purchase is at `birth`.

    While alive, purchases arrive as a Poisson process with `rate`; after each repeat
    purchase the customer drops out with probability p. The birth purchase carries no dropout
    chance: that is BG/NBD as fitted by lifetimes (P(x=0) = exp(-λT)); dropping out at birth
    too would be MBG/NBD. Given m arrivals before the end their times are sorted uniforms, so
    no loop over purchases is needed. Returns the events (owner, time, sequence number with
    0 = birth), sorted by owner then time, and per customer whether the dropout purchase
    falls before the end.
    """
    n = len(birth)
    # repeat purchases up to and including the one before leaving; p = 0: never leaves
    lives = np.where(p > 0, rng.geometric(np.where(p > 0, p, 1.0)), np.iinfo(np.int64).max // 4)
    span = clock_end - birth
    m = rng.poisson(rate * span)
    dropped = lives <= m
    owner = np.repeat(np.arange(n), m)
    u = rng.random(len(owner))
    u = u[np.lexsort((u, owner))]
    seq = np.arange(len(u)) - np.repeat(np.cumsum(m) - m, m) + 1
    keep = seq <= np.minimum(m, lives)[owner]
    owner, seq, u = owner[keep], seq[keep], u[keep]
    owner = np.concatenate([np.arange(n), owner])
    seq = np.concatenate([np.zeros(n, int), seq])
    tau = np.concatenate([birth, birth[owner[n:]] + u * span[owner[n:]]])
    order = np.lexsort((seq, owner))
    return owner[order], tau[order], seq[order], dropped


def _purchase_days(tau, owner, seq, cum_clock):
    """Calendar day of each purchase, one purchase per day per customer.

    BG/NBD is fitted on distinct purchase days, so a purchase landing on a day already taken
    moves to the next free day: day_k = k + cummax_{j<=k}(d_j - j), segmented by owner
    through an offset large enough that one owner's maximum never reaches the next.
    """
    day = np.searchsorted(cum_clock, tau, side="right") - 1
    big = len(cum_clock) + int(seq.max(initial=0)) + 2
    offset = owner.astype(np.int64) * big
    return np.maximum.accumulate(day - seq + offset) - offset + seq


def _seconds_of_day(rng, n):
    hour = OPEN_HOUR + rng.choice(len(HOUR_WEIGHTS), n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hour * 3600 + rng.integers(0, 3600, n)


def _spend(rng, nu):
    """Gamma-Gamma basket spend in cents-rounded CNY, never zero."""
    return np.maximum(np.round(rng.gamma(GAMMA_GAMMA["p"], 1 / nu), 2), 0.01)


def _norm_scores(x):
    return stats.norm.ppf((stats.rankdata(x) - 0.5) / len(x))


def _members(rng, n, cum_clock, n_stores, store_weights):
    """Per-member latent traits, sorted by join time so ids follow enrolment order."""
    lam = rng.gamma(BGNBD["r"], 1 / BGNBD["alpha"], n)  # per week
    p = rng.beta(BGNBD["a"], BGNBD["b"], n)
    nu = rng.gamma(GAMMA_GAMMA["q"], 1 / GAMMA_GAMMA["gamma"], n)
    # Traits come from p's rank plus noise: dissatisfied members churn more, buy less fresh
    # produce and chase coupons, while p itself stays Beta(a, b).
    churny = _norm_scores(p)
    satisfaction = -0.7 * churny + np.sqrt(1 - 0.7**2) * rng.standard_normal(n)
    fresh_share = special.expit(-0.85 - 0.45 * churny + 0.35 * rng.standard_normal(n))
    coupon_affinity = special.expit(-1.2 + 0.7 * churny + 0.5 * rng.standard_normal(n))
    # Existing shoppers enrol at their first visit after the launch (truncated exponential
    # wait at their own rate); the rest join steadily. The join visit is the BG/NBD birth.
    rate = lam / 7
    base = rng.random(n) < BASE_MEMBER_SHARE
    cap = cum_clock[min(BASE_ENROL_DAYS, len(cum_clock) - 1)]
    first_visit = -np.log1p(-rng.random(n) * -np.expm1(-rate * cap)) / rate
    birth = np.where(base, first_visit, rng.random(n) * cum_clock[-1])
    home = rng.choice(n_stores, n, p=store_weights)
    order = np.argsort(birth, kind="stable")
    return pd.DataFrame({
        "lam": lam, "p_dropout": p, "nu": nu, "satisfaction": satisfaction,
        "fresh_share": fresh_share, "coupon_affinity": coupon_affinity, "churny": churny,
        "birth": birth, "home": home,
    }).iloc[order].reset_index(drop=True)


def _path_frame(rng, m_idx, birth, rate, p, cum_clock, n_days, first_kind, repeat_kind):
    """BG/NBD paths as a frame of purchase days (owner, day, kind), and who dropped out."""
    owner, tau, seq, dropped = _bgnbd_paths(rng, birth, rate, p, cum_clock[-1])
    day = _purchase_days(tau, owner, seq, cum_clock)
    keep = day < n_days
    ev = pd.DataFrame({"owner": m_idx[owner[keep]], "day": day[keep],
                       "kind": np.where(seq[keep] == 0, first_kind, repeat_kind)})
    # A dropout purchase pushed past the end by a collision never happened: still alive.
    n_kept = np.bincount(owner[keep], minlength=len(birth))
    n_made = np.bincount(owner, minlength=len(birth))
    return ev, dropped & (n_kept == n_made)


def _winback(rng, members, events, send_day, cum_clock, clock, n_days):
    """Targets, randomisation and both potential outcomes' extra purchases.

    Every targeted member gets a coupon-visit draw and, if they had already dropped out, a
    revived BG/NBD path starting at that visit; only the treatment arm's extras are kept.
    """
    last_before = events[events.day < send_day].groupby("owner").day.max()
    last = np.full(len(members), -1)
    last[last_before.index] = last_before.to_numpy()
    eligible = (members.consent & (last >= 0) & (last < send_day - LAPSE_DAYS)).to_numpy()
    targets = np.flatnonzero(eligible)
    treated = np.zeros(len(targets), bool)
    treated[rng.permutation(len(targets))[: len(targets) // 2]] = True
    m = members.iloc[targets]
    dead = (m.dropped_natural & (m.last_natural_day < send_day)).to_numpy()
    base, slope = COUPON_RESPONSE
    comes = rng.random(len(targets)) < base + slope * m.coupon_affinity.to_numpy()
    # Exponential wait truncated so that the visit falls inside the campaign window.
    cap = (WINDOW_WEEKS * 7 - 1) / COUPON_WAIT_DAYS
    wait = -np.log1p(-rng.random(len(targets)) * -np.expm1(-cap)) * COUPON_WAIT_DAYS
    coupon_day = send_day + 1 + wait.astype(int)
    coupon_tau = cum_clock[coupon_day] + rng.random(len(targets)) * clock[coupon_day]
    revive = comes & dead
    rev_idx = targets[revive]
    rev_events, rev_dropped = _path_frame(
        rng, rev_idx, coupon_tau[revive], members.lam.to_numpy()[rev_idx] / 7,
        members.p_dropout.to_numpy()[rev_idx], cum_clock, n_days, "coupon", "revived")
    extra = pd.concat([
        pd.DataFrame({"owner": targets[comes & ~dead], "day": coupon_day[comes & ~dead],
                      "kind": "coupon"}),
        rev_events,
    ])
    arm = pd.Series(np.where(treated, "treatment", "control"), index=targets)
    extra["counterfactual"] = arm.reindex(extra.owner).to_numpy() == "control"
    revived = pd.DataFrame({"dropped": rev_dropped, "treated": treated[revive]}, index=rev_idx)
    return arm, extra, revived


def _basket_lines(rng, baskets, prefs, affinity):
    """Split each basket's net amount into 1–10 lines by the shopper's category mix."""
    nb = len(baskets)
    net = np.round(baskets.amount.to_numpy() * 100).astype(np.int64)
    has_return = rng.random(nb) < RETURN_RATE
    ret = np.where(has_return, np.round((1 + rng.gamma(2.0, 6.0, nb)) * 100), 0).astype(np.int64)
    pos_total = net + ret  # positive lines pay for the net amount plus the returned item
    n_pos = np.clip(1 + rng.poisson(pos_total / 2200), 1, 10 - has_return)
    n_pos = np.minimum(n_pos, pos_total)
    b = np.repeat(np.arange(nb), n_pos)
    w = rng.gamma(1.3, 1.0, len(b))
    share = w / np.bincount(b, w)[b]
    cents = 1 + np.floor(share * (pos_total - n_pos)[b]).astype(np.int64)
    first = np.cumsum(n_pos) - n_pos
    cents[first] += pos_total - np.bincount(b, cents, minlength=nb).astype(np.int64)
    rb = np.flatnonzero(has_return)
    line_b = np.concatenate([b, rb])
    amount = np.concatenate([cents, -ret[rb]]) / 100
    is_return = np.concatenate([np.zeros(len(b), bool), np.ones(len(rb), bool)])
    order = np.lexsort((is_return, line_b))
    line_b, amount, is_return = line_b[order], amount[order], is_return[order]
    n_lines = len(line_b)

    # Category by inverse CDF of the shopper's row; offsetting each row's CDF by its index
    # makes one sorted array, so a single searchsorted samples every line.
    row = baskets.pref_row.to_numpy()[line_b]
    k = len(CATEGORIES)
    cdf = np.cumsum(prefs, axis=1)
    cdf[:, -1] = 1.0
    flat = (cdf + np.arange(len(prefs))[:, None]).ravel()
    cat = np.searchsorted(flat, row + rng.random(n_lines), side="right") - row * k
    cat = np.minimum(cat, k - 1)
    product = cat * 1000 + 1 + (PRODUCTS_PER_CATEGORY * rng.random(n_lines) ** 2.5).astype(int)
    by_weight = cat <= 1  # fresh produce and meat are sold by the kilo
    quantity = np.where(by_weight, np.round(0.1 + rng.gamma(2.0, 0.3, n_lines), 2),
                        1 + rng.poisson(0.3, n_lines)).astype(float)
    quantity[is_return] = -1.0
    aff = affinity[row]
    on_promo = ~is_return & (rng.random(n_lines) < 0.12 + 0.3 * aff)
    discount = np.where(on_promo, np.round(amount * rng.uniform(0.1, 0.4, n_lines), 2), 0.0)
    # Coupons apply to the basket; booked on its first line.
    coupon = baskets.coupon_value.to_numpy()[line_b]
    first_line = np.r_[True, line_b[1:] != line_b[:-1]]
    coupon_discount = np.where(first_line, coupon, 0.0)
    return line_b, amount, cat, product, quantity, discount, coupon_discount


def _surveys(rng, baskets, members, start, n_days, store_ids, customer_ids):
    """Monthly surveys from members active that month, while alive, plus anonymous ones."""
    mb = baskets[baskets.owner >= 0]
    final_day = members.final_day.to_numpy()[mb.owner]
    gone = members.dropped.to_numpy()[mb.owner]
    # Answered after a visit, never on the day of the last (dropout) purchase.
    mb = mb[~gone | (mb.day.to_numpy() < final_day)]
    month = mb.timestamp.dt.year * 12 + mb.timestamp.dt.month
    pick = mb.assign(month=month.to_numpy(), r=rng.random(len(mb)))
    pick = pick.sort_values(["owner", "month", "r"]).drop_duplicates(["owner", "month"])
    pick = pick[rng.random(len(pick)) < SURVEY_RATE]
    n_anon = int(round(len(pick) * ANONYMOUS_SURVEY_SHARE))
    sat = np.concatenate([members.satisfaction.to_numpy()[pick.owner], rng.standard_normal(n_anon)])
    delay = pd.to_timedelta(rng.integers(300, 3 * 3600, len(pick)), unit="s")
    submitted = (pick.timestamp + delay).clip(upper=pick.timestamp.dt.normalize()
                                              + pd.Timedelta(hours=23, minutes=59))
    anon_ts = (start + pd.to_timedelta(rng.integers(0, n_days, n_anon), unit="D")
               + pd.to_timedelta(_seconds_of_day(rng, n_anon), unit="s"))
    n = len(sat)
    dims = list(DIMENSIONS)
    rho = 0.6  # each dimension's loading on the member's overall satisfaction
    s = rho * sat[:, None] + np.sqrt(1 - rho**2) * rng.standard_normal((n, len(dims)))
    w = np.array([DIMENSION_WEIGHTS[d] for d in dims])
    perf = np.array([DIMENSION_PERFORMANCE[d] for d in dims])
    noise = 0.15
    # Scaled by its population SD, not the sample's, so months stay comparable.
    overall = (s @ w + noise * rng.standard_normal(n)) / np.sqrt(
        rho**2 * w.sum() ** 2 + (1 - rho**2) * (w**2).sum() + noise**2)
    ratings = np.clip(np.round(3.7 + perf + 0.9 * s), 1, 5)
    nps = np.clip(np.round(7.8 + 1.8 * overall), 0, 10).astype(int)
    csat = np.clip(np.round(3.9 + 0.85 * (0.8 * overall + 0.6 * rng.standard_normal(n))), 1, 5)
    missing = rng.random(ratings.shape) < 0.03
    missing[missing.all(axis=1)] = False
    masked = np.where(missing, np.nan, ratings)

    lo, hi = np.nanargmin(masked, axis=1), np.nanargmax(masked, axis=1)
    lo_val, hi_val = np.nanmin(masked, axis=1), np.nanmax(masked, axis=1)
    r = rng.random(n)
    comment = np.full(n, None, dtype=object)
    for j, d in enumerate(dims):  # a loop over the seven dimensions, not over responses
        neg, pos = COMMENTS[d]
        is_neg = (lo == j) & (lo_val <= 2) & (r < 0.7)
        comment[is_neg] = rng.choice(neg, is_neg.sum())
        is_pos = (hi == j) & (hi_val == 5) & ~(lo_val <= 2) & (r < 0.5)
        comment[is_pos] = rng.choice(pos, is_pos.sum())
    generic = pd.isna(comment) & (r > 0.7)
    comment[generic] = rng.choice(GENERIC_COMMENTS, generic.sum())

    stores = np.concatenate([pick.store.to_numpy(), rng.integers(0, len(store_ids), n_anon)])
    cust = np.concatenate([customer_ids[pick.owner], np.full(n_anon, None, dtype=object)])
    df = pd.DataFrame({
        "submitted_at": np.concatenate([submitted.to_numpy(), anon_ts.to_numpy()]),
        "nps": nps, "csat": csat.astype(int),
        **{d: pd.array(masked[:, j], dtype="Int64") for j, d in enumerate(dims)},
        "comment": comment,
        "channel": rng.choice(CHANNELS, n, p=[0.45, 0.15, 0.2, 0.2]),
        "customer_id": cust, "store_id": store_ids[stores],
    }).sort_values("submitted_at", kind="stable").reset_index(drop=True)
    df.insert(0, "response_id", [f"R{i:07d}" for i in range(1, len(df) + 1)])
    return df


def _complaints(rng, baskets, members, last_moment, store_ids, customer_ids, n_days, start):
    """Complaints raised on visits, more often by dissatisfied members; some anonymous."""
    mb = baskets[baskets.owner >= 0]
    sat = members.satisfaction.to_numpy()[mb.owner]
    hit = mb[rng.random(len(mb)) < COMPLAINT_RATE * np.exp(-0.8 * sat)]
    n_anon = int(round(len(hit) * 0.1))
    raised = (hit.timestamp + pd.to_timedelta(rng.integers(0, 7200, len(hit)), unit="s")).clip(
        upper=hit.timestamp.dt.normalize() + pd.Timedelta(hours=23, minutes=59))
    opened = np.concatenate([
        raised.to_numpy(),
        (start + pd.to_timedelta(rng.integers(0, n_days, n_anon), unit="D")
         + pd.to_timedelta(_seconds_of_day(rng, n_anon), unit="s")).to_numpy(),
    ])
    n = len(opened)
    # Median one day; a long tail of disputes (about 1 in 20 takes over a month) keeps a few
    # complaints open at the end.
    hours = rng.lognormal(np.log(24), 2.0, n)
    closed = pd.Series(opened + pd.to_timedelta(np.round(hours * 3600), unit="s").to_numpy())
    still_open = closed > last_moment
    df = pd.DataFrame({
        "opened_at": opened,
        "closed_at": closed.mask(still_open),
        "category": rng.choice(list(COMPLAINT_CATEGORIES), n,
                               p=list(COMPLAINT_CATEGORIES.values())),
        "resolved": ~still_open.to_numpy() & (rng.random(n) < 0.9),
        "customer_id": np.concatenate([customer_ids[hit.owner],
                                       np.full(n_anon, None, dtype=object)]),
        "store_id": store_ids[np.concatenate([hit.store.to_numpy(),
                                              rng.integers(0, len(store_ids), n_anon)])],
    }).sort_values("opened_at", kind="stable").reset_index(drop=True)
    df.insert(0, "complaint_id", [f"K{i:06d}" for i in range(1, len(df) + 1)])
    return df


def _demographics(rng, members, end, store_ids):
    n = len(members)
    # Older shoppers churn a little less (younger ones drift to group-buying apps).
    age = np.round(47 - 5 * members.churny.to_numpy() + 14 * rng.standard_normal(n))
    age = np.clip(age, 18, 85)
    birthday = end - pd.to_timedelta(np.ceil(age * 365.25) + rng.integers(0, 365, n), unit="D")
    bands = pd.cut(age, [17, 24, 34, 44, 54, 64, 200],
                   labels=["18-24", "25-34", "35-44", "45-54", "55-64", "65+"])
    english = rng.random(n) < 0.15
    zh = np.char.add(rng.choice(SURNAMES, n), rng.choice(GIVEN, n))
    en = np.char.add(np.char.add(rng.choice(EN_FIRST, n), " "), rng.choice(EN_LAST, n))
    phone = np.char.add(rng.choice(PHONE_PREFIXES, n),
                        np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))
    return pd.DataFrame({
        "birthday": birthday.normalize(),
        "age_band": np.asarray(bands, dtype=object),
        "gender": rng.choice(["F", "M"], n, p=[0.62, 0.38]),
        "household_size": rng.choice(["1", "2", "3", "4", "5+"], n,
                                     p=[0.18, 0.32, 0.28, 0.14, 0.08]),
        "income_band": rng.choice(["<5k", "5k-10k", "10k-20k", "20k+"], n,
                                  p=[0.25, 0.4, 0.25, 0.1]),
        "marketing_consent": members.consent.to_numpy(),
        "home_store_id": store_ids[members.home.to_numpy()],
        "name": np.where(english, en.astype(object), zh.astype(object)),
        "phone": phone.astype(object),
    })


def _winback_truth(baskets, arm, sent_at):
    """True uplift: mean difference of both potential outcomes over all targeted members."""
    window_end = sent_at + pd.Timedelta(weeks=WINDOW_WEEKS)
    in_window = baskets[(baskets.timestamp >= sent_at) & (baskets.timestamp < window_end)
                        & baskets.owner.isin(arm.index)]
    extra = in_window.kind.isin(["coupon", "revived"])

    def outcomes(frame):
        g = frame.groupby("owner").amount.agg(["size", "sum"]).reindex(arm.index, fill_value=0)
        return (g["size"] > 0).astype(float), g["size"].astype(float), g["sum"]

    r0, v0, s0 = outcomes(in_window[~extra])
    r1, v1, s1 = outcomes(in_window)
    campaign_id = f"WB{sent_at:%Y%m}"
    truth = {campaign_id: {
        "type": "winback_coupon", "has_control": True, "window_weeks": WINDOW_WEEKS,
        "true_uplift_reactivation": float((r1 - r0).mean()),
        "true_uplift_visits": float((v1 - v0).mean()),
        "true_uplift_spend": float((s1 - s0).mean()),
        "n_treatment": int((arm == "treatment").sum()), "n_control": int((arm == "control").sum()),
    }}
    return truth, campaign_id


def _campaigns(baskets, members, arm, sent_at, start_ts, n_days, customer_ids, truth,
               winback_id):
    """Campaign rows: the randomised win-back and a holiday flyer with no control group."""
    coupon = baskets[baskets.kind == "coupon"].groupby("owner").timestamp.min()
    winback = pd.DataFrame({
        "campaign_id": winback_id, "customer_id": customer_ids[arm.index], "group": arm.to_numpy(),
        "sent_at": sent_at, "type": "winback_coupon",
        "redeemed_at": coupon.reindex(arm.index).to_numpy(),
    })
    # The flyer goes to every consenting member seen in the last 90 days. It has no effect in
    # the simulation, and with no control group none could be estimated.
    flyer_at = start_ts + pd.Timedelta(days=n_days - HOLIDAY_LEAD_DAYS, hours=9)
    seen = baskets[(baskets.owner >= 0) & (baskets.timestamp < flyer_at)
                   & (baskets.timestamp >= flyer_at - pd.Timedelta(days=90))].owner.unique()
    seen = np.sort(seen[members.consent.to_numpy()[seen]])
    flyer_id = f"HF{flyer_at:%Y%m}"
    flyer = pd.DataFrame({
        "campaign_id": flyer_id, "customer_id": customer_ids[seen], "group": "treatment",
        "sent_at": flyer_at, "type": "holiday_flyer", "redeemed_at": pd.NaT,
    })
    truth = {**truth, flyer_id: {
        "type": "holiday_flyer", "has_control": False, "window_weeks": WINDOW_WEEKS,
        "true_uplift_reactivation": 0.0, "true_uplift_visits": 0.0, "true_uplift_spend": 0.0,
        "n_treatment": len(seen), "n_control": 0,
    }}
    return pd.concat([winback, flyer], ignore_index=True), truth


def simulate_store(seed: int = 2024, n_customers: int = 5000, start: str = "2024-01-01",
                   months: int = 24, n_stores: int = 2,
                   non_member_share: float = 0.25, dropout: bool = True,
                   campaigns: bool = True) -> DemoStore:
    """Simulate a community supermarket; see the module docstring and DESIGN §4.

    `dropout=False` makes a young store where no member ever leaves (every p = 0), and
    `campaigns=False` leaves out the win-back and holiday campaigns (and their table), which a
    history shorter than six months has no room for.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    if campaigns and months < 6:
        raise ValueError("months must be at least 6 to fit the win-back campaign and its window "
                         "(or campaigns=False)")
    if not 0 <= non_member_share < 1:
        raise ValueError("non_member_share must be in [0, 1)")
    rng = np.random.default_rng(seed)
    start_ts = pd.Timestamp(start).normalize()
    end_ts = start_ts + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    n_days = (end_ts - start_ts).days + 1
    dates = pd.date_range(start_ts, end_ts, freq="D")
    clock = (WEEKDAY_WEIGHTS / WEEKDAY_WEIGHTS.mean())[dates.day_of_week]
    cum_clock = np.concatenate([[0.0], np.cumsum(clock)])
    store_ids = np.array([f"S{i:02d}" for i in range(1, n_stores + 1)], dtype=object)
    store_weights = 1 / (1 + 0.5 * np.arange(n_stores))
    store_weights /= store_weights.sum()

    members = _members(rng, n_customers, cum_clock, n_stores, store_weights)
    if not dropout:
        members["p_dropout"] = 0.0
    members["consent"] = rng.random(n_customers) < 0.75
    n = n_customers
    idx = np.arange(n)
    events, dropped = _path_frame(rng, idx, members.birth.to_numpy(), members.lam.to_numpy() / 7,
                                  members.p_dropout.to_numpy(), cum_clock, n_days,
                                  "natural", "natural")
    members["dropped_natural"] = dropped
    members["last_natural_day"] = events.groupby("owner").day.max().reindex(idx).to_numpy()
    second = events[rng.random(len(events)) < SECOND_VISIT_RATE].assign(kind="second")

    send_day = n_days - WINBACK_LEAD_DAYS
    if campaigns:
        arm, extra, revived = _winback(rng, members, events, send_day, cum_clock, clock, n_days)
    else:
        arm = pd.Series(dtype=object)
        extra = pd.DataFrame({"owner": pd.Series(dtype=int), "day": pd.Series(dtype=int),
                              "kind": pd.Series(dtype=object), "counterfactual": pd.Series(dtype=bool)})
        revived = pd.DataFrame({"dropped": pd.Series(dtype=bool), "treated": pd.Series(dtype=bool)})
    baskets = pd.concat([events.assign(counterfactual=False), second.assign(counterfactual=False),
                         extra], ignore_index=True)
    nb = len(baskets)
    owner = baskets.owner.to_numpy()
    at_home = rng.random(nb) < HOME_STORE_SHARE
    away = (members.home.to_numpy()[owner] + rng.integers(1, max(n_stores, 2), nb)) % n_stores
    baskets["store"] = np.where(at_home | (n_stores == 1), members.home.to_numpy()[owner], away)
    baskets["timestamp"] = (start_ts + pd.to_timedelta(baskets.day, unit="D")
                            + pd.to_timedelta(_seconds_of_day(rng, nb), unit="s"))
    baskets["amount"] = _spend(rng, members.nu.to_numpy()[owner])
    sent_at = start_ts + pd.Timedelta(days=send_day, hours=10)
    campaign_truth, winback_id = _winback_truth(baskets, arm, sent_at) if campaigns else ({}, None)
    baskets = baskets[~baskets.counterfactual].drop(columns="counterfactual")

    # Final state: a revived treated member's fate is that of their revived path.
    members["dropped"] = members.dropped_natural
    rev_t = revived[revived.treated]
    members.loc[rev_t.index, "dropped"] = rev_t.dropped.to_numpy()
    members["revived"] = False
    members.loc[rev_t.index, "revived"] = True
    members["final_day"] = baskets.groupby("owner").day.max().reindex(idx).to_numpy()

    affinity = members.coupon_affinity.to_numpy()
    uses_coupon = rng.random(len(baskets)) < 0.45 * affinity[baskets.owner]
    spend = baskets.amount.to_numpy()
    everyday = rng.choice([3.0, 5.0, 10.0, 20.0], len(baskets), p=[0.3, 0.35, 0.25, 0.1])
    everyday = np.minimum(everyday, np.floor(0.25 * spend))
    baskets["coupon_value"] = np.where(baskets.kind == "coupon",
                                       np.minimum(WINBACK_COUPON, np.floor(0.3 * spend)),
                                       np.where(uses_coupon, everyday, 0.0))

    # Non-members: busier on busy weekdays, same spend distribution, no coupons.
    n_nm = int(round(non_member_share / (1 - non_member_share) * len(baskets)))
    nm_day = rng.choice(n_days, n_nm, p=clock / clock.sum())
    nm = pd.DataFrame({
        "owner": -1, "day": nm_day, "kind": "non_member",
        "store": rng.choice(n_stores, n_nm, p=store_weights),
        "timestamp": (start_ts + pd.to_timedelta(nm_day, unit="D")
                      + pd.to_timedelta(_seconds_of_day(rng, n_nm), unit="s")),
        "amount": _spend(rng, rng.gamma(GAMMA_GAMMA["q"], 1 / GAMMA_GAMMA["gamma"], n_nm)),
        "coupon_value": 0.0,
    })
    baskets = pd.concat([baskets, nm], ignore_index=True)
    baskets = baskets.sort_values(["timestamp", "owner"], kind="stable").reset_index(drop=True)
    basket_ids = np.array([f"B{i:08d}" for i in range(1, len(baskets) + 1)], dtype=object)

    fresh = members.fresh_share.to_numpy()
    other = rng.dirichlet(np.full(len(CATEGORIES) - 1, 4.0), n)
    prefs = np.column_stack([fresh, (1 - fresh)[:, None] * other])
    prefs = np.vstack([prefs, prefs.mean(axis=0)])  # last row: the non-member shopper
    baskets["pref_row"] = np.where(baskets.owner >= 0, baskets.owner, n)
    line_b, amount, cat, product, quantity, discount, coupon_discount = _basket_lines(
        rng, baskets, prefs, np.append(affinity, affinity.mean()))

    customer_ids = np.array([f"C{i:06d}" for i in range(1, n + 1)], dtype=object)
    owner_b = baskets.owner.to_numpy()
    basket_customer = np.where(owner_b >= 0, customer_ids[np.maximum(owner_b, 0)], None)
    product_vocab = np.array([f"P{i:05d}" for i in range(len(CATEGORIES) * 1000)], dtype=object)
    transactions = pd.DataFrame({
        "customer_id": basket_customer[line_b],
        "basket_id": basket_ids[line_b],
        "timestamp": baskets.timestamp.to_numpy()[line_b],
        "amount": amount,
        "store_id": store_ids[baskets.store.to_numpy()[line_b]],
        "product_id": product_vocab[product],
        "category": np.array(CATEGORIES, dtype=object)[cat],
        "quantity": quantity,
        "discount": discount,
        "coupon_discount": coupon_discount,
    })

    join_date = start_ts + pd.to_timedelta(
        np.searchsorted(cum_clock, members.birth.to_numpy(), side="right") - 1, unit="D")
    member_b = baskets[baskets.owner >= 0]
    recent = member_b[member_b.timestamp > end_ts - pd.Timedelta(days=364)]
    # Tier from the last year's spend: top 10% gold, next 25% silver.
    rank = recent.groupby("owner").amount.sum().reindex(idx, fill_value=0.0).rank(pct=True)
    customers = pd.DataFrame({
        "customer_id": customer_ids, "join_date": join_date,
        "tier": np.select([rank > 0.9, rank > 0.65], ["gold", "silver"], "standard"),
        **_demographics(rng, members, end_ts, store_ids),
    })
    customers = customers[[c for c in TABLES["customers"].names if c in customers]]

    surveys = _surveys(rng, baskets, members, start_ts, n_days, store_ids, customer_ids)
    last_moment = end_ts + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    complaints = _complaints(rng, baskets, members, last_moment, store_ids, customer_ids,
                             n_days, start_ts)
    campaign_rows = None
    if campaigns:
        campaign_rows, campaign_truth = _campaigns(baskets, members, arm, sent_at, start_ts, n_days,
                                                   customer_ids, campaign_truth, winback_id)

    last_ts = member_b.groupby("owner").timestamp.max().reindex(idx)
    truth_customers = pd.DataFrame({
        "customer_id": customer_ids, "join_date": join_date,
        "lam": members.lam, "p_dropout": members.p_dropout,
        "dropout_at": last_ts.where(members.dropped.to_numpy()).to_numpy(),
        "alive_at_end": ~members.dropped.to_numpy(),
        "nu": members.nu, "satisfaction": members.satisfaction,
        "fresh_share": members.fresh_share, "coupon_affinity": members.coupon_affinity,
        "home_store_id": store_ids[members.home.to_numpy()], "revived": members.revived,
    })
    truth = GroundTruth(
        seed=seed, start=start_ts, end=end_ts, bgnbd=dict(BGNBD), gamma_gamma=dict(GAMMA_GAMMA),
        dimension_weights=dict(DIMENSION_WEIGHTS),
        strongest_dimension=max(DIMENSION_WEIGHTS, key=DIMENSION_WEIGHTS.get),
        campaigns=campaign_truth, customers=truth_customers,
    )
    tables = {"transactions": transactions, "customers": customers, "surveys": surveys,
              "complaints": complaints}
    if campaign_rows is not None:
        tables["campaigns"] = campaign_rows
    for name, df in tables.items():  # one time resolution across tables
        for col in TABLES[name].columns:
            if col.kind in (TIMESTAMP, DATE) and col.name in df:
                df[col.name] = df[col.name].astype("datetime64[us]")
    return DemoStore(tables=tables, truth=truth)


def write_demo(directory, **kwargs) -> DemoStore:
    """Simulate a store and write <directory>/<table>.parquet plus truth.json."""
    store = simulate_store(**kwargs)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in store.tables.items():
        df.to_parquet(out / f"{name}.parquet", index=False)
    (out / "truth.json").write_text(json.dumps(store.truth.to_dict(), ensure_ascii=False, indent=1),
                                    encoding="utf-8")
    return store
