"""The demo store's purchases: BG/NBD purchase days, Gamma-Gamma baskets and their lines.

Part of the simulated demo store (demo.simulate_store); the ground-truth parameters of
purchasing and spending live here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from retention_lib.core.schema import CATEGORIES

# Ground-truth parameters. BG/NBD in weeks: mean rate r/alpha ≈ 0.9 visits a week;
# mean dropout a/(a+b) ≈ 3.2% per repeat purchase, so about half the members are still
# alive at the end of two years. These values let BG/NBD recover all four parameters
# within 10% at 20,000 members (at 5,000, a and b have standard errors of 5–8%).
BGNBD = {"r": 2.0, "alpha": 2.2, "a": 0.5, "b": 15.0}
# Mean basket p*gamma/(q-1) = ¥112.5; basket CV 1/sqrt(p) ≈ 0.63 within a customer.
GAMMA_GAMMA = {"p": 2.5, "q": 5.0, "gamma": 180.0}

# The Chinese POS name of each simulated category (simulate_store(data_language="zh-CN")), one-to-one.
CATEGORIES_ZH = {
    "fresh produce": "蔬菜水果", "meat & seafood": "肉禽水产", "dairy & eggs": "乳品蛋类", "bakery": "烘焙面包",
    "grains & oil": "粮油调味", "snacks": "休闲零食", "beverages": "酒水饮料", "frozen": "冷冻食品",
    "household goods": "日用百货", "personal care": "日化用品",
}

OPEN_HOUR = 7  # opening hours 07:00–22:00
HOUR_WEIGHTS = np.array([3, 5, 6, 6, 5, 4, 4, 4, 4, 5, 7, 8, 7, 5, 3], float)  # 07h … 21h
# Relative busyness Monday … Sunday. Purchases run on a clock where busy days last longer;
# it averages 1 over a week, so weekly counts keep their BG/NBD distribution.
WEEKDAY_WEIGHTS = np.array([0.9, 0.88, 0.9, 0.95, 1.07, 1.18, 1.12])
HOME_STORE_SHARE = 0.9
SECOND_VISIT_RATE = 0.03    # purchase days with a second basket
RETURN_RATE = 0.02
PRODUCTS_PER_CATEGORY = 300


def _bgnbd_paths(rng, birth, rate, p, clock_end, k: int = 1):
    """Purchase times under BG/NBD (BG/CNBD-k with k > 1) for customers whose first purchase is at `birth`.

    While alive, purchases arrive as a Poisson process with `rate`; after each repeat
    purchase the customer drops out with probability p. The birth purchase carries no dropout
    chance: that is BG/NBD as fitted by lifetimes (P(x=0) = exp(-λT)); dropping out at birth
    too would be MBG/NBD. Given m arrivals before the end their times are sorted uniforms, so
    no loop over purchases is needed. With regularity k the arrivals come k times as often and
    every k-th is a purchase: Erlang-k times between purchases at the same mean `rate`.
    Returns the events (owner, time, sequence number with 0 = birth), sorted by owner then time,
    and per customer whether the dropout purchase falls before the end.
    """
    n = len(birth)
    # repeat purchases up to and including the one before leaving; p = 0: never leaves
    lives = np.where(p > 0, rng.geometric(np.where(p > 0, p, 1.0)), np.iinfo(np.int64).max // 4)
    span = clock_end - birth
    arrivals = rng.poisson(k * rate * span)
    owner = np.repeat(np.arange(n), arrivals)
    u = rng.random(len(owner))
    u = u[np.lexsort((u, owner))]
    seq = np.arange(len(u)) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals) + 1
    if k > 1:   # the k-th, 2k-th, ... arrivals are the purchases
        every = seq % k == 0
        owner, u, seq = owner[every], u[every], seq[every] // k
    m = arrivals // k
    dropped = lives <= m
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


def _path_frame(rng, m_idx, birth, rate, p, cum_clock, n_days, first_kind, repeat_kind, k: int = 1):
    """BG/NBD (BG/CNBD-k) paths as a frame of purchase days (owner, day, kind), and who dropped out."""
    owner, tau, seq, dropped = _bgnbd_paths(rng, birth, rate, p, cum_clock[-1], k)
    day = _purchase_days(tau, owner, seq, cum_clock)
    keep = day < n_days
    ev = pd.DataFrame({"owner": m_idx[owner[keep]], "day": day[keep],
                       "kind": np.where(seq[keep] == 0, first_kind, repeat_kind)})
    # A dropout purchase pushed past the end by a collision never happened: still alive.
    n_kept = np.bincount(owner[keep], minlength=len(birth))
    n_made = np.bincount(owner, minlength=len(birth))
    return ev, dropped & (n_kept == n_made)


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
