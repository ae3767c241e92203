"""Every month delivers: the stage contract, honest degradation, deterministic artifacts, safe runs.

End to end through `retention run`, on stores the simulator builds for each condition: a young
store where nobody has lapsed, one month of data, a POS export with only the required columns,
and a client-like GBK export with Chinese headers, faults and hostile text.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest

from conftest import retention_cli, write_demo_config
from retention_lib.core import stages
from retention_lib.core.config import load_config
from retention_lib.app.pipeline import _mark_leftovers
from retention_lib.data.sources.demo import simulate_store
from retention_lib.data.sources import ensure_source_files
from retention_lib.report import text

ROOT = Path(__file__).resolve().parents[2]
QUIET_ENV = {k: v for k, v in os.environ.items() if not k.startswith("RETENTION_")}


retention = retention_cli


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def unavailable(folder: Path) -> dict[str, str]:
    return {p: r for s in manifest(folder)["stages"] for p, r in s["unavailable"].items()}


def files_config(directory: Path, name: str, tables: dict[str, dict], settings: dict | None = None) -> Path:
    lines = [f"name: {name}", "source: files", "currency: CNY", "tables:"]
    for table, spec in tables.items():
        lines.append(f"  {table}:")
        for key, value in spec.items():
            if isinstance(value, dict):
                lines.append(f"    {key}:")
                lines += [f"      {k}: {v}" for k, v in value.items()]
            else:
                lines.append(f"    {key}: {json.dumps(value, ensure_ascii=False)}")
    if settings:
        lines.append("settings:")
        lines += [f"  {k}: {json.dumps(v)}" for k, v in settings.items()]
    path = directory / f"{name.split()[0].lower()}.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- the published month and its manifest

def test_manifest_lists_every_stage_and_artifact_with_its_hash(published):
    reports, proc = published
    folder = reports / "2025-02"
    m = manifest(folder)
    assert m["month"] == "2025-02" and m["status"] == "ok"
    assert m["config"]["path"].endswith("small.yml") and m["data_source"]["source"] == "demo"
    assert [s["name"] for s in m["stages"]] == [s.name for s in stages.STAGES]
    assert all(s["status"] == "ok" for s in m["stages"])
    listed = {a["path"]: a for a in m["artifacts"]}
    snapshot = m["data_snapshot"]
    for spec in stages.ARTIFACTS.values():
        if spec.stored:   # the validated tables: partitions of the data store, each with its sha256
            parts = [p for p in snapshot["partitions"] if p["table"] == spec.key]
            assert parts and all(p["month"] <= "2025-02" or p["month"] == "none" for p in parts), spec.key
            for p in parts:
                assert hashlib.sha256((Path(snapshot["store"]) / p["file"]).read_bytes()).hexdigest() == p["sha256"]
        elif spec.required and spec.key not in ("manifest", "run_log", "status", "prepared"):
            assert spec.path in listed, f"{spec.path} missing from the manifest"
    assert not list(folder.rglob("*.parquet")) or all("artifacts" in str(p) for p in folder.rglob("*.parquet"))
    for path, a in listed.items():
        assert (folder / path).stat().st_size == a["bytes"] and len(a["sha256"]) == 64
        assert a["audience"] in (stages.REPORT, stages.EMAIL, stages.CUSTOMER, stages.INTERNAL)
    # volatile facts live in the manifest and the log, never in an artifact
    assert "started_at" in m["run"]
    for path in listed:
        if path.endswith(".json"):
            text = (folder / path).read_text(encoding="utf-8")
            assert m["run"]["started_at"][:13] not in text, f"the run's time is inside {path}"
    # console lines carry a timestamp, as run.log does
    assert all(line[:4].isdigit() for line in proc.stdout.splitlines()[:-1])


def test_run_log_records_how_the_email_went(published):
    log = (published[0] / "2025-02" / "run.log").read_text(encoding="utf-8")
    assert "no SMTP configured" in log and "outbox" in log


# ---------------------------------------------------------------- honest degradation

def simulated_config(directory: Path, **options) -> Path:
    """A demo config whose files are a simulated store with `options` (written here, validated as files)."""
    store = simulate_store(**options)
    data = directory / "store"
    data.mkdir(parents=True, exist_ok=True)
    for name, frame in store.tables.items():
        frame.to_parquet(data / f"{name}.parquet", index=False)
    return files_config(directory, "Young store (simulated)",
                        {name: {"path": f"store/{name}.parquet"} for name in store.tables})


def test_a_young_store_where_nobody_lapsed_publishes_with_the_lapse_rule(tmp_path):
    config = simulated_config(tmp_path, seed=11, n_customers=400, months=3, dropout=False, campaigns=False)
    proc = retention("run", "--config", str(config), "--reports-dir", str(tmp_path / "reports"))
    assert proc.returncode == 5, proc.stdout[-3000:] + proc.stderr[-3000:]
    folder = tmp_path / "reports" / "2024-03"
    gone = unavailable(folder)
    assert {"churn_model", "backtest"} <= set(gone)
    assert "cannot be used on this data" in gone["churn_model"] and "3 months" in gone["churn_model"]
    assert "kpis" not in gone and "data_quality" not in gone and "segments" not in gone
    churn = json.loads((folder / "artifacts" / "churn_summary.json").read_text(encoding="utf-8"))["headline"]
    assert churn["method"] == "lapse_rule" and churn["model"] is None
    value = json.loads((folder / "artifacts" / "clv_summary.json").read_text(encoding="utf-8"))
    assert value["method"] == "run_rate" and value["total_clv"] > 0 and "run rate" in text.say(value["convention"])
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Churn by the lapse rule this month" in html and "Not available this month" in html
    assert "Parts unavailable on this data" in proc.stdout and "churn model" in proc.stdout


def test_one_month_of_data_publishes_and_says_the_backtest_needs_history(tmp_path):
    config = simulated_config(tmp_path, seed=5, n_customers=300, months=1, campaigns=False)
    proc = retention("run", "--config", str(config), "--reports-dir", str(tmp_path / "reports"))
    assert proc.returncode == 5, proc.stdout[-3000:] + proc.stderr[-3000:]
    gone = unavailable(tmp_path / "reports" / "2024-01")
    assert "backtest" in gone and "months of history" in gone["backtest"]
    assert (tmp_path / "reports" / "2024-01" / "report.html").exists()


def test_required_columns_only_gives_a_full_report_without_categories(small_config, tmp_path):
    ensure_source_files(load_config(small_config))   # not only after the published month's run
    lines = pd.read_parquet(small_config.parent / "store" / "transactions.parquet")
    lines[["customer_id", "basket_id", "timestamp", "amount", "store_id"]].to_csv(tmp_path / "pos.csv", index=False)
    config = files_config(tmp_path, "Bare POS export", {"transactions": {"path": "pos.csv"}})
    proc = retention("run", "--config", str(config), "--reports-dir", str(tmp_path / "reports"), "--month", "2025-01")
    assert proc.returncode == 5, proc.stdout[-3000:] + proc.stderr[-3000:]
    gone = unavailable(tmp_path / "reports" / "2025-01")
    assert "no product categories" in gone["category_mix"].lower()
    assert {"satisfaction", "complaints"} <= set(gone)
    for part in ("kpis", "churn_scores", "clv", "segments", "early_warning", "drivers", "actions"):
        assert part not in gone


# ---------------------------------------------------------------- a client-like export

ZH_CATEGORIES = {"fresh produce": "生鲜蔬果", "meat & seafood": "肉禽水产", "dairy & eggs": "乳制品蛋类",
                 "bakery": "烘焙", "grains & oil": "粮油", "snacks": "休闲零食", "beverages": "酒水饮料",
                 "frozen": "冷冻食品", "household goods": "日用百货", "personal care": "个人护理"}


def client_export(directory: Path, source: Path) -> Path:
    """A GBK POS export with Chinese headers, slash dates, currency signs, placeholder ids, a few
    faulty rows, and hostile store names and customer names."""
    lines = pd.read_parquet(source / "transactions.parquet")
    lines = lines[lines["timestamp"] < "2025-02-01"].copy()
    stores = {"S01": "=HYPERLINK(\"http://x\",\"店\")", "S02": "<script>alert(1)</script>二店"}
    out = pd.DataFrame({
        "会员卡号": lines["customer_id"].fillna("NULL"),
        "小票号": lines["basket_id"], "交易时间": lines["timestamp"].dt.strftime("%Y/%m/%d %H:%M"),
        "金额": "￥" + lines["amount"].map("{:.2f}".format), "门店": lines["store_id"].map(stores),
        "品类": lines["category"].map(ZH_CATEGORIES)})
    faulty = out.head(3).copy()
    faulty["交易时间"] = ["2025/13/45 10:00", "昨天", "2099/01/01 10:00"]
    out = pd.concat([out, faulty, out.head(2)], ignore_index=True)  # two exact duplicate lines
    out.to_csv(directory / "pos.csv", index=False, encoding="gbk")
    people = pd.read_parquet(source / "customers.parquet")
    people = people[people["join_date"] < "2025-02-01"]   # the extract's members, as of its date
    members = pd.DataFrame({"会员卡号": people["customer_id"], "入会日期": people["join_date"].dt.strftime("%Y-%m-%d"),
                            "姓名": "=cmd|' /C calc'!A0", "同意营销": people["marketing_consent"].map({True: "是", False: "否"})})
    members.to_csv(directory / "members.csv", index=False, encoding="gbk")
    return files_config(directory, "Client export", {
        "transactions": {"path": "pos.csv", "encoding": "auto", "timestamp_format": "%Y/%m/%d %H:%M",
                         "columns": {"customer_id": "会员卡号", "basket_id": "小票号", "timestamp": "交易时间",
                                     "amount": "金额", "store_id": "门店", "category": "品类"}},
        "customers": {"path": "members.csv", "columns": {"customer_id": "会员卡号", "join_date": "入会日期",
                                                          "name": "姓名", "marketing_consent": "同意营销"}}},
        {"data_end": "2025-02-03"})


def test_a_client_export_publishes_with_rejects_and_no_live_formula_or_markup(small_config, tmp_path):
    ensure_source_files(load_config(small_config))
    config = client_export(tmp_path, small_config.parent / "store")
    proc = retention("run", "--config", str(config), "--reports-dir", str(tmp_path / "reports"))
    assert proc.returncode in (0, 5), proc.stdout[-3000:] + proc.stderr[-3000:]
    folder = tmp_path / "reports" / "2025-01"
    rejects = pd.read_csv(folder / "rejects.csv")
    assert set(rejects["rule"]) >= {"unparseable_timestamp", "future_timestamp", "duplicate_line"}
    quality = json.loads((folder / "artifacts" / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["tables"]["transactions"]["null_like_ids"]["NULL"] > 0
    for xlsx in (folder / "actions").glob("*.xlsx"):
        cells = [c for row in openpyxl.load_workbook(xlsx).active.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"], f"live formula in {xlsx.name}"
    for csv in [*(folder / "actions").glob("*.csv"), folder / "artifacts" / "early_warning.csv", folder / "rejects.csv"]:
        text = csv.read_text(encoding="utf-8-sig")
        assert '"=HYPERLINK' not in text and ",=HYPERLINK" not in text and '"=cmd' not in text, csv.name
    for book in folder.glob("*.ipynb"):
        for cell in nbformat.read(book, as_version=4).cells:
            for output in cell.get("outputs", []):
                html = output.get("data", {}).get("text/html", "")
                assert "<script>alert(1)" not in html, f"unescaped client markup in {book.name}"
    assert "<script>alert(1)" not in (folder / "report.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- safe runs

def test_month_argument_is_checked_before_anything_loads(small_config, tmp_path):
    for bad in ("2017-13", "2017-6", "June"):
        proc = retention("run", "--config", str(small_config), "--reports-dir", str(tmp_path), "--month", bad)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "YYYY-MM" in proc.stderr
    assert list(tmp_path.iterdir()) == []
    proc = retention("send", "--month", "2024-05", "--reports-dir", str(tmp_path))
    assert proc.returncode == 2 and "no published report" in proc.stderr


def sleeper_series(tmp_path: Path, seconds: float) -> Path:
    """01 from the product, then a notebook that sleeps."""
    books = tmp_path / "notebooks"
    books.mkdir()
    (books / "01_data_quality.ipynb").write_bytes((ROOT / "notebooks" / "01_data_quality.ipynb").read_bytes())
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('month = ""\nconfig = ""\nrun_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})")])
    nb.metadata["kernelspec"] = {"name": "retention-report", "display_name": "x", "language": "python"}
    nbformat.write(nb, books / "02_sleeps.ipynb")
    return books


def test_a_second_run_of_the_same_month_is_refused_and_sigterm_ends_the_first(small_config, tmp_path):
    books = sleeper_series(tmp_path, 120)
    config = write_demo_config(tmp_path / "cfg")
    config.write_text(config.read_text() + "email:\n  ops: ops@example.com\n", encoding="utf-8")
    reports = tmp_path / "reports"
    # the CLI, on a short series of notebooks with a one-second heartbeat
    wrapper = ("import sys; from retention_lib.app import cli, pipeline\n"
               "pipeline.NOTEBOOKS_DIR = __import__('pathlib').Path(sys.argv[1])\n"
               "orig = pipeline.run_month\n"
               "pipeline.run_month = lambda *a, **k: orig(*a, **{**k, 'notebooks_dir': pipeline.NOTEBOOKS_DIR, "
               "'heartbeat_s': 1})\n"
               "sys.exit(cli.main(sys.argv[2:]))\n")
    first = subprocess.Popen([sys.executable, "-c", wrapper, str(books), "run", "--config", str(config),
                              "--reports-dir", str(reports), "--month", "2024-12"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=QUIET_ENV)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # until the sleeping notebook runs
            tmp = [p for p in reports.glob(".tmp-*") if (p / "01_data_quality.ipynb").exists()] if reports.exists() else []
            if tmp and (tmp[0] / "02_sleeps.ipynb").exists():
                break
            time.sleep(0.5)
        else:
            pytest.fail("the first run never reached its second notebook")
        time.sleep(3)
        second = retention("run", "--config", str(config), "--reports-dir", str(reports), "--month", "2024-12")
        assert second.returncode == 6, second.stderr
        assert "in progress" in second.stderr and "Traceback" not in second.stderr
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=60)
    finally:
        first.kill()
    assert first.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "SIGTERM" in err
    assert "still running: cell" in out  # the heartbeat
    [failed] = [p for p in reports.iterdir() if p.is_dir()]
    assert failed.name.startswith("2024-12.failed-")
    assert "interrupted by SIGTERM" in (failed / "FAILED.txt").read_text()
    [notice] = list((failed / "outbox").glob("failure-*.eml"))
    assert "SIGTERM" in notice.read_text(encoding="utf-8")
    assert not (reports / "2024-12").exists() and not list(reports.glob(".tmp-*"))


def test_a_folder_left_by_a_killed_run_is_marked_failed_by_the_next(tmp_path):
    reports = tmp_path / "reports"
    left = reports / ".tmp-20240101-000000-4194303"  # a pid that is not running
    (left / "artifacts").mkdir(parents=True)
    (left / "prepared.json").write_text(json.dumps({"config": "x", "month": "2024-10"}))
    loading = reports / ".tmp-20240101-000000-4194302"  # killed while loading: nothing to keep
    loading.mkdir()
    alive = reports / f".tmp-20240101-000000-{os.getpid()}"  # a run still going: left alone
    alive.mkdir()
    lines: list[str] = []
    _mark_leftovers(reports, lines.append)   # what every run does first
    assert not left.exists() and not loading.exists() and alive.exists()
    [marked] = list(reports.glob("2024-10.failed-*"))
    assert "killed" in (marked / "FAILED.txt").read_text()
    assert any("killed run" in line for line in lines)


def test_a_cell_past_its_timeout_fails_the_run(tmp_path):
    config = write_demo_config(tmp_path / "cfg")
    # 10 s: the product's 01 must pass under it even on a loaded machine (its first cell imports the
    # library, Ibis included); the sleeper's 120 s must not
    config.write_text(config.read_text() + "settings:\n  cell_timeout_s: 10\n", encoding="utf-8")
    books = sleeper_series(tmp_path, 120)
    from retention_lib.app.pipeline import RunFailed, run_month

    started = time.monotonic()
    with pytest.raises(RunFailed) as caught:
        run_month(config, "2024-12", reports_dir=tmp_path / "reports", notebooks_dir=books, progress=lambda s: None)
    assert time.monotonic() - started < 100
    assert "cell_timeout_s" in str(caught.value) and caught.value.notebook == "02_sleeps.ipynb"


def test_a_stage_that_skips_an_artifact_fails_naming_it(small_config, tmp_path):
    books = tmp_path / "notebooks"
    books.mkdir()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('month = ""\nconfig = ""\nrun_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import retention_lib as rl\nrun = rl.open_run(config, month, run_dir)")])
    nb.metadata["kernelspec"] = {"name": "retention-report", "display_name": "x", "language": "python"}
    nbformat.write(nb, books / "01_data_quality.ipynb")
    from retention_lib.app.pipeline import RunFailed, run_month

    with pytest.raises(RunFailed) as caught:
        run_month(small_config, "2024-12", reports_dir=tmp_path / "reports", notebooks_dir=books,
                  progress=lambda s: None)
    assert "data_quality" in str(caught.value) and "artifacts/coverage.png" in str(caught.value)
    assert not (tmp_path / "reports" / "2024-12").exists()
