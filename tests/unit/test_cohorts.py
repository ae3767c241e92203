"""Cohorts: the first month of data by first purchase is every existing customer, flagged as such
in the table, the matrix and the heatmap; substituted join dates are not join dates."""
import pandas as pd
import pytest

from retention_lib.analytics import cohorts
from retention_lib.core.schema import SUBSTITUTED
from retention_lib.report import charts


def baskets(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    out["timestamp"] = pd.to_datetime(out.pop("day")) + pd.Timedelta(hours=10)
    out["date"] = out["timestamp"].dt.normalize()
    out["store_id"], out["basket_id"] = "S1", [f"B{i}" for i in range(len(out))]
    out["is_member"], out["is_purchase"] = True, out["amount"] > 0
    return out


# A, B and C shopped before the data (joined 2022-2023) and first appear in January; D joins and
# first buys in February; E joins in March.
STORE = baskets([("A", "2024-01-03", 10), ("B", "2024-01-09", 10), ("C", "2024-01-20", 10), ("A", "2024-02-02", 10),
                 ("D", "2024-02-11", 10), ("B", "2024-03-05", 10), ("D", "2024-03-06", 10), ("E", "2024-03-15", 10)])
JOINS = pd.DataFrame({"customer_id": list("ABCDE"),
                      "join_date": pd.to_datetime(["2022-05-01", "2023-02-01", "2023-11-30", "2024-02-11",
                                                   "2024-03-15"])})
END = pd.Timestamp("2024-04-01")


def first_purchase_month_sizes() -> pd.Series:
    return STORE.groupby("customer_id")["date"].min().dt.strftime("%Y-%m").value_counts().sort_index()


def test_by_first_purchase_the_first_month_of_data_is_flagged_existing_customers():
    c, basis = cohorts.cohort_retention(STORE, END)
    assert basis == "first_purchase"
    data_start = f"{STORE['date'].min():%Y-%m}"
    flagged = c.loc[c["existing_customers"], "cohort"].unique().tolist()
    assert flagged == [data_start]
    sizes = c.drop_duplicates("cohort").set_index("cohort")["cohort_size"]
    assert sizes.to_dict() == first_purchase_month_sizes().to_dict()     # January: A, B, C, who all joined earlier
    m = cohorts.cohort_matrix(c, "2024-03")
    assert [e for _, _, e in m.index] == [cohort == data_start for cohort, _, _ in m.index]
    labels = charts.cohorts.row_labels(m)
    assert [("existing customers" in lab) for lab in labels] == [cohort == data_start for cohort, _, _ in m.index]
    assert all(f"n={n:,}" in lab for lab, (_, n, _) in zip(labels, m.index))


def test_by_real_join_dates_no_cohort_is_flagged():
    c, basis = cohorts.cohort_retention(STORE, END, JOINS)
    assert basis == "join"
    assert not c["existing_customers"].any()
    assert sorted(c["cohort"].unique()) == ["2024-02", "2024-03"]      # A, B, C joined before the data: left out


@pytest.mark.parametrize("by", ["auto", "join"])
def test_substituted_join_dates_give_cohorts_by_first_purchase(by):
    filled = STORE.groupby("customer_id", as_index=False)["date"].min().rename(columns={"date": "join_date"})
    filled.attrs[SUBSTITUTED] = {"join_date": "first_purchase"}
    c, basis = cohorts.cohort_retention(STORE, END, filled, by)
    assert basis == "first_purchase"
    assert c.loc[c["existing_customers"], "cohort"].unique().tolist() == ["2024-01"]


def test_the_heatmap_labels_the_first_cohort(tmp_path):
    import matplotlib.pyplot as plt

    c, basis = cohorts.cohort_retention(STORE, END)
    fig = charts.cohort_heatmap(cohorts.cohort_matrix(c, "2024-03"), "2024-03", basis)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    plt.close(fig)
    assert ticks[0].startswith("2024-01") and "existing customers" in ticks[0]
    assert not any("existing" in t for t in ticks[1:])
