"""A deterministic demo supermarket with a known ground truth (DESIGN §4).

Members purchase exactly as BG/NBD says (time unit: weeks) and spend exactly as Gamma-Gamma
says, per basket, so model fits on the data can be checked against the parameters that made
it. Satisfaction, fresh-produce share and coupon use are derived from each member's dropout
probability *after* it is drawn, so churn drivers show in the data while the population stays
exactly BG/NBD. Everything is vectorised over purchases; nothing loops per basket or customer.

This module puts the store together; demo_purchases makes the purchases, baskets and lines,
demo_people the members, their surveys, complaints and campaigns. The client data are written in
English codes (stores S01, S02 …) or, with data_language="zh-CN", as a Chinese community
supermarket's exports write them (和平路店, 蔬菜水果 …): the labels are the only difference.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from retention_lib.core.schema import CATEGORIES, DATE, TABLES, TIMESTAMP
from retention_lib.data.sources.demo_people import (CAMPAIGN_PREFIXES_ZH, CHANNELS_ZH, COMMENTS, COMMENTS_ZH,
                                                    COMPLAINT_CATEGORIES_ZH, CUSTOMER_LABELS_ZH, DIMENSION_WEIGHTS,
                                                    GENERIC_COMMENTS, WINBACK_COUPON, WINBACK_LEAD_DAYS, _campaigns,
                                                    _complaints, _demographics, _members, _surveys, _winback,
                                                    _winback_truth)
from retention_lib.data.sources.demo_purchases import (BGNBD, CATEGORIES_ZH, GAMMA_GAMMA, HOME_STORE_SHARE,
                                                       SECOND_VISIT_RATE, WEEKDAY_WEIGHTS, _basket_lines, _path_frame,
                                                       _seconds_of_day, _spend)

__all__ = ["BGNBD", "COMMENTS", "DATA_LANGUAGES", "DIMENSION_WEIGHTS", "DemoStore", "GAMMA_GAMMA", "GENERIC_COMMENTS",
           "GroundTruth", "STORE_NAMES_ZH", "made_with", "simulate_store", "store_ids", "write_demo"]

# The languages the client data can be written in: "en" (store ids S01, S02 …, English categories and
# codes) or "zh-CN", a Chinese community supermarket's exports (its stores by name, Chinese categories,
# complaint categories, channels, demographics and comments). Only the labels differ: the same seed
# gives the same members, baskets, amounts and ground truth in either.
DATA_LANGUAGES = ("en", "zh-CN")
# Store names as a Chinese POS export's 门店 column writes them, largest store first. They sort as S01,
# S02 … do, so every ordering and tie broken by store id (a member's home store) is the same as in English.
STORE_NAMES_ZH = ("和平路店", "幸福里店", "建设路店", "文化路店", "新华路店", "朝阳路店", "胜利路店", "解放路店",
                  "锦绣路店", "长江路店", "青年路店", "龙湖店")


@dataclass
class GroundTruth:
    """Everything a test may compare against. Rates and alpha are per week."""

    seed: int
    start: pd.Timestamp
    end: pd.Timestamp  # last day of data, inclusive
    bgnbd: dict
    gamma_gamma: dict
    bgcnbd: dict     # the same members as BG/CNBD-k: rate of arrivals k/week x BG/NBD's, every k-th a purchase
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
            "bgnbd": self.bgnbd, "bgcnbd": self.bgcnbd, "gamma_gamma": self.gamma_gamma,
            "dimension_weights": self.dimension_weights,
            "strongest_dimension": self.strongest_dimension, "campaigns": self.campaigns,
            "customers": json.loads(customers.to_json(orient="records")),
        }


@dataclass
class DemoStore:
    tables: dict[str, pd.DataFrame]
    truth: GroundTruth


def simulate_store(seed: int = 2024, n_customers: int = 5000, start: str = "2024-01-01",
                   months: int = 24, n_stores: int = 2,
                   non_member_share: float = 0.25, dropout: bool = True,
                   campaigns: bool = True, data_language: str = "en", regularity: int = 1) -> DemoStore:
    """Simulate a community supermarket; see the module docstring and DESIGN §4.

    `dropout=False` makes a young store where no member ever leaves (every p = 0), and
    `campaigns=False` leaves out the win-back and holiday campaigns (and their table), which a
    history shorter than six months has no room for. `data_language="zh-CN"` writes the client
    data as a Chinese supermarket's exports do (DATA_LANGUAGES), with nothing else changed.
    `regularity=k` makes the times between a member's purchases Erlang-k at the same mean rate
    (BG/CNBD-k, whose parameters the truth's `bgcnbd` holds); 1 is BG/NBD's exponential timing.
    """
    if not (int(regularity) == regularity and regularity >= 1):
        raise ValueError(f"regularity must be a whole number from 1, got {regularity!r}")
    if data_language not in DATA_LANGUAGES:
        raise ValueError(f"data_language must be one of {', '.join(DATA_LANGUAGES)}, got {data_language!r}")
    chinese = data_language == "zh-CN"
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
    stores = np.array(store_ids(n_stores, data_language), dtype=object)
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
                                  "natural", "natural", int(regularity))
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
        "store_id": stores[baskets.store.to_numpy()[line_b]],
        "product_id": product_vocab[product],
        "category": np.array([CATEGORIES_ZH[c] if chinese else c for c in CATEGORIES], dtype=object)[cat],
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
        **_demographics(rng, members, end_ts, stores, all_chinese=chinese),
    })
    customers = customers[[c for c in TABLES["customers"].names if c in customers]]

    surveys = _surveys(rng, baskets, members, start_ts, n_days, stores, customer_ids)
    last_moment = end_ts + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    complaints = _complaints(rng, baskets, members, last_moment, stores, customer_ids,
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
        "home_store_id": stores[members.home.to_numpy()], "revived": members.revived,
    })
    truth = GroundTruth(
        seed=seed, start=start_ts, end=end_ts, bgnbd=dict(BGNBD), gamma_gamma=dict(GAMMA_GAMMA),
        bgcnbd={"k": int(regularity), **BGNBD, "alpha": BGNBD["alpha"] / regularity},
        dimension_weights=dict(DIMENSION_WEIGHTS),
        strongest_dimension=max(DIMENSION_WEIGHTS, key=DIMENSION_WEIGHTS.get),
        campaigns=campaign_truth, customers=truth_customers,
    )
    tables = {"transactions": transactions, "customers": customers, "surveys": surveys,
              "complaints": complaints}
    if campaign_rows is not None:
        tables["campaigns"] = campaign_rows
    if chinese:
        _in_chinese(tables, truth)
    for name, df in tables.items():  # one time resolution across tables
        for col in TABLES[name].columns:
            if col.kind in (TIMESTAMP, DATE) and col.name in df:
                df[col.name] = df[col.name].astype("datetime64[us]")
    return DemoStore(tables=tables, truth=truth)


def store_ids(n_stores: int, data_language: str = "en") -> list[str]:
    """The simulated stores' ids, largest store first: S01, S02 … or, in Chinese data, their names."""
    if data_language == "zh-CN":
        return [STORE_NAMES_ZH[i] if i < len(STORE_NAMES_ZH) else f"{i + 1}号店" for i in range(n_stores)]
    return [f"S{i:02d}" for i in range(1, n_stores + 1)]


def _in_chinese(tables: dict[str, pd.DataFrame], truth: GroundTruth) -> None:
    """Relabel the coded client data in place as a Chinese supermarket's exports write it (stores and
    categories are named so from the start): every value maps one-to-one, nothing else changes."""
    surveys, complaints, customers = tables["surveys"], tables["complaints"], tables["customers"]
    surveys["comment"] = surveys["comment"].replace(COMMENTS_ZH)
    surveys["channel"] = surveys["channel"].replace(CHANNELS_ZH)
    complaints["category"] = complaints["category"].replace(COMPLAINT_CATEGORIES_ZH)
    for column, labels in CUSTOMER_LABELS_ZH.items():
        customers[column] = customers[column].replace(labels)

    def campaign_id(cid: str) -> str:   # WB202509 -> 沉睡唤醒202509
        [prefix] = [p for p in CAMPAIGN_PREFIXES_ZH if cid.startswith(p)]
        return CAMPAIGN_PREFIXES_ZH[prefix] + cid.removeprefix(prefix)

    if "campaigns" in tables:
        ids = tables["campaigns"]["campaign_id"]
        tables["campaigns"]["campaign_id"] = ids.replace({cid: campaign_id(cid) for cid in ids.unique()})
    truth.campaigns = {campaign_id(cid): t for cid, t in truth.campaigns.items()}


def _plain(options: dict) -> dict:
    """Options as truth.json keeps them (a YAML date as its ISO text)."""
    return {str(k): v if v is None or isinstance(v, (bool, int, float, str)) else str(v)
            for k, v in sorted(options.items())}


def write_demo(directory, **kwargs) -> DemoStore:
    """Simulate a store and write <directory>/<table>.parquet plus truth.json (with the options)."""
    store = simulate_store(**kwargs)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in store.tables.items():
        df.to_parquet(out / f"{name}.parquet", index=False)
    truth = {"options": _plain(kwargs), "generator": GENERATOR, **store.truth.to_dict()}
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return store


# The simulator's version: files an older one wrote are made again (2: members' stored value and points).
GENERATOR = 2


def made_with(directory, options: dict) -> bool:
    """Whether the demo files in `directory` were written with these options (files written before
    truth.json kept its options, or with others, were not): a config's changed source_options make
    the files again rather than run on stale ones."""
    path = Path(directory) / "truth.json"
    if not path.exists():
        return False
    try:
        made = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return made.get("options") == _plain(options) and made.get("generator") == GENERATOR
