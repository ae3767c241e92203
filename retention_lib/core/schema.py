"""The canonical tables: names, types and which columns are required (DESIGN §4).

Loaders map a client's columns onto these names; everything downstream uses only them.
"""
from __future__ import annotations

from dataclasses import dataclass

# Column kinds. Identifiers are strings so leading zeros and long numeric ids survive.
ID, TEXT, TIMESTAMP, DATE, MONEY, NUMBER, INTEGER, BOOL = (
    "id", "text", "timestamp", "date", "money", "number", "integer", "bool",
)

# The seven survey dimensions (DESIGN §2), as canonical rating columns (1–5); their names are
# the messages "dimension.<column>" of retention_lib.report.text.
DIMENSIONS: tuple[str, ...] = ("dim_variety", "dim_price", "dim_freshness", "dim_staff", "dim_environment",
                               "dim_checkout", "dim_after_sales")

# Retail categories used by the demo store and the Complete Journey mapping.
CATEGORIES: tuple[str, ...] = (
    "fresh produce", "meat & seafood", "dairy & eggs", "bakery", "grains & oil",
    "snacks", "beverages", "frozen", "household goods", "personal care",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    # Numeric bounds, inclusive; None means unbounded.
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()          # must be unique (after exact-duplicate removal)
    time_columns: tuple[str, ...] = ()  # checked against the data's end
    description: str = ""

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


TRANSACTIONS = Table(
    "transactions",
    (
        Column("customer_id", ID, nullable=True),  # null = non-member basket
        Column("basket_id", ID),
        Column("timestamp", TIMESTAMP),
        Column("amount", MONEY),  # negative lines are returns
        Column("store_id", ID),
        Column("product_id", ID, required=False, nullable=True),
        Column("category", TEXT, required=False, nullable=True),
        Column("quantity", NUMBER, required=False, nullable=True),
        Column("discount", MONEY, required=False, nullable=True, low=0),
        Column("coupon_discount", MONEY, required=False, nullable=True, low=0),
        # A POS's line number (行号): with it, two identical lines of one basket are two lines (a double
        # scan) and only a repeated basket_id + line_id is a duplicate.
        Column("line_id", ID, required=False, nullable=True),
        # How the line was paid (储值卡, 现金, 微信 ...): a sale paid in two rows is two lines of one basket.
        Column("payment_method", TEXT, required=False, nullable=True),
        # What the row is (销售, 退货, 充值 ...): a stored-value top-up (settings.topup_markers) is no sale.
        Column("line_type", TEXT, required=False, nullable=True),
    ),
    time_columns=("timestamp",),
    description="One row per basket line (or per basket when the client has no lines).",
)

CUSTOMERS = Table(
    "customers",
    (
        Column("customer_id", ID),
        Column("join_date", DATE),
        Column("tier", TEXT, required=False, nullable=True),
        Column("birthday", DATE, required=False, nullable=True),
        Column("age_band", TEXT, required=False, nullable=True),
        Column("gender", TEXT, required=False, nullable=True),
        Column("household_size", TEXT, required=False, nullable=True),
        Column("income_band", TEXT, required=False, nullable=True),
        Column("marketing_consent", BOOL, required=False, nullable=True),
        Column("home_store_id", ID, required=False, nullable=True),
        # The member's stored-value balance (储值余额) and points (积分) when the table was exported.
        Column("stored_value", MONEY, required=False, nullable=True),
        Column("points", NUMBER, required=False, nullable=True),
        # Personal data: kept for the consultant's action lists, never emailed.
        Column("name", TEXT, required=False, nullable=True),
        Column("phone", TEXT, required=False, nullable=True),
    ),
    key=("customer_id",),
    time_columns=("join_date",),
)

SURVEYS = Table(
    "surveys",
    (
        Column("response_id", ID),
        Column("submitted_at", TIMESTAMP),
        Column("nps", INTEGER, low=0, high=10),
        Column("csat", INTEGER, low=1, high=5),
        *(Column(d, INTEGER, nullable=True, low=1, high=5) for d in DIMENSIONS),
        Column("comment", TEXT, nullable=True),
        Column("channel", TEXT, nullable=True),
        Column("ces", INTEGER, required=False, nullable=True, low=1, high=7),
        Column("customer_id", ID, required=False, nullable=True),
        Column("store_id", ID, required=False, nullable=True),
    ),
    key=("response_id",),
    time_columns=("submitted_at",),
)

COMPLAINTS = Table(
    "complaints",
    (
        Column("complaint_id", ID),
        Column("opened_at", TIMESTAMP),
        Column("closed_at", TIMESTAMP, nullable=True),  # null while open
        Column("category", TEXT),
        Column("resolved", BOOL),
        Column("customer_id", ID, required=False, nullable=True),
        Column("store_id", ID, required=False, nullable=True),
    ),
    key=("complaint_id",),
    time_columns=("opened_at", "closed_at"),
)

CAMPAIGNS = Table(
    "campaigns",
    (
        Column("campaign_id", ID),
        Column("customer_id", ID),
        Column("group", TEXT, choices=("treatment", "control")),
        Column("sent_at", TIMESTAMP),
        Column("type", TEXT),
        Column("redeemed_at", TIMESTAMP, required=False, nullable=True),
    ),
    key=("campaign_id", "customer_id"),
    time_columns=("sent_at", "redeemed_at"),
)

# A source that fills a canonical column it does not have (the Complete Journey's join dates are
# each household's first purchase) declares it as {"table.column": what stands in}. The run's
# Parquet tables carry their own part in DataFrame.attrs[SUBSTITUTED] = {column: what stands in},
# so every stage that reads a table sees it; a substituted field is never a finding.
SUBSTITUTED = "substituted"


def substituted(frame) -> dict[str, str]:
    """The columns of a table that its source filled from something else (none for None)."""
    return dict(frame.attrs.get(SUBSTITUTED, {})) if frame is not None else {}


TABLES: dict[str, Table] = {
    t.name: t for t in (TRANSACTIONS, CUSTOMERS, SURVEYS, COMPLAINTS, CAMPAIGNS)
}
# Only transactions are indispensable; the report says plainly when others are absent.
REQUIRED_TABLES = ("transactions",)
PERSONAL_COLUMNS = ("name", "phone")


# The time column that decides which month a row belongs to (the data store's partitions, a month's cut).
NO_MONTH = "none"   # the partition of rows without a time (a member without a join date)
TIME_COLUMN = {"transactions": "timestamp", "customers": "join_date", "surveys": "submitted_at",
               "complaints": "opened_at", "campaigns": "sent_at", "baskets": "timestamp"}
