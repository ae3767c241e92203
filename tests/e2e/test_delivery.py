"""The monthly email end to end: a real SMTP server, a failed send kept in the outbox and
sent again, and privacy: no customer or secret in anything that leaves or is written. The same two
months carry the prediction ledger: forecasts stored by one are scored by the next."""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import PASSWORD, USER, write_demo_config

from retention_lib.analytics import ledger
from retention_lib.delivery.smtp import read_eml
from retention_lib.app.pipeline import RunFailed, notebooks, run_month

ROOT = Path(__file__).resolve().parents[2]


def retention(*args, env):
    return subprocess.run([sys.executable, "-m", "retention_lib", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


def smtp_env(port, bundle, password):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTION_")}
    return env | {"RETENTION_SMTP_HOST": "127.0.0.1", "RETENTION_SMTP_PORT": str(port),
                  "RETENTION_SMTP_TLS": "starttls", "RETENTION_SMTP_USER": USER,
                  "RETENTION_SMTP_PASSWORD": password, "RETENTION_MAIL_FROM": "reports@example.com",
                  "SSL_CERT_FILE": str(bundle)}


def test_failed_send_is_kept_then_sent_and_nothing_private_leaves(small_config, smtp_server, tmp_path):
    """Two consecutive months: December (in-process) leaves forecasts in the ledger; January, run as cron
    runs it with the wrong SMTP password, is published with its email waiting, scores December's
    forecasts against what members did, and `retention send` delivers the email."""
    inbox, port, bundle = smtp_server
    reports = tmp_path / "reports"
    run_month(small_config, "2024-12", reports_dir=reports, progress=lambda s: None)
    book = ledger.ledger_path(reports, small_config.stem)
    stored = ledger.read(book)
    assert set(stored["for_month"]) == {"2025-01"} and np.isfinite(stored["expected_purchases"]).all()
    first = retention("run", "--config", str(small_config), "--reports-dir", str(reports), "--month", "2025-01",
                      "--email", "manager@example.com", "--email", "owner@example.com",
                      env=smtp_env(port, bundle, "not-the-password"))
    assert first.returncode == 4, first.stderr
    assert f"retention send --month 2025-01 --reports-dir {reports}" in first.stderr
    month = reports / "2025-01"
    assert (month / "report.html").exists()  # the report is published; only the email waits
    [waiting] = list((month / "outbox").glob("*.eml"))
    assert not inbox.messages
    _ledger_scores_the_forecasts(small_config, reports, book, stored)

    again = retention("send", "--month", "2025-01", "--reports-dir", str(reports),
                      env=smtp_env(port, bundle, PASSWORD))
    assert again.returncode == 0, again.stderr
    assert not waiting.exists() and (month / "outbox" / "sent" / waiting.name).exists()
    [(rcpts, msg)] = inbox.messages
    assert sorted(rcpts) == ["manager@example.com", "owner@example.com"]

    text = msg.get_body(preferencelist=("plain",)).get_content()
    body = msg.get_body(preferencelist=("html",)).get_content()
    [report] = [p.get_content() for p in msg.iter_attachments() if p.get_filename() == "small-2025-01-report.html"]
    assert report == (month / "report.html").read_text(encoding="utf-8")
    assert "<style" not in body.lower() and "data:" not in body
    cids = [p["Content-ID"].strip("<>") for p in msg.walk() if p.get_content_type() == "image/png"]
    assert cids and all(f"cid:{c}" in body for c in cids)
    assert "Members who shopped" in text and "Key findings" in text

    people = pd.read_parquet(small_config.parent / "store" / "customers.parquet")
    for column in ("customer_id", "name", "phone"):
        for value in people[column].dropna():
            for where, content in (("text", text), ("html", body), ("report.html", report)):
                assert value not in content, f"{column} {value!r} found in the email's {where}"

    secret = PASSWORD.encode()
    for path in [*month.rglob("*"), *(reports / "ledger").rglob("*")]:
        if path.is_file():
            assert secret not in path.read_bytes(), f"SMTP password written to {path}"
    for stream in (first.stdout, first.stderr, again.stdout, again.stderr):
        assert PASSWORD not in stream and "not-the-password" not in stream


def _ledger_scores_the_forecasts(small_config, reports, book, stored):
    """January's track record: December's forecasts against January's purchase days, from the lines."""
    assert set(ledger.read(book)["for_month"]) == {"2025-01", "2025-02"}
    summary = json.loads((reports / "2025-01" / "artifacts" / "actions_summary.json").read_text())
    [row] = summary["track_record"]
    assert row["for_month"] == "2025-01" and row["made_in"] == "2024-12"
    lines = pd.read_parquet(small_config.parent / "store" / "transactions.parquet")
    jan = lines[lines["customer_id"].isin(stored["customer_id"]) & (lines["timestamp"].dt.strftime("%Y-%m") == "2025-01")]
    by_basket = jan.groupby("basket_id").agg(customer_id=("customer_id", "first"), amount=("amount", "sum"),
                                             day=("timestamp", lambda t: t.min().normalize()))
    days = by_basket[by_basket["amount"] > 0].drop_duplicates(["customer_id", "day"])
    assert row["actual_purchases"] == len(days)
    assert row["predicted_purchases"] == pytest.approx(row["actual_purchases"], rel=0.25)


def test_no_smtp_writes_the_outbox_and_says_so(published):
    reports, proc = published
    [eml] = list((reports / "2025-02" / "outbox").glob("*.eml"))
    assert any("no SMTP configured" in line and str(eml) in line for line in proc.stdout.splitlines())
    assert read_eml(eml)["Subject"] == "Customer retention report 2025-02 · Small test store (simulated) (SIMULATED DATA)"


def test_failed_run_writes_a_notice_for_operations(tmp_path):
    config = write_demo_config(tmp_path / "cfg")
    config.write_text(config.read_text() + "email:\n  ops: ops@example.com\n")
    books = tmp_path / "notebooks"
    books.mkdir()
    for book in notebooks():
        if book.name.startswith("01_"):
            (books / book.name).write_bytes(book.read_bytes())
    failing = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('month = ""\nconfig = ""\nrun_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('stock feed missing')"),
    ])
    failing.metadata["kernelspec"] = {"name": "retention-report", "display_name": "x", "language": "python"}
    nbformat.write(failing, books / "02_breaks.ipynb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTION_")}
    with pytest.raises(RunFailed) as caught:
        run_month(config, "2024-12", reports_dir=tmp_path / "reports", notebooks_dir=books,
                  progress=lambda s: None, env=env)
    [notice] = list((caught.value.failed_dir / "outbox").glob("failure-*.eml"))
    msg = read_eml(notice)
    assert msg["To"] == "ops@example.com" and "FAILED" in msg["Subject"]
    content = msg.get_content()
    assert "02_breaks.ipynb" in content and f"cell {caught.value.cell}" in content
    assert str(caught.value.failed_dir / "run.log") in content and "stock feed missing" in content
