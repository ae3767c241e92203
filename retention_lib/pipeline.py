"""Run every notebook for a month with papermill and publish reports/<YYYY-MM>/.

The run is built in a hidden temporary folder and renamed into place only when every
notebook succeeded and report.html was written, so a folder named after a month is
always a finished run. A failed run is kept as <YYYY-MM>.failed-<time> for diagnosis.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import papermill as pm
from jupyter_client.manager import AsyncKernelManager

from . import delivery, ledger
from .config import PROJECT_ROOT, Config, load_config
from .report_html import export_html
from .run import prepare_run

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
KERNEL_NAME = "retention-report"
REPORT_NOTEBOOK = "08_report.ipynb"


class RunRefused(RuntimeError):
    """The month exists already and --force was not given."""


class RunFailed(RuntimeError):
    def __init__(self, message: str, failed_dir: Path, notebook: str | None = None, cell: int | None = None):
        super().__init__(message)
        self.failed_dir, self.notebook, self.cell = failed_dir, notebook, cell


@dataclass
class RunResult:
    month: str
    folder: Path
    report: Path


def notebooks(directory: Path = NOTEBOOKS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))


def run_month(config: str | Path | Config | None = None, month: str | None = None, *,
              reports_dir: Path | None = None, force: bool = False,
              notebooks_dir: Path = NOTEBOOKS_DIR, kernel_name: str = KERNEL_NAME,
              progress: Callable[[str], None] = print, email: list[str] | None = None,
              env=None, if_missing: bool = False) -> RunResult:
    """Run, publish, then write (and send, when SMTP is configured) the email.

    A failed email leaves the published month in place and its message in the outbox;
    mail.MailError is raised so the caller can exit non-zero. With `if_missing`, a month
    that is already published is returned as it is (for schedulers and `make report`).
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    reports_dir = Path(reports_dir or REPORTS_DIR)
    reports_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    tmp = reports_dir / f".tmp-{stamp}-{os.getpid()}"
    if month and if_missing and not force and (reports_dir / month).exists():
        return _existing(reports_dir / month, progress)
    if month:
        _refuse_existing(reports_dir / month, force)

    log_lines: list[str] = []

    def say(line: str) -> None:
        log_lines.append(f"{datetime.now():%H:%M:%S} {line}")
        progress(line)

    try:
        say(f"Loading and validating {cfg.name} ({cfg.path.name})")
        run = prepare_run(cfg, month, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    month = str(run.month)
    final = reports_dir / month
    if if_missing and not force and final.exists():
        shutil.rmtree(tmp, ignore_errors=True)
        return _existing(final, progress)
    try:
        _refuse_existing(final, force)
    except RunRefused:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    books = notebooks(notebooks_dir)
    params = {"month": month, "config": str(cfg.path), "run_dir": str(tmp.resolve())}
    for i, book in enumerate(books, 1):
        started = time.monotonic()
        say(f"[{i}/{len(books)}] {book.name} ...")
        try:
            with tempfile.TemporaryDirectory(prefix="retention-kernel-") as sockets:
                pm.execute_notebook(str(book), str(tmp / book.name), parameters=params,
                                    kernel_name=kernel_name, cwd=str(notebooks_dir),
                                    progress_bar=False, log_output=False,
                                    kernel_manager_class=_ipc_kernel_manager(Path(sockets)))
        except pm.PapermillExecutionError as exc:
            failed = _keep_failed(tmp, reports_dir, month, stamp)
            where = f"{book.name}, cell {exc.exec_count}"
            say(f"FAILED in {where}: {exc.ename}: {exc.evalue}")
            _write_log(failed, log_lines)
            (failed / "FAILED.txt").write_text(
                f"Run for {month} failed in {where}\n{exc.ename}: {exc.evalue}\n"
                f"Executed notebook: {failed / book.name}\n", encoding="utf-8")
            delivery.failure_notice(cfg, month, failed, book.name, exc.exec_count,
                                    f"{exc.ename}: {exc.evalue}", env=env, log=say)
            raise RunFailed(f"{where}: {exc.ename}: {exc.evalue}", failed, book.name, exc.exec_count) from exc
        except BaseException:
            failed = _keep_failed(tmp, reports_dir, month, stamp)
            _write_log(failed, log_lines)
            raise
        say(f"[{i}/{len(books)}] {book.name} done in {time.monotonic() - started:.1f} s")

    report = export_html(tmp / REPORT_NOTEBOOK, tmp / "report.html", title=f"Retention report {month}")
    say(f"report.html written ({report.stat().st_size / 1e6:.1f} MB)")
    _write_log(tmp, log_lines)
    _publish(tmp, final)
    forecasts = final / "artifacts" / "forecasts.parquet"
    if forecasts.exists():  # only a published run's forecasts enter the ledger
        ledger.record(forecasts, ledger.ledger_path(reports_dir, cfg.slug))
    delivery.email_month(final, cfg, month, email or (), env=env, log=progress)
    return RunResult(month, final, final / "report.html")


def _ipc_kernel_manager(folder: Path):
    """Kernels talk over socket files in a private folder, not TCP ports on localhost that
    any local user could reach (ipykernel warns about TCP without encryption)."""
    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(transport="ipc", ip=str(folder / "kernel"), **kwargs)
    return IPCKernelManager


def _existing(final: Path, progress: Callable[[str], None]) -> RunResult:
    progress(f"{final.name} is already published; nothing to do (use --force to rebuild it)")
    return RunResult(final.name, final, final / "report.html")


def _refuse_existing(final: Path, force: bool) -> None:
    if final.exists() and not force:
        raise RunRefused(f"{final} already exists; use --force to replace it")


def _publish(tmp: Path, final: Path) -> None:
    """Swap the finished folder into place; the old one is removed only after the swap."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _keep_failed(tmp: Path, reports_dir: Path, month: str, stamp: str) -> Path:
    failed = reports_dir / f"{month}.failed-{stamp}"
    tmp.rename(failed)
    return failed


def _write_log(folder: Path, lines: list[str]) -> None:
    (folder / "run.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
