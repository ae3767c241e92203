"""The month pipeline end to end on a small simulated store: publish, refuse, force, fail."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from conftest import private_copy, retention_cli
from retention_lib.app.pipeline import RunFailed, notebooks, run_month
from retention_lib.report.html import network_references

ROOT = Path(__file__).resolve().parents[2]


retention = retention_cli


def month_folder(reports: Path) -> Path:
    [folder] = [p for p in reports.iterdir() if p.is_dir() and p.name[:4].isdigit()]
    return folder


def test_run_publishes_a_finished_month_folder(published):
    reports, proc = published
    folder = month_folder(reports)
    assert folder.name == "2025-02"  # 14 months from 2024-01: the last complete month
    assert proc.stdout.strip().splitlines()[-1].endswith(str(folder / "report.html"))
    for book in notebooks():
        executed = nbformat.read(folder / book.name, as_version=4)
        assert executed.metadata["papermill"]["parameters"]["month"] == "2025-02"
    assert (folder / "rejects.csv").exists() and (folder / "run.log").exists()
    assert not [p for p in reports.iterdir() if p.name.startswith(".tmp-")]
    assert "[1/" in proc.stdout  # progress per notebook


def test_report_html_is_self_contained_and_hides_code(published):
    html = (month_folder(published[0]) / "report.html").read_text(encoding="utf-8")
    assert network_references(html) == []
    assert "<script src" not in html.lower()
    assert "data:image/png;base64" in html
    assert "import retention_lib" not in html and "open_run(" not in html
    assert "SIMULATED DATA" in html
    assert 'href="#data-quality"' in html and 'id="data-quality"' in html


def test_key_figures_match_the_simulated_data(published, small_config):
    folder = month_folder(published[0])
    facts = json.loads((folder / "artifacts" / "data_quality_summary.json").read_text())
    lines = pd.read_parquet(small_config.parent / "store" / "transactions.parquet")
    month = lines[lines["timestamp"].dt.strftime("%Y-%m") == "2025-02"]
    member = month[month["customer_id"].notna()]
    assert facts["member_baskets"] == member["basket_id"].nunique()
    assert facts["non_member_baskets"] == month.loc[month["customer_id"].isna(), "basket_id"].nunique()
    assert facts["member_revenue_share"] == pytest.approx(member["amount"].sum() / month["amount"].sum())
    assert facts["rows_rejected"] == 0
    assert facts["lines_read"] == len(lines)


def test_existing_month_is_refused_without_force_and_replaced_with_it(published, small_config, tmp_path):
    """On a copy of the published month, run again from the config it was built with."""
    reports = private_copy(published[0], tmp_path / "reports")
    folder = month_folder(reports)
    marker = folder / "marker.txt"
    marker.write_text("old run")
    refused = retention("run", "--config", str(small_config), "--reports-dir", str(reports), "--month", "2025-02")
    assert refused.returncode == 3 and "--force" in refused.stderr
    assert marker.exists()
    kept = retention("run", "--config", str(small_config), "--reports-dir", str(reports), "--if-missing")
    assert kept.returncode == 0 and "already published" in kept.stdout
    assert kept.stdout.strip().splitlines()[-1].endswith(str(folder / "report.html"))
    assert marker.exists()
    before = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    forced = retention("run", "--config", str(small_config), "--reports-dir", str(reports),
                       "--month", "2025-02", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (folder / "report.html").exists() and not marker.exists()
    assert sorted(p.name for p in reports.iterdir()) == ["2025-02", "ledger"]
    # the same data and month, run a second time: byte-identical artifacts, report.html included
    after = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    first = {a["path"]: a["sha256"] for a in before["artifacts"]}
    second = {a["path"]: a["sha256"] for a in after["artifacts"]}
    assert first.keys() == second.keys() and "report.html" in first
    assert sorted(p for p in first if first[p] != second[p]) == []
    assert before["run"]["started_at"] != after["run"]["started_at"] or before["run"]["pid"] != after["run"]["pid"]


def test_a_failing_cell_exits_non_zero_and_publishes_nothing(small_config, tmp_path):
    books = tmp_path / "notebooks"
    books.mkdir()
    for book in notebooks():  # a short series is enough: 01 runs, 05 fails, 08 never starts
        if book.name.startswith(("01_", "08_")):
            shutil.copy(book, books / book.name)
    failing = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('month = ""\nconfig = ""\nrun_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise RuntimeError('boom in the middle')"),
    ])
    failing.metadata["kernelspec"] = {"name": "retention-report", "display_name": "x", "language": "python"}
    nbformat.write(failing, books / "05_fails.ipynb")
    reports = tmp_path / "reports"
    with pytest.raises(RunFailed) as caught:
        run_month(small_config, "2024-12", reports_dir=reports, notebooks_dir=books, progress=lambda s: None)
    assert caught.value.notebook == "05_fails.ipynb"
    assert not (reports / "2024-12").exists()
    [failed] = [p for p in reports.iterdir()]
    assert failed.name.startswith("2024-12.failed-")
    assert "05_fails.ipynb" in (failed / "FAILED.txt").read_text()
    assert "boom in the middle" in (failed / "FAILED.txt").read_text()
    assert not (failed / "report.html").exists()


def test_bad_month_and_month_without_data_exit_non_zero(small_config, tmp_path):
    proc = retention("run", "--config", str(small_config), "--reports-dir", str(tmp_path), "--month", "2019-03")
    assert proc.returncode == 2
    assert "month_without_data" in proc.stderr and "2019-03" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_notebooks_default_config_does_not_depend_on_where_it_is_opened(tmp_path):
    """The parameters cell as it is, run from another folder, names the project's demo store."""
    from retention_lib.core.paths import DEFAULT_CONFIG

    for book in notebooks():
        cell = next(c for c in nbformat.read(book, as_version=4).cells
                    if "parameters" in c.metadata.get("tags", []))
        code = cell.source + "\nfrom retention_lib import load_config\nprint(load_config(config or None).path)"
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == str(DEFAULT_CONFIG), book.name


def test_a_published_notebook_points_at_its_month_and_reruns_on_a_lab_copy(published):
    from retention_lib.data.prepare import open_run

    reports, _ = published
    folder = month_folder(reports)
    executed = nbformat.read(folder / "03_churn_model.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["run_dir"] == str(folder)
    [injected] = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert f'run_dir = "{folder}"' in injected.source and ".tmp-" not in injected.source
    before = (folder / "manifest.json").read_bytes()
    run = open_run(executed.metadata["papermill"]["parameters"]["config"], None, str(folder))
    assert run.run_dir == reports / "lab" / f"small-{folder.name}" and run.lab_copy
    run.write("kpi_board", {"changed": True})               # a re-run writes to the copy ...
    assert (folder / "manifest.json").read_bytes() == before  # ... and the published month stays as it is
    assert json.loads((folder / "artifacts" / "kpi_board.json").read_text())["board"]
