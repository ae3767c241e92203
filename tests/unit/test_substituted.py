"""A field the source filled from something else (the Complete Journey's join date is the first
purchase) is marked in the run's tables and data-quality facts, and is never a driver or a finding."""
import numpy as np
import pandas as pd
import pytest

from retention_lib.analytics import cohorts, kpis, lapse_drivers
from retention_lib.core.config import load_config
from retention_lib.core.run import Run
from retention_lib.core.schema import SUBSTITUTED, substituted
from retention_lib.data import prepare, quality
from retention_lib.data.prepare import open_run
from retention_lib.report import text
from retention_lib.report.findings import key_findings

END = pd.Timestamp("2024-04-01")
TENURE = text.feature_label("tenure_months", "feature_inline")


def store(n: int = 40):
    """n lapsed members (bought in January and February, joined around December 2023) and n retained
    ones (bought in January and late March, joined around 2020), with the same spend: their join
    dates differ by years, and the lapsed are more often 65+."""
    rows, joins = [], []
    for i in range(n):
        rows += [(f"L{i}", "2024-01-10", 50 + i), (f"L{i}", "2024-02-01", 50)]
        rows += [(f"R{i}", "2024-01-12", 50 + i), (f"R{i}", "2024-03-25", 50)]
        joins += [(f"L{i}", pd.Timestamp("2023-12-01") - pd.Timedelta(days=i), ["25-34", "65+"][i % 2]),
                  (f"R{i}", pd.Timestamp("2020-06-01") - pd.Timedelta(days=9 * i), ["25-34", "65+"][i < n // 4])]
    b = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    b["timestamp"] = pd.to_datetime(b.pop("day")) + pd.Timedelta(hours=11)
    b["date"], b["store_id"] = b["timestamp"].dt.normalize(), "S1"
    b["basket_id"] = [f"B{i}" for i in range(len(b))]
    b["gross_amount"], b["discount"], b["coupon_discount"] = b["amount"], 0.0, 0.0
    b["is_member"], b["is_purchase"] = True, True
    customers = pd.DataFrame(joins, columns=["customer_id", "join_date", "age_band"])
    customers["join_date"] = pd.to_datetime(customers["join_date"])
    return b, customers


def findings_of(tmp_path, result) -> list[str]:
    cfg = tmp_path / "c.yml"
    cfg.write_text("tables: {transactions: {path: t.csv}}\n", encoding="utf-8")
    run = Run(load_config(cfg), pd.Period("2024-03", "M"), tmp_path)
    lapse_drivers.save(run, result)
    return key_findings(tmp_path, "CNY")


def test_real_join_dates_make_tenure_the_top_driver(tmp_path):
    """The control: on real join dates this store's lapsed members differ most in tenure."""
    b, customers = store()
    result = lapse_drivers.drivers(b, END, 30, customers=customers)
    assert result.groups.lapsed.sum() == 40 and (~result.groups.lapsed).sum() == 40
    assert result.headline()[0]["feature"] == "tenure_months"
    assert "age_band" in set(result.categorical["variable"])
    assert any(TENURE in f for f in findings_of(tmp_path, result))


def test_a_substituted_field_is_never_a_driver_or_a_finding(tmp_path):
    b, customers = store()
    customers.attrs[SUBSTITUTED] = {"join_date": "first_purchase", "age_band": "a guess"}
    result = lapse_drivers.drivers(b, END, 30, customers=customers)
    assert "tenure_months" not in set(result.numeric["feature"])
    assert "age_band" not in set(result.categorical["variable"])
    assert [text.say(n) for n in result.notes if n.key.startswith("drivers.no_tenure")] == \
        [text.say("drivers.no_tenure.substituted")]
    assert all(h["feature"] != "tenure_months" for h in result.headline())
    assert not any(TENURE in f for f in findings_of(tmp_path, result))


def test_tenure_comes_only_from_real_join_dates():
    b, customers = store()
    customers.loc[customers["customer_id"].isin(["L0", "L1", "R0"]), "join_date"] = pd.NaT
    n = lapse_drivers.drivers(b, END, 30, customers=customers).numeric.set_index("feature").loc["tenure_months"]
    assert (n["n_lapsed"], n["n_retained"], n["of_lapsed"], n["of_retained"]) == (38, 39, 40, 40)
    none = lapse_drivers.drivers(b, END, 30)        # no customers table: no tenure, and a note says why
    assert "tenure_months" not in set(none.numeric["feature"])
    assert any(m.key == "drivers.no_tenure" for m in none.notes)


def test_prepare_marks_the_substituted_fields_in_the_tables_and_the_facts(small_config, tmp_path, monkeypatch):
    monkeypatch.setattr(prepare, "substituted_fields", lambda cfg: {"customers.join_date": "first_purchase"})
    run = open_run(small_config, "2024-12", tmp_path / "run")
    assert substituted(run.table("customers")) == {"join_date": "first_purchase"}
    assert substituted(run.table("transactions")) == {}
    assert run.read("data_quality")["substituted"] == {"customers.join_date": "first_purchase"}
    notes = [text.render(m) for m in quality.facts(run)["substituted"]]
    assert notes == [text.say("dq.substituted.customers.join_date")] and "no join dates" in notes[0]
    lapse = kpis.lapse_rule(run)
    result = lapse_drivers.for_month(run, lapse.days)
    assert "tenure_months" not in set(result.numeric["feature"])
    assert cohorts.cohort_retention(run.table("baskets"), run.end, run.table("customers"), "join")[1] == \
        "first_purchase"


@pytest.mark.slow
def test_the_complete_journey_join_date_is_marked_and_never_a_driver(tmp_path_factory):
    from retention_lib.data.sources import completejourney

    run = open_run("data/completejourney.yml", "2017-06", tmp_path_factory.mktemp("cj"))
    assert completejourney.SUBSTITUTED == {"customers.join_date": "first_purchase"}
    assert run.read("data_quality")["substituted"] == completejourney.SUBSTITUTED
    customers, baskets = run.table("customers"), run.table("baskets")
    assert substituted(customers) == {"join_date": "first_purchase"}
    # what the mark says is true of the data: the join date is the first day the household shows up
    first = baskets[baskets["is_member"]].groupby("customer_id")["date"].min()
    joined = customers.set_index("customer_id")["join_date"].reindex(first.index)
    assert (pd.to_datetime(joined).dt.normalize() <= first).all()
    assert (pd.to_datetime(joined).dt.normalize() == first).mean() > 0.95
    lapse = kpis.lapse_rule(run)
    result = lapse_drivers.for_month(run, lapse.days)
    assert "tenure_months" not in set(result.numeric["feature"])
    assert any(m.key == "drivers.no_tenure.substituted" for m in result.notes)
    lapse_drivers.save(run, result)
    assert all(h["feature"] != "tenure_months" for h in run.read("drivers")["headline"])
    assert not any(TENURE in f for f in key_findings(run.run_dir, "USD"))
    by, basis = cohorts.cohort_retention(baskets, run.end, customers, "join")
    assert basis == "first_purchase"
    assert by.loc[by["existing_customers"], "cohort"].unique().tolist() == ["2017-01"]
