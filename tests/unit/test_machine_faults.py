"""Faults of the machine or its setup end `retention run` with exit 7 and one line,
`error: <path>: <what> — <the fix>`, never a traceback: a reports folder that cannot be written, a full
disk (the failed run keeps its FAILED.txt and run.log, or the line says why it could not), a table
file that is not there. A bad RETENTION_SMTP_* setting is bad input (exit 2).

The tests may run as root, whom chmod does not stop: a read-only folder and a full disk are simulated
by raising the OSError the system would raise at the place it would raise it."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import papermill as pm
import pytest

from conftest import retention_cli
from retention_lib.app import cli, pipeline, run_log
from retention_lib.app.notebook_kernel import RunKernel
from retention_lib.core.faults import machine_fault, notebook_fault
from retention_lib.data import store
from retention_lib.delivery import smtp

MONTH = "2025-02"   # the small store's last complete month


@pytest.fixture(autouse=True)
def _no_smtp(monkeypatch):
    for key in [k for k in os.environ if k.startswith("RETENTION_SMTP") or k == "RETENTION_MAIL_FROM"]:
        monkeypatch.delenv(key)


def _run(config, reports: Path, capsys, *extra) -> tuple[int, str, str]:
    code = cli.main(["run", "--config", str(config), "--month", MONTH, "--reports-dir", str(reports), *extra])
    out, err = capsys.readouterr()
    return code, out, err.strip()


def _failed(reports: Path) -> Path:
    [folder] = [p for p in reports.iterdir() if p.name.startswith(f"{MONTH}.failed-")]
    return folder


def _one_line(err: str) -> str:
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("error: ") and " — " in err, err
    return err


# ------------------------------------------------------------------ folders that cannot be written

def test_a_read_only_reports_folder_is_exit_7(small_config, tmp_path, monkeypatch, capsys):
    reports = tmp_path / "reports"
    lock = reports / f".lock-{MONTH}"

    def read_only(folder, month):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(lock))

    monkeypatch.setattr(pipeline, "_lock", read_only)
    code, _, err = _run(small_config, reports, capsys)
    assert code == cli.EXIT_MACHINE == 7
    assert _one_line(err).startswith(f"error: {lock}: the file system is read-only — ")
    assert "--reports-dir" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod: the EROFS test above simulates it")
def test_a_reports_folder_without_write_permission_is_exit_7(small_config, tmp_path, capsys):
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(0o555)
    try:
        code, _, err = _run(small_config, reports, capsys)
    finally:
        reports.chmod(0o755)
    assert code == 7 and "permission denied" in _one_line(err)


def test_a_store_that_cannot_be_written_names_the_store(small_config, tmp_path, monkeypatch, capsys):
    def full(*args, **kwargs):   # a write on a full disk names no file
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store, "_update", full)
    code, _, err = _run(small_config, tmp_path / "reports", capsys)
    assert code == 7 and "no space left on the device" in _one_line(err)
    assert err.startswith("error: " + os.environ["RETENTION_STORE_DIR"])             # the store's folder
    assert not [p for p in (tmp_path / "reports").iterdir() if not p.name.startswith(".lock")]


# ------------------------------------------------------------------ a full disk during the run

def _disk_full(target, *args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_during_the_run_keeps_failed_txt_and_the_run_log(small_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(RunKernel, "execute", lambda kernel, *a, **k: _disk_full(*a, **k))
    code, out, err = _run(small_config, tmp_path / "reports", capsys)
    failed = _failed(tmp_path / "reports")
    assert code == 7
    assert _one_line(err).startswith(f"error: {failed}: no space left on the device — ")
    assert f"the failed run is kept in {failed}" in err
    assert "no space left on the device" in (failed / "FAILED.txt").read_text(encoding="utf-8")
    log = (failed / "run.log").read_text(encoding="utf-8")
    assert "Loading and validating" in log and "[1/" in log and "FAILED in 01_" in log
    assert not (tmp_path / "reports" / MONTH).exists()


def test_a_disk_too_full_for_failed_txt_says_so_on_the_line(small_config, tmp_path, monkeypatch, capsys):
    """run.log was written as the run went: it keeps what was logged before the disk filled up."""
    monkeypatch.setattr(RunKernel, "execute", lambda kernel, *a, **k: _disk_full(*a, **k))
    monkeypatch.setattr(run_log, "write_atomic", lambda path, text: _disk_full(path))
    code, _, err = _run(small_config, tmp_path / "reports", capsys)
    failed = _failed(tmp_path / "reports")
    assert code == 7
    assert _one_line(err).endswith("(its FAILED.txt could not be written: no space left on the device)")
    assert not (failed / "FAILED.txt").exists() and not list(failed.glob(".*.tmp"))
    log = (failed / "run.log").read_text(encoding="utf-8")
    assert "Loading and validating" in log and "[1/" in log


def test_a_full_disk_under_a_notebook_cell_is_exit_7_not_a_failed_notebook(small_config, tmp_path, monkeypatch,
                                                                           capsys):
    def cell_fails(book, target, *args, **kwargs):
        artifact = Path(target).parent.resolve() / "artifacts" / "kpis.parquet"
        raise pm.PapermillExecutionError(4, 4, "frame.to_parquet(...)", "OSError",
                                         f"[Errno 28] No space left on device: '{artifact}'", [])

    monkeypatch.setattr(RunKernel, "execute", lambda kernel, *a, **k: cell_fails(*a, **k))
    code, _, err = _run(small_config, tmp_path / "reports", capsys)
    failed = _failed(tmp_path / "reports")
    assert code == 7
    assert _one_line(err).startswith(f"error: {failed / 'artifacts' / 'kpis.parquet'}: no space left on the device")
    assert "cell 4" in (failed / "FAILED.txt").read_text(encoding="utf-8")


def test_a_bug_is_not_a_fault_of_the_machine_but_its_folder_has_failed_txt(small_config, tmp_path, monkeypatch,
                                                                           capsys):
    def bug(*args, **kwargs):
        raise KeyError("no_such_column")

    monkeypatch.setattr(RunKernel, "execute", bug)
    with pytest.raises(KeyError):
        cli.main(["run", "--config", str(small_config), "--month", MONTH, "--reports-dir", str(tmp_path / "r")])
    failed = _failed(tmp_path / "r")
    assert "KeyError: 'no_such_column'" in (failed / "FAILED.txt").read_text(encoding="utf-8")
    assert "Loading and validating" in (failed / "run.log").read_text(encoding="utf-8")


# ------------------------------------------------------------------ files that are not there

def test_a_missing_table_file_is_exit_7_naming_its_config_key(tmp_path, capsys):
    config = tmp_path / "client.yml"
    config.write_text("name: Client\nsource: files\ncurrency: CNY\nstore: store\n"
                      "tables:\n  transactions: {path: exports/lines.csv}\n", encoding="utf-8")
    code, _, err = _run(config, tmp_path / "reports", capsys)
    assert code == 7
    assert _one_line(err) == (f"error: {tmp_path / 'exports' / 'lines.csv'}: the transactions table's file does not "
                              f"exist — check tables.transactions.path in {config}")
    # as cron runs it: the kernel the run started before loading leaves no thread to print a traceback
    proc = retention_cli("run", "--config", str(config), "--reports-dir", str(tmp_path / "cron"))
    assert proc.returncode == 7 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_an_unreadable_table_file_is_exit_7(small_config, tmp_path, monkeypatch, capsys):
    def denied(path, before):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(store, "fingerprint", denied)
    code, _, err = _run(small_config, tmp_path / "reports", capsys)
    assert code == 7 and ": permission denied — give the user that runs retention" in _one_line(err)


# ------------------------------------------------------------------ bad settings are bad input

@pytest.mark.parametrize("port", ["abc", "0", "70000", "25 smtp"])
def test_a_bad_smtp_port_is_exit_2_before_the_run(small_config, tmp_path, monkeypatch, capsys, port):
    monkeypatch.setenv("RETENTION_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("RETENTION_SMTP_PORT", port)
    monkeypatch.setattr(pipeline, "run_month", lambda *a, **k: pytest.fail("the run must not start"))
    code, _, err = _run(small_config, tmp_path / "reports", capsys)
    assert code == cli.EXIT_BAD_INPUT == 2
    assert err == (f"error: RETENTION_SMTP_PORT must be a port number from 1 to 65535 (unset: 587 for "
                   f"RETENTION_SMTP_TLS=starttls), got {port!r}")


def test_smtp_ports_that_are_fine():
    env = {"RETENTION_SMTP_HOST": "smtp.example.com"}
    assert smtp.SmtpSettings.from_env(env | {"RETENTION_SMTP_PORT": " 2525 "}).port == 2525
    assert smtp.SmtpSettings.from_env(env | {"RETENTION_SMTP_PORT": ""}).port == 587
    assert smtp.SmtpSettings.from_env(env | {"RETENTION_SMTP_TLS": "ssl"}).port == 465
    with pytest.raises(smtp.SmtpSettingsError, match="RETENTION_SMTP_TLS must be one of"):
        smtp.SmtpSettings.from_env(env | {"RETENTION_SMTP_TLS": "tls1.3"})


# ------------------------------------------------------------------ which errors are the machine's

def test_which_errors_are_faults_of_the_machine(tmp_path):
    for number in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EIO):
        fault = machine_fault(OSError(number, os.strerror(number), str(tmp_path / "x")))
        assert fault is not None and fault.path == str(tmp_path / "x")
    assert machine_fault(OSError(errno.ENOSPC, "x"), fallback=tmp_path).path == str(tmp_path)
    # pyarrow's and DuckDB's say it in their text only
    assert machine_fault(OSError("[Errno 28] Error writing bytes to file"), fallback=tmp_path).what \
        == "no space left on the device"
    import duckdb
    full = machine_fault(duckdb.IOException('IO Error: Could not write file "/srv/store/x.parquet": No space left '
                                            'on device'))
    assert (full.path, full.what) == ("/srv/store/x.parquet", "no space left on the device")
    for bug in (ValueError("x"), KeyError("x"), OSError(errno.EEXIST, "exists", "/a"),
                FileNotFoundError(errno.ENOENT, "No such file or directory", "/a")):
        assert machine_fault(bug) is None     # a missing file is the machine's only where the code says so
    assert notebook_fault("ValueError", "[Errno 28] no") is None
    assert notebook_fault("PermissionError", "[Errno 13] Permission denied: '/srv/reports/x'").path == "/srv/reports/x"
