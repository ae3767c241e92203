"""Data quality names what changed, what is implausible and what is missing: months of history that
changed since the last published report (revenue then and now), customer ids holding too many
baskets for one shopper, baskets far outside their store's amounts (set aside above
settings.max_basket_amount), months without transactions (and the KPI comparisons across them), and
stored-value top-ups."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from retention_lib.analytics import kpis
from retention_lib.app.manifest import build_manifest
from retention_lib.core.config import load_config
from retention_lib.core.settings import DEFAULT_NULL_CUSTOMER_IDS
from retention_lib.data import aggregate, engine, history, quality
from retention_lib.data.prepare import prepare_run
from retention_lib.data.sources.demo import simulate_store
from retention_lib.report import text
from retention_lib.report.sections.data_quality import flag_items
from retention_lib.report.sections.kpis import _history_note

NOW = pd.Timestamp("2025-01-10")


@pytest.fixture(scope="module")
def demo_baskets():
    """The demo store's baskets (data/demo.yml: seed 2024, 5,000 members, 24 months)."""
    return aggregate.baskets_from_lines(simulate_store().tables["transactions"])


@pytest.fixture
def client(tmp_path):
    """A client's transactions file (July to December 2024), its config and a reports folder."""
    sim = simulate_store(seed=5, n_customers=150, months=6, start="2024-07-01", campaigns=False)
    (tmp_path / "files").mkdir()
    lines = sim.tables["transactions"]
    lines.to_parquet(tmp_path / "files" / "transactions.parquet", index=False)
    cfg = tmp_path / "client.yml"
    cfg.write_text("name: Client\nsource: files\ncurrency: CNY\nstore: store\n"
                   "tables:\n  transactions: {path: files/transactions.parquet}\n", encoding="utf-8")
    return load_config(cfg), lines, tmp_path / "reports"


def _publish(run, reports, month):
    """The prepared folder as the pipeline publishes it: under its month, with a manifest and the KPIs."""
    monthly = kpis.monthly_kpis(engine.run_table(run, "baskets"), 56, through=month)
    run.write("kpis_monthly", monthly, index=False)
    folder = reports / month
    run.run_dir.rename(folder)
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    return folder, monthly


def _say(messages):
    return [text.say(m) for m in messages]


def test_history_compares_the_all_stores_scope_of_the_kpis():
    assert history.ALL_STORES == kpis.TOTAL


def test_a_changed_old_month_is_named_with_its_revenue_then_and_now(client):
    cfg, lines, reports = client
    first = prepare_run(cfg, "2024-11", reports / ".tmp-1", now=NOW)
    assert first.read("data_quality")["history_changes"] is None           # nothing published before
    folder, monthly = _publish(first, reports, "2024-11")
    then = monthly[(monthly["scope"] == kpis.TOTAL) & (monthly["month"] == "2024-09")]["revenue"].iloc[0]

    # the client re-exports: September's sales twice (new basket ids), the rest as before
    september = lines[lines["timestamp"].dt.strftime("%Y-%m") == "2024-09"]
    again = pd.concat([lines, september.assign(basket_id=september["basket_id"] + "-2")], ignore_index=True)
    again.to_parquet(cfg.tables["transactions"].path, index=False)
    run = prepare_run(cfg, "2024-12", reports / ".tmp-2", now=NOW)
    changes = run.read("data_quality")["history_changes"]
    assert changes["report_month"] == "2024-11" and changes["report_folder"] == str(folder)
    [changed] = changes["months"]
    assert changed["month"] == "2024-09"
    assert changed["lines_after"] == 2 * changed["lines_before"] == 2 * len(september)
    assert changed["revenue_before"] == pytest.approx(then) and changed["revenue_after"] == pytest.approx(2 * then)

    said = _say(quality.console_messages(run.read("data_quality"), "CNY"))
    assert [s for s in said if s.startswith("Data of 2024-09 changed since the report for 2024-11")]
    shown = " ".join(h.data for h in flag_items(quality.flag_facts(run.read("data_quality"))))
    assert "The data of 1 month changed" in shown and "2024-09" in shown
    manifest = build_manifest(run, cfg, [], pd.Timestamp.now().to_pydatetime(), NOW, {})
    assert manifest["history_changes"]["months"] == [changed]

    # without the report's KPIs, the revenue then comes from the partitions it read
    (folder / "artifacts" / "kpis_monthly.parquet").unlink()
    again_run = prepare_run(cfg, "2024-12", reports / ".tmp-3", now=NOW)
    [fallback] = again_run.read("data_quality")["history_changes"]["months"]
    assert fallback["revenue_before"] == pytest.approx(then)


