"""The people around the demo store: members' traits, demographics, surveys, complaints, and
the campaigns sent to them with their true effect.

Part of the simulated demo store (demo.simulate_store). Traits are derived from each member's
dropout probability after it is drawn, so churn drivers show in the data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from retention_lib.core.schema import DIMENSIONS
from retention_lib.data.sources.demo_purchases import BGNBD, GAMMA_GAMMA, _path_frame, _seconds_of_day

# Ground truth of the surveys: each dimension's weight in a member's overall satisfaction.
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

BASE_MEMBER_SHARE = 0.6     # shoppers enrolling in the first weeks after the programme launch
BASE_ENROL_DAYS = 56
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
# The Chinese labels of the client data (simulate_store(data_language="zh-CN")): each English value as a
# Chinese community supermarket's POS, survey and CRM exports write it. Every map is one-to-one, and a
# translated comment touches the same themes (analytics.satisfaction.comments) as the English one.
COMMENTS_ZH = {
    "Not enough choice": "可选择的商品不多", "Often out of stock": "经常缺货",
    "Great range of products": "品种很丰富",
    "Prices are higher than online": "比网购价格高", "Too expensive": "东西太贵",
    "Good value for money": "买得很划算",
    "Vegetables were not fresh": "青菜不够新鲜", "Found mouldy fruit": "买到发霉的水果",
    "Always fresh produce": "果蔬每次都很新鲜",
    "Staff were rude": "服务员说话很冲", "Staff were very friendly": "员工服务很周到",
    "Store was messy": "货架摆得很乱", "Clean and tidy store": "店里卫生很好",
    "Checkout queue too long": "结账要排很久的队", "Quick checkout": "买单很快",
    "Refund took too long": "退款等了很久", "Easy returns": "退换很省心",
    "OK overall": "总体还可以", "Convenient location": "位置很方便",
}
CHANNELS_ZH = {"wechat": "微信", "sms": "短信", "in-store": "店内扫码", "app": "小程序"}
COMPLAINT_CATEGORIES_ZH = {
    "freshness": "商品不新鲜", "product quality": "商品质量", "checkout wait": "结账排队",
    "price": "价格问题", "staff": "服务态度", "refund/after-sales": "退换货售后", "environment": "购物环境",
}
CUSTOMER_LABELS_ZH = {
    "tier": {"gold": "金卡会员", "silver": "银卡会员", "standard": "普通会员"},
    "gender": {"F": "女", "M": "男"},
    "age_band": {"18-24": "18-24岁", "25-34": "25-34岁", "35-44": "35-44岁", "45-54": "45-54岁",
                 "55-64": "55-64岁", "65+": "65岁及以上"},
    "household_size": {"1": "1人", "2": "2人", "3": "3人", "4": "4人", "5+": "5人及以上"},
    "income_band": {"<5k": "5千以下", "5k-10k": "5千-1万", "10k-20k": "1万-2万", "20k+": "2万以上"},
}
WINBACK_PREFIX, FLYER_PREFIX = "WB", "HF"   # campaign ids: prefix and the month sent
CAMPAIGN_PREFIXES_ZH = {WINBACK_PREFIX: "沉睡唤醒", FLYER_PREFIX: "节日促销"}
PHONE_PREFIXES = ["138", "139", "135", "136", "137", "150", "151", "152", "158", "159",
                  "186", "187", "188", "189"]
# Stored-value cards (储值卡) and points (积分), drawn from their own generator (`_balances`) so that adding
# them changed no other column of the demo. About STORED_VALUE_SHARE of members hold a balance, the more
# frequent buyers more often and more; balances are lognormal around STORED_VALUE_MEDIAN (CNY).
BALANCE_STREAM = 24            # the side generator is np.random.default_rng([seed, BALANCE_STREAM])
STORED_VALUE_SHARE = 0.3
STORED_VALUE_MEDIAN = 180.0
STORED_VALUE_SIGMA = 0.9
POINTS_PER_YUAN = 1.0          # one point per yuan of (expected) spend to the member's last purchase


# ---------------------------------------------------------------- members

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


def _demographics(rng, members, end, store_ids, all_chinese=False):
    """Demographics and contact data; `all_chinese` gives every member the Chinese name drawn for
    them (the draws are the same either way)."""
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
        **_balances(_side_generator(rng), members),
        "name": np.where(english & ~all_chinese, en.astype(object), zh.astype(object)),
        "phone": phone.astype(object),
    })


def _side_generator(rng) -> np.random.Generator:
    """The balances' own generator, np.random.default_rng([seed, BALANCE_STREAM]) for the demo's seed (read
    from `rng`'s seed sequence, which reading does not advance): its draws leave every other column as it was."""
    seed = rng.bit_generator.seed_seq.entropy
    return np.random.default_rng([*np.atleast_1d(seed).tolist(), BALANCE_STREAM])


def _balances(side, members) -> dict[str, np.ndarray]:
    """Each member's stored-value balance (储值余额, CNY to the cent, 0 for most) and points (积分) as the member
    table is exported at the data's end. A member holds a balance with a chance rising with their purchase
    rate (STORED_VALUE_SHARE on average), lognormal and larger for more frequent buyers; members who have
    left keep theirs. Points: POINTS_PER_YUAN per yuan of the member's expected spend to their last purchase
    (purchase days × Gamma-Gamma's mean basket p / ν)."""
    n = len(members)
    lam = members.lam.to_numpy()
    rank = (stats.rankdata(lam) - 0.5) / n                          # 0..1, the most frequent buyers near 1
    holds = side.random(n) < STORED_VALUE_SHARE * 2 * (0.25 + 0.5 * rank)
    scale = STORED_VALUE_MEDIAN * np.sqrt(lam / lam.mean())
    balance = np.round(scale * np.exp(STORED_VALUE_SIGMA * side.standard_normal(n)), 2)
    stored_value = np.where(holds, np.maximum(balance, 0.01), 0.0)
    days = np.nan_to_num(np.maximum(members.final_day.to_numpy(dtype=float) - members.birth.to_numpy(), 0.0))
    spend = (1 + lam / 7 * days) * GAMMA_GAMMA["p"] / members.nu.to_numpy()
    points = np.floor(POINTS_PER_YUAN * spend)
    return {"stored_value": stored_value, "points": points}


# ---------------------------------------------------------------- surveys and complaints

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


# ---------------------------------------------------------------- campaigns and their truth

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
    campaign_id = f"{WINBACK_PREFIX}{sent_at:%Y%m}"
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
    flyer_id = f"{FLYER_PREFIX}{flyer_at:%Y%m}"
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


def contact_effect(baskets: pd.DataFrame, contacted, listed, sent_at: pd.Timestamp, window_weeks: int,
                   response: float, seed: int) -> tuple[pd.DataFrame, float]:
    """A contact with a known effect, for the product's own lists (analytics/holdouts): each `contacted`
    member comes in for it with chance `response` (an exponential wait, as the win-back coupon's,
    truncated to the window), one basket at their usual spend. Returns the baskets with those visits and
    the true effect on returning within the window, averaged over `listed` (contacted and held out):
    response × the share of them who would not have come back anyway."""
    rng = np.random.default_rng(seed)
    contacted = pd.Index(sorted(map(str, contacted)))
    ends = sent_at + pd.Timedelta(weeks=window_weeks)
    member = baskets[baskets["is_member"] & baskets["is_purchase"] & baskets["customer_id"].notna()]
    came = member[(member["timestamp"] >= sent_at) & (member["timestamp"] < ends)]["customer_id"].unique()
    truth = response * (1 - pd.Index(map(str, listed)).isin(came).mean())
    comes = contacted[rng.random(len(contacted)) < response]
    cap = (window_weeks * 7 - 1) / COUPON_WAIT_DAYS
    wait = -np.log1p(-rng.random(len(comes)) * -np.expm1(-cap)) * COUPON_WAIT_DAYS
    usual = member.groupby("customer_id")[["amount", "store_id"]].last().reindex(comes)
    visits = pd.DataFrame({
        "basket_id": [f"CONTACT{i:06d}" for i in range(len(comes))], "customer_id": comes,
        "store_id": usual["store_id"].to_numpy(),
        "timestamp": (sent_at + pd.to_timedelta(wait, unit="D")).astype("datetime64[us]").to_numpy(),
        "amount": usual["amount"].to_numpy(), "is_member": True, "is_purchase": True})
    visits["date"] = visits["timestamp"].dt.normalize()
    visits = visits.assign(gross_amount=visits["amount"], returned_amount=0.0, n_lines=1, discount=0.0,
                           coupon_discount=0.0)[list(baskets.columns)]
    return pd.concat([baskets, visits], ignore_index=True), float(truth)

