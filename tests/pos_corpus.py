"""A folder of POS-like files shaped like a Chinese community supermarket's export, with its ground truth.

`write_pos_export(folder, seed=..., ...)` writes a sales-lines file and a members file as 银豹-style
back offices export them: Chinese headers, a 行号 line-number column, sales paid in two rows (储值卡 and
现金, each item's amount split between them), double scans (the same item twice in one receipt, identical
but for 行号), stored-value top-ups (单据类型 充值: money paid in, not a sale), member id 0 for walk-ins, a
few returns (退货, negative amounts), and on request title rows above the header, a semicolon delimiter,
Excel (.xlsx, dates as Excel serial dates), full-width digits, a control character in a store name,
day-first dates. Everything is deterministic from the seed.

The returned Truth says what the files hold: revenue per month (sales and returns, top-ups excluded),
the number of lines, sale lines, receipts, members, top-ups (count and amount), and the column mapping
`retention init` should find.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# The headers of the sales-lines file ("pospal": 银豹-like names; "alt": other POS systems' names),
# by canonical column; None: a column the report does not use.
SALES_HEADERS = {
    "pospal": {"line_id": "行号", "basket_id": "销售单号", "timestamp": "销售时间", "store_id": "门店名称",
               "customer_id": "会员卡号", "product_id": "商品编码", None: ["商品名称", "单价", "收银员", "备注"],
               "category": "商品分类", "quantity": "数量", "amount": "实收金额", "discount": "优惠金额",
               "payment_method": "支付方式", "line_type": "单据类型"},
    "alt": {"line_id": "序号", "basket_id": "小票号", "timestamp": "交易时间", "store_id": "门店",
            "customer_id": "会员号", "product_id": "条码", None: ["品名", "收银员"],
            "category": "品类", "quantity": "销量", "amount": "实付金额", "discount": "折扣金额",
            "payment_method": "付款方式", "line_type": "销售类型"},
}
MEMBER_HEADERS = {"customer_id": "会员卡号", "name": "会员姓名", "phone": "手机号", "gender": "性别",
                  "birthday": "生日", "join_date": "开卡日期", "home_store_id": "所属门店",
                  "stored_value": "储值余额", "points": "积分", "tier": "会员等级"}
STORES = ("和平路店", "幸福里店", "建设街店", "光明巷店")
CATEGORIES = {"蔬菜水果": (3, 25), "肉禽蛋品": (12, 60), "粮油调味": (8, 80), "乳品饮料": (4, 30),
              "休闲零食": (3, 20), "日用百货": (5, 45), "冷冻食品": (10, 50)}
PAYMENTS = ("微信", "支付宝", "现金", "储值卡")
TOPUP_AMOUNTS = (100, 200, 300, 500, 1000)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
WALK_IN = "0"   # the member id Pospal-like exports write for a customer who is no member


@dataclass
class Truth:
    folder: Path
    sales_file: Path
    members_file: Path
    revenue_by_month: dict[str, float]   # sales and returns per month, top-ups excluded (yuan, to the cent)
    lines: int              # data rows of the sales file: sale lines, return lines and top-up rows
    sale_lines: int         # rows that are sales or returns (top-ups excluded)
    baskets: int            # receipts of sales and returns
    member_baskets: int     # of them with a member id
    members: int            # rows of the members file
    topups: int             # top-up rows
    topup_amount: float
    split_payments: int     # receipts paid in two rows per item (储值卡 and 现金)
    double_scans: int       # items scanned twice in one receipt
    walk_in_lines: int      # sale lines with member id 0
    columns: dict[str, str]          # canonical -> header of the sales file, as init should map it
    member_columns: dict[str, str]   # canonical -> header of the members file
    unused: list[str]                # headers of the sales file the report does not use
    encoding: str
    delimiter: str
    title_rows: int
    excel: bool
    timestamp_format: str | None     # what init should guess (None: year-first, no format needed)
    stores: tuple[str, ...] = field(default_factory=tuple)


def _name(rng) -> str:
    return rng.choice(list(SURNAMES)) + "".join(rng.choice(list(GIVEN), size=int(rng.integers(1, 3))))


def write_pos_export(folder: Path, *, seed: int = 24, months: int = 6, start: str = "2025-01",
                     n_members: int = 300, n_stores: int = 2, visits_per_month: float = 0.8,
                     walk_in_share: float = 0.3, encoding: str = "gbk", delimiter: str = ",",
                     title_rows: int = 0, excel: bool = False, fullwidth: bool = False,
                     control_chars: bool = False, day_first: bool = False, headers: str = "pospal",
                     split_share: float = 0.06, double_scan_share: float = 0.05,
                     topups_per_month: int = 12, return_share: float = 0.01) -> Truth:
    """Write `销售明细` (CSV, or .xlsx with excel=True) and `会员资料` into `folder`; return the truth."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    first = pd.Period(start, "M")
    period_end = (first + months).start_time
    stores = STORES[:n_stores]
    names = [s + ("\x01" if control_chars and i == 1 and not excel else "") for i, s in enumerate(stores)]
    products = []   # (code, name, category, unit price in cents)
    for k, (category, (low, high)) in enumerate(CATEGORIES.items()):
        for j in range(8):
            cents = int(rng.integers(low * 100, high * 100))
            products.append((f"69{k:02d}{j:04d}{int(rng.integers(100, 999))}", f"{category[:2]}商品{j + 1}",
                             category, cents))

    # members: id, home store, join date (some before the data), balance, points
    ids = [f"8{(seed % 90) + 10:02d}{i:05d}" for i in range(1, n_members + 1)]
    home = rng.integers(0, n_stores, size=n_members)
    join = [first.start_time - pd.Timedelta(days=int(d)) for d in rng.integers(-150, 700, size=n_members)]
    join = [min(j, period_end - pd.Timedelta(days=40)) for j in join]

    rows, truth_cents = [], {str(first + m): 0 for m in range(months)}
    counts = dict(split=0, double=0, walk_in=0, baskets=0, member_baskets=0, topups=0, topup_cents=0, sale_lines=0)
    receipt = 0

    def stamp(day: pd.Timestamp) -> pd.Timestamp:
        return day + pd.Timedelta(hours=int(rng.integers(8, 22)), minutes=int(rng.integers(0, 60)),
                                  seconds=int(rng.integers(0, 60)))

    def receipt_no(ts: pd.Timestamp, store: int, prefix: str = "") -> str:
        nonlocal receipt
        receipt += 1
        return f"{prefix}{ts:%Y%m%d}{store + 1:02d}{receipt:06d}"

    events = []   # (timestamp, store, member id or WALK_IN, kind)
    days = pd.date_range(first.start_time, period_end - pd.Timedelta(days=1), freq="D")
    for i, member in enumerate(ids):
        alive = join[i]
        visits = rng.poisson(visits_per_month * months)
        for _ in range(visits):
            day = days[int(rng.integers(0, len(days)))]
            if day < alive.normalize():
                continue
            store = home[i] if rng.random() < 0.85 else int(rng.integers(0, n_stores))
            events.append((stamp(day), int(store), member, "sale"))
    n_walk = int(len(events) * walk_in_share / (1 - walk_in_share))
    for _ in range(n_walk):
        events.append((stamp(days[int(rng.integers(0, len(days)))]), int(rng.integers(0, n_stores)), WALK_IN, "sale"))
    day_month = days.to_period("M")
    for m in range(months):
        month_days = days[day_month == first + m]
        for _ in range(topups_per_month):
            i = int(rng.integers(0, n_members))
            events.append((stamp(month_days[int(rng.integers(0, len(month_days)))]), int(home[i]), ids[i], "topup"))
    events.sort(key=lambda e: (e[0], e[1], e[2]))

    for ts, store, member, kind in events:
        month = str(ts.to_period("M"))
        if kind == "topup":
            cents = int(rng.choice(TOPUP_AMOUNTS)) * 100
            rows.append(dict(basket=receipt_no(ts, store, "CZ"), ts=ts, store=store, member=member, code="",
                             product="会员充值", category="", qty=1, price=cents, cents=cents, discount=0,
                             pay=str(rng.choice(["微信", "现金", "支付宝"])), type="充值"))
            counts["topups"] += 1
            counts["topup_cents"] += cents
            continue
        is_return = rng.random() < return_share
        basket = receipt_no(ts, store, "TH" if is_return else "")
        counts["baskets"] += 1
        counts["member_baskets"] += member != WALK_IN
        items = [products[int(k)] for k in rng.integers(0, len(products), size=1 if is_return else int(rng.integers(1, 5)))]
        split = not is_return and member != WALK_IN and rng.random() < split_share
        counts["split"] += split
        pay = "储值卡" if member != WALK_IN and rng.random() < 0.3 else str(rng.choice(PAYMENTS[:3]))
        for code, pname, category, price in items:
            qty = int(rng.integers(1, 4))
            discount = int(price * qty * 0.1) if rng.random() < 0.15 else 0
            cents = price * qty - discount
            if is_return:
                cents, discount = -cents, 0
            scans = 2 if not is_return and rng.random() < double_scan_share else 1
            counts["double"] += scans == 2
            for _ in range(scans):
                line = dict(basket=basket, ts=ts, store=store, member=member, code=code, product=pname,
                            category=category, qty=-qty if is_return else qty, price=price, discount=discount,
                            type="退货" if is_return else "销售")
                if split:   # the same item's amount split between the stored-value card and cash
                    card = int(cents * rng.uniform(0.3, 0.8))
                    rows.append(line | dict(cents=card, pay="储值卡", discount=discount))
                    rows.append(line | dict(cents=cents - card, pay="现金", discount=0))
                    counts["sale_lines"] += 2
                else:
                    rows.append(line | dict(cents=cents, pay=pay))
                    counts["sale_lines"] += 1
                counts["walk_in"] += (member == WALK_IN) * (2 if split else 1)
                truth_cents[month] += cents

    spec = SALES_HEADERS[headers]
    cashiers = ["收银员" + c for c in "甲乙丙"]
    table = {}
    for canonical, header in spec.items():
        if canonical is None:
            continue
        table[header] = []
    extra = spec[None]
    for h in extra:
        table[h] = []
    fmt = "%d/%m/%Y %H:%M" if day_first else "%Y-%m-%d %H:%M:%S"
    full_member = set()
    if fullwidth:   # some members' ids typed with full-width digits in the POS (a whole receipt at a time)
        full_member = {b for b in {r["basket"] for r in rows if r["member"] != WALK_IN} if rng.random() < 0.05}
    for n, r in enumerate(rows, start=1):
        member = r["member"]
        if r["basket"] in full_member:
            member = member.translate(FULLWIDTH)
        values = {"line_id": str(n), "basket_id": r["basket"], "timestamp": r["ts"] if excel else r["ts"].strftime(fmt),
                  "store_id": names[r["store"]], "customer_id": member, "product_id": r["code"],
                  "category": r["category"], "quantity": str(r["qty"]), "amount": f"{r['cents'] / 100:.2f}",
                  "discount": f"{r['discount'] / 100:.2f}", "payment_method": r["pay"], "line_type": r["type"]}
        for canonical, header in spec.items():
            if canonical is not None:
                table[header].append(values[canonical])
        number = int(r["basket"][-6:])   # one cashier and one remark per receipt
        others = {"商品名称": r["product"], "品名": r["product"], "单价": f"{r['price'] / 100:.2f}",
                  "收银员": cashiers[number % 3], "备注": "抹零" if number % 37 == 0 else ""}
        for h in extra:
            table[h].append(others[h])
    order = ["行号" if "行号" in table else "序号"] + [h for h in table if h not in ("行号", "序号")]

    members = pd.DataFrame({
        "会员卡号": ids, "会员姓名": [_name(rng) for _ in ids],
        "手机号": [f"1{int(rng.integers(30, 90))}{int(rng.integers(10**7, 10**8))}" for _ in ids],
        "性别": rng.choice(["男", "女"], size=n_members),
        "生日": [(pd.Timestamp("1950-01-01") + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")
                for d in rng.integers(0, 365 * 50, size=n_members)],
        "开卡日期": [j if excel else j.strftime("%d/%m/%Y" if day_first else "%Y-%m-%d") for j in join],
        "所属门店": [names[h] for h in home],
        "储值余额": [f"{int(c) / 100:.2f}" for c in rng.integers(0, 200000, size=n_members)],
        "积分": [str(int(p)) for p in rng.integers(0, 5000, size=n_members)],
        "会员等级": rng.choice(["普通会员", "银卡", "金卡"], size=n_members, p=[0.6, 0.3, 0.1]),
    })
    if fullwidth:
        members["手机号"] = [p.translate(FULLWIDTH) if k % 7 == 0 else p for k, p in enumerate(members["手机号"])]

    titles = [["销售明细报表"] + [""] * (len(order) - 1), ["导出时间：" + f"{period_end:%Y-%m-%d} 08:00:00"]][:title_rows]
    titles += [["门店：全部"]] * max(0, title_rows - 2)
    if excel:
        sales_file = folder / "销售明细.xlsx"
        members_file = folder / "会员资料.xlsx"
        with pd.ExcelWriter(sales_file) as xl:
            pd.DataFrame({h: table[h] for h in order}).to_excel(xl, sheet_name="销售明细", index=False, startrow=title_rows)
            sheet = xl.sheets["销售明细"]
            for k, title in enumerate(titles, start=1):
                sheet.cell(row=k, column=1, value=title[0])
        with pd.ExcelWriter(members_file) as xl:
            members.to_excel(xl, sheet_name="会员", index=False)
    else:
        sales_file = folder / "销售明细.csv"
        members_file = folder / "会员资料.csv"
        with open(sales_file, "w", encoding=encoding, newline="") as fh:
            out = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
            for title in titles:
                out.writerow(title)
            out.writerow(order)
            out.writerows(zip(*(table[h] for h in order)))
        members.to_csv(members_file, index=False, encoding=encoding, sep=delimiter, lineterminator="\r\n")

    columns = {c: h for c, h in spec.items() if c is not None}
    return Truth(
        folder=folder, sales_file=sales_file, members_file=members_file,
        revenue_by_month={m: round(c / 100, 2) for m, c in truth_cents.items()},
        lines=len(rows), sale_lines=counts["sale_lines"], baskets=counts["baskets"],
        member_baskets=counts["member_baskets"], members=n_members, topups=counts["topups"],
        topup_amount=round(counts["topup_cents"] / 100, 2), split_payments=counts["split"],
        double_scans=counts["double"], walk_in_lines=counts["walk_in"], columns=columns,
        member_columns=dict(MEMBER_HEADERS), unused=list(extra), encoding="excel" if excel else encoding,
        delimiter=delimiter, title_rows=title_rows, excel=excel,
        timestamp_format="%d/%m/%Y %H:%M" if day_first and not excel else None, stores=tuple(names))