def test_only_an_earlier_published_month_of_the_same_config_is_compared(client):
    cfg, _, reports = client
    for month, config in (("2024-10", str(cfg.path)), ("2024-11", "/elsewhere/other.yml"),
                          ("2024-12", str(cfg.path))):
        (reports / month / "data").mkdir(parents=True)
        (reports / month / "manifest.json").write_text("{}", encoding="utf-8")
        (reports / month / "prepared.json").write_text(json.dumps({"config": config}), encoding="utf-8")
        (reports / month / "data" / "snapshot.json").write_text("{}", encoding="utf-8")
    (reports / "2024-09").mkdir()                                   # a failed run: no manifest
    found = history.latest_published(reports, str(cfg.path), pd.Period("2024-12", "M"))
    assert found == reports / "2024-10"
    assert history.reports_folder(reports / ".tmp-x") == reports.resolve()
    assert history.reports_folder(reports / "lab" / "client-2024-12") == reports.resolve()


def _with_walk_in_id(baskets: pd.DataFrame, share: float, customer_id: str = "8888") -> pd.DataFrame:
    """A till that books `share` of all baskets on one member id (Pospal's walk-in member)."""
    b = baskets.copy()
    walk_ins = b.index[~b["is_member"]][: int(share * len(b))]
    b.loc[walk_ins, ["customer_id", "is_member"]] = [customer_id, True]
    return b


def test_an_id_holding_a_sixth_of_the_baskets_is_flagged_and_the_plain_demo_is_not(demo_baskets):
    plain = quality.suspect_ids(demo_baskets, 0.02, DEFAULT_NULL_CUSTOMER_IDS)
    assert plain["ids"] == [] and "config_line" not in plain
    found = quality.suspect_ids(_with_walk_in_id(demo_baskets, 0.16), 0.02, DEFAULT_NULL_CUSTOMER_IDS)
    [suspect] = found["ids"]
    assert suspect["customer_id"] == "8888" and suspect["share"] == pytest.approx(0.16, abs=1e-4)
    assert suspect["times_p99"] > quality.SUSPECT_TIMES
    # the configured list replaces the default one: the line repeats it, then adds the id
    line = found["config_line"]
    assert line.startswith("settings: {null_customer_ids: [") and line.endswith("]}")
    listed = json.loads(line.removeprefix("settings: {null_customer_ids: ").removesuffix("}"))
    assert listed == [*DEFAULT_NULL_CUSTOMER_IDS, "8888"]
    said = _say(quality.console_messages({"suspect_ids": found}, "CNY"))
    assert said[0].startswith("Customer id 8888 holds") and line in said[1]


def test_a_heavy_regular_in_a_small_store_is_not_a_suspect():
    """Two hundred members: the heaviest holds 3% of the baskets, but only four times the others' 99th percentile."""
    rows = [{"customer_id": f"C{i:03d}", "n": 8 + (i % 7)} for i in range(200)] + [{"customer_id": "C999", "n": 60}]
    b = pd.DataFrame([{"basket_id": f"{r['customer_id']}-{k}", "customer_id": r["customer_id"], "is_member": True}
                      for r in rows for k in range(r["n"])])
    found = quality.suspect_ids(b, 0.02)
    assert found["ids"] == [] and found["p99_member_baskets"] == 14


def test_a_basket_far_above_its_stores_amounts_is_flagged(demo_baskets):
    assert quality.outlier_baskets(demo_baskets, pd.Period("2025-12", "M"))["count"] == 0
    b = demo_baskets.copy()
    at = b.index[(b["store_id"] == b["store_id"].iloc[0]) & (b["date"].dt.strftime("%Y-%m") == "2025-03")][0]
    b.loc[at, "amount"] = 250_000.0                    # a barcode keyed as the price
    found = quality.outlier_baskets(b, pd.Period("2025-12", "M"))
    assert (found["count"], found["in_month"]) == (1, 0)
    [top] = found["largest"]
    assert (top["basket_id"], top["store_id"], top["month"], top["amount"]) == (
        b.at[at, "basket_id"], b.at[at, "store_id"], "2025-03", 250_000.0)
    assert top["limit"] < 250_000.0
    shown = flag_items({"month": "2025-12", "currency": "CNY", "outlier_baskets": found})[0].data
    assert "One basket is far above its store's usual amounts" in shown and "250,000" in shown


