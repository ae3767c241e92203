"""`retention init`'s names: the column names a POS export uses for each canonical column (SYNONYMS), the
field names POS systems document (PRESETS, with their sources), and matching a file's names onto ours."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Client column names by canonical column, most likely first. Matched after normalise(): exactly, then
# (Chinese names only) as a part of a longer name, the longest such part first (商品实收金额 ⊃ 实收金额).
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "transactions": {
        "customer_id": ("会员号", "会员卡号", "会员编号", "卡号", "会员ID", "会员卡", "顾客编号", "客户编号", "VIP卡号",
                        "member_id", "member_no", "card_no", "customer_id", "customer_no", "vip_no"),
        "basket_id": ("单号", "小票号", "流水号", "销售单号", "订单号", "单据号", "小票编号", "销售单据号", "交易流水号",
                      "交易单号", "交易号", "订单编号", "单据编号", "收银单号", "票号", "basket_id", "receipt_no",
                      "receipt_id", "receipt", "order_id", "order_no", "ticket_no", "ticket_id", "transaction_id"),
        "timestamp": ("销售时间", "交易时间", "下单时间", "成交时间", "结账时间", "收银时间", "消费时间", "单据时间",
                      "时间", "销售日期", "交易日期", "成交日期", "业务日期", "日期", "timestamp", "datetime",
                      "date_time", "sale_time", "transaction_time", "order_time", "time", "date"),
        "amount": ("实收金额", "实付金额", "金额", "销售金额", "小计", "成交金额", "实收", "实销金额", "销售额", "消费金额",
                   "应收金额", "amount", "sales", "sale_amount", "sales_amount", "line_total", "net_amount", "total"),
        "store_id": ("门店", "门店名称", "门店编号", "店铺", "机构", "门店代码", "门店编码", "店名", "分店", "店铺名称",
                     "机构名称", "机构编码", "store", "store_id", "store_name", "shop", "shop_id", "branch"),
        "category": ("品类", "分类", "商品分类", "类别", "商品类别", "大类", "品类名称", "分类名称", "类别名称", "一级分类",
                     "category", "category_name"),
        "product_id": ("商品编码", "条码", "商品条码", "商品名称", "商品编号", "货号", "商品ID", "品名", "sku", "barcode",
                       "product_id", "item_id", "product_code", "product"),
        "quantity": ("数量", "销量", "销售数量", "qty", "quantity"),
        "discount": ("优惠金额", "折扣金额", "优惠", "折扣额", "让利金额", "discount", "discount_amount"),
        "coupon_discount": ("券优惠", "优惠券金额", "优惠券抵扣", "coupon", "coupon_discount"),
        "line_id": ("行号", "序号", "明细行号", "明细序号", "行ID", "line_no", "line_id", "line_number"),
        "payment_method": ("支付方式", "付款方式", "结算方式", "收款方式", "支付类型", "payment", "payment_method",
                           "pay_method", "tender"),
        "line_type": ("单据类型", "销售类型", "类型", "交易类型", "业务类型", "单据类别", "line_type", "type",
                      "ticket_type", "transaction_type"),
    },
    "customers": {
        "customer_id": ("会员号", "会员卡号", "会员编号", "卡号", "会员ID", "会员卡", "顾客编号", "客户编号", "VIP卡号",
                        "member_id", "member_no", "card_no", "customer_id", "customer_no", "vip_no"),
        "join_date": ("入会日期", "开卡日期", "注册时间", "注册日期", "入会时间", "开卡时间", "办卡日期", "办卡时间",
                      "建档日期", "创建时间", "join_date", "signup_date", "registered", "created"),
        "tier": ("会员等级", "等级", "会员级别", "卡类型", "会员类型", "卡级别", "tier", "level"),
        "name": ("姓名", "会员姓名", "会员名称", "客户姓名", "顾客姓名", "name", "member_name"),
        "phone": ("手机号", "手机", "电话", "手机号码", "联系电话", "电话号码", "phone", "mobile"),
        "birthday": ("生日", "出生日期", "birthday", "birth_date", "date_of_birth"),
        "gender": ("性别", "gender", "sex"),
        "stored_value": ("储值余额", "余额", "卡余额", "储值", "账户余额", "会员余额", "stored_value", "balance"),
        "points": ("积分", "当前积分", "可用积分", "剩余积分", "points", "point"),
        "marketing_consent": ("同意营销", "接收营销", "营销许可", "是否接收营销", "marketing_consent", "consent"),
        "home_store_id": ("所属门店", "开卡门店", "注册门店", "归属门店", "门店", "home_store", "home_store_id"),
        "age_band": ("年龄段", "age_band"),
    },
}
# Parts that make a longer name something else (优惠金额 is no amount; 会员姓名 no member id).
NOT_PART_OF = {"amount": ("优惠", "折扣", "单价", "余额", "成本", "利润", "毛利", "税", "找零", "进价", "原价", "应付"),
               "customer_id": ("姓名", "名称", "等级", "类型", "电话", "手机", "余额", "积分", "门店"),
               "store_id": ("所属", "开卡", "注册", "归属"), "timestamp": ("入会", "开卡", "注册", "生日", "导出", "打印"),
               "basket_id": ("原单", "退货单", "关联"), "category": ("支付", "单据", "会员")}
# What each canonical column is, in the config's comments.
MEANING = {"customer_id": "the member id", "basket_id": "the receipt number", "timestamp": "the time of the sale",
           "amount": "the amount paid for the line", "store_id": "the store", "category": "the product category",
           "product_id": "the product", "quantity": "the quantity", "discount": "the discount (money)",
           "coupon_discount": "the coupon discount (money)", "line_id": "the POS line number",
           "payment_method": "how the line was paid", "line_type": "what the row is (sale, return, top-up)",
           "join_date": "the day the member joined", "tier": "the member's tier", "name": "the member's name",
           "phone": "the member's phone", "birthday": "the birthday", "gender": "the gender",
           "stored_value": "the stored-value balance", "points": "the points balance",
           "marketing_consent": "consent to marketing", "home_store_id": "the member's home store",
           "age_band": "the age band"}


@dataclass(frozen=True)
class Preset:
    """Field names a POS system documents publicly, with the source; they are tried before the synonyms."""
    name: str
    source: str
    tables: dict[str, dict[str, tuple[str, ...]]]
    missing_notes: dict[str, dict[str, str]] = field(default_factory=dict)   # what to say when a column is absent


# Pospal (银豹) documents the fields of its Open API, not the columns of its back-office Excel exports (none
# found published): sales tickets at https://pospal.cn/openplatform/ticketapi.html (sn 单据序列号, datetime
# yyyy-MM-dd HH:mm:ss, customerUid "为0表示收银时没选择会员", ticketType SELL / SELL_RETURN, items[] with
# productUid, quantity and totalAmount, payments[] with code), members at
# https://pospal.cn/openplatform/customerapi.html (customerUid, number 会员号, name, phone, birthday,
# createdDate, point, balance, categoryName, extInfo.sex). A file written from the API one row per item
# (pandas.json_normalize on items, the ticket's fields beside them) has these names; items.* as written so.
PRESETS = (
    Preset("Pospal Open API (银豹开放平台)", "https://pospal.cn/openplatform/ticketapi.html, customerapi.html", {
        "transactions": {"basket_id": ("sn",), "timestamp": ("datetime",), "customer_id": ("customerUid",),
                         "line_type": ("ticketType",), "product_id": ("productUid", "items.productUid"),
                         "quantity": ("quantity", "items.quantity"),
                         "amount": ("items.totalAmount", "totalAmount"), "payment_method": ("payments.code", "code")},
        "customers": {"customer_id": ("customerUid",), "join_date": ("createdDate",), "name": ("name",),
                      "phone": ("phone",), "birthday": ("birthday",), "points": ("point",),
                      "stored_value": ("balance",), "tier": ("categoryName",), "gender": ("extInfo.sex",)},
    }, {"transactions": {"store_id": "the Open API answers for one store account (appId) at a time, so its tickets "
                                     "carry no store: add a column with the store to the file"}}),
)
PRESET_MIN_FIELDS = 3   # a file is taken for a preset's when this many of its names are the preset's
CJK = re.compile(r"[\u3400-\u9fff]")


def normalise(name) -> str:
    """A column name for matching: full-width to half-width (NFKC), lower case, no spaces, separators or
    trailing unit in brackets ('实收金额（元）' and '实收 金额' both read '实收金额')."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    text = re.sub(r"[(\[【][^()\[\]【】]*[)\]】]\s*$", "", text)
    return re.sub(r"[\s_\-.·:*#]+", "", text)