def test_baskets_above_the_cap_are_set_aside_with_their_lines(client):
    cfg, lines, reports = client
    plain = prepare_run(cfg, "2024-12", reports / ".tmp-plain", now=NOW)
    baskets = engine.run_table(plain, "baskets").to_pandas()
    cap = float(baskets["amount"].quantile(0.999))
    above = baskets[baskets["amount"] > cap]
    run = prepare_run(cfg.with_settings(max_basket_amount=cap), "2024-12", reports / ".tmp-cap", now=NOW)
    aside = run.read("data_quality")["set_aside_baskets"]
    above_lines = lines[lines["basket_id"].isin(above["basket_id"]) & (lines["timestamp"] < "2025-01-01")]
    assert aside["count"] == len(above) > 0 and aside["lines"] == len(above_lines)
    kept = engine.run_table(run, "baskets").to_pandas()
    assert len(kept) == len(baskets) - len(above) and kept["amount"].max() <= cap
    kept_lines = engine.run_table(run, "transactions").to_pandas()
    assert not set(kept_lines["basket_id"]) & set(above["basket_id"])
    rejects = pd.read_csv(run.path("rejects"), dtype=str)
    over = rejects[rejects["rule"] == "basket_over_cap"]
    assert set(over["value"]) == set(above["basket_id"]) and len(over) == aside["lines"]   # nothing dropped silently


def test_a_month_without_transactions_is_a_gap_and_the_kpis_say_so():
    snap = {"tables": {"transactions": [{"month": m, "rows": 10} for m in ("2024-01", "2024-02", "2024-04")]
                       + [{"month": "none", "rows": 0}]}}
    assert quality.gap_months(snap, pd.Period("2024-05", "M")) == ["2024-03", "2024-05"]
    shown = flag_items({"month": "2024-05", "currency": "CNY", "gap_months": ["2024-03"]})[0].data
    assert "No transactions at all in 2024-03" in shown

    store = simulate_store(seed=2, n_customers=200, months=6, campaigns=False)
    b = aggregate.baskets_from_lines(store.tables["transactions"])
    months = b["date"].dt.to_period("M").astype(str)
    last = months.max()
    previous = str(pd.Period(last, "M") - 1)
    monthly = kpis.monthly_kpis(b[months != previous], 56)
    facts = kpis.headline(monthly, last, kpis.LapseRule(56, "parameter"))
    assert facts["no_data_months"] == [previous]
    board = kpis.board(monthly, last)
    assert board["mom_abs"].isna().all() and board["previous"].isna().all()
    note = _history_note(facts, board)
    assert note.startswith(f"No data in {previous}: the comparison with it is left out.")
    assert "no earlier month" not in note                                     # not "the data starts in ..."
    assert kpis.comparison_gaps(kpis.monthly_kpis(b, 56), last) == []


def test_top_ups_are_shown_apart_and_a_run_without_the_table_has_none(client):
    cfg, _, reports = client
    run = prepare_run(cfg, "2024-12", reports / ".tmp-t", now=NOW)
    snap = run.snapshot()
    snap["tables"].pop("topups", None)
    run.write("snapshot", snap)
    assert quality.topups(run) is None
    rows = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "basket_id": ["T1", "T2", "T3"],
                         "timestamp": pd.to_datetime(["2024-12-02", "2024-12-05", "2024-11-30"]),
                         "amount": [500.0, 200.0, 100.0], "store_id": ["S1", "S2", "S1"]})
    rows.to_parquet(run.run_dir / "topups.parquet", index=False)
    snap["tables"]["topups"] = [{"month": "all", "file": str(run.run_dir / "topups.parquet"), "rows": 3}]
    run.write("snapshot", snap)
    found = quality.topups(run)
    assert (found["topups"], found["amount"]) == (2, 700.0)
    assert [(s["store_id"], s["topups"]) for s in found["stores"]] == [("S1", 1), ("S2", 1)]
    shown = " ".join(h.data for h in flag_items({"month": "2024-12", "currency": "CNY", "topups": found}))
    assert "Stored-value top-ups in 2024-12: 2" in shown and "not counted as sales" in shown