@dataclass
class Column:
    """One guessed mapping: the client's column for a canonical column, and why."""
    canonical: str
    column: str
    why: str
    alternatives: list[str] = field(default_factory=list)


def preset_of(columns: list[str]) -> Preset | None:
    names = set(columns)
    for preset in PRESETS:
        fields = {n for table in preset.tables.values() for names_ in table.values() for n in names_}
        if len(names & fields) >= PRESET_MIN_FIELDS:
            return preset
    return None


def match_columns(columns: list[str], table: str, preset: Preset | None = None) -> dict[str, Column]:
    """The client column for each canonical column of `table` whose name is recognised."""
    synonyms = SYNONYMS[table]
    norm = {c: normalise(c) for c in columns}
    found: dict[str, Column] = {}
    used: set[str] = set()
    candidates: dict[str, list[str]] = {name: [] for name in synonyms}
    if preset is not None:   # a documented POS's field names, as written
        for canonical, names in preset.tables.get(table, {}).items():
            hit = next((n for n in names if n in columns and n not in used), None)
            if hit is not None and canonical not in found:
                found[canonical] = Column(canonical, hit, f"a {preset.name} field name")
                used.add(hit)
    exact = {}
    for canonical, names in synonyms.items():
        for rank, name in enumerate(names):
            for column in columns:
                if norm[column] == normalise(name):
                    exact.setdefault(column, []).append((rank, canonical))
                    candidates[canonical].append(column)
    # each column to the canonical for which it is the most likely name; each canonical its best column
    for canonical, names in synonyms.items():
        if canonical in found:
            continue
        ranked = sorted((min(r for r, c in exact[col] if c == canonical), col) for col in candidates[canonical]
                        if col not in used and min(exact[col])[1] == canonical)
        if ranked:
            column = ranked[0][1]
            found[canonical] = Column(canonical, column, "guessed from the column name",
                                      [c for _, c in ranked[1:]])
            used.add(column)
    # then a Chinese name inside a longer one, the longest part first
    parts = []
    for canonical, names in synonyms.items():
        for name in names:
            key = normalise(name)
            if not CJK.search(key) or len(key) < 2:
                continue
            for column in columns:
                if key in norm[column] and key != norm[column] and not any(
                        bad in norm[column] for bad in NOT_PART_OF.get(canonical, ())):
                    parts.append((-len(key), columns.index(column), canonical, column, name))
    for _, _, canonical, column, name in sorted(parts):
        if canonical in found or column in used or column in exact:
            continue
        found[canonical] = Column(canonical, column, f"guessed: the name contains {name}")
        used.add(column)
    for canonical, col in found.items():   # other columns that could have been it
        col.alternatives = [c for c in dict.fromkeys(col.alternatives + candidates.get(canonical, []))
                            if c != col.column and c not in used]
    return {c: found[c] for c in synonyms if c in found}
