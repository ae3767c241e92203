"""Run every notebook for a month with papermill and publish reports/<YYYY-MM>/.

The run is built in a hidden temporary folder and renamed into place only when every
notebook succeeded, every stage wrote its artifacts (or declared a part unavailable, with its
reason) and report.html and manifest.json were written, so a folder named after a month is
always a finished run. A failed or interrupted run is kept as <YYYY-MM>.failed-<time> for
diagnosis. One run per reports folder and month at a time (a lock file); a folder left by a
killed run is marked failed by the next run.

The run itself is here; the lock, signals and leftover folders are in app/safety.py, what a
failed run leaves behind (FAILED.txt, the failed folder, the notice) in app/failed_run.py, run.log
in app/run_log.py, and manifest.json is built in app/manifest.py.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import nbformat
import papermill as pm
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from retention_lib.delivery import compose, smtp, store_emails
from retention_lib.report import language as reader
from retention_lib.analytics import ledger
from retention_lib.core import stages
from retention_lib.core.config import Config, load_config
from retention_lib.core.faults import machine_fault, notebook_fault
from retention_lib.core.paths import NOTEBOOKS_DIR, REPORTS_DIR
from retention_lib.data.engine import release as release_engines
from retention_lib.data.loading import data_end_of
from retention_lib.report import notebook_text, text
from retention_lib.report.html import export_html
from retention_lib.data import quality
from retention_lib.data.prepare import prepare_run
from retention_lib.app import consistency
from retention_lib.app.failed_run import RunFailed, fail, failed_folder, keep_failure, notify
from retention_lib.app.manifest import build_manifest
from retention_lib.app.notebook_kernel import RunKernel, Tracker
from retention_lib.app.run_log import RunLog, write_log
from retention_lib.app.safety import TMP_PREFIX, RunInterrupted, RunLocked, _lock, _mark_leftovers, _signals_raise

KERNEL_NAME = "retention-report"
REPORT_NOTEBOOK = "08_report.ipynb"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
HEARTBEAT_S = 60

__all__ = ["BadMonth", "RunFailed", "RunInterrupted", "RunLocked", "RunRefused", "RunResult", "build_manifest",
           "check_month", "notebooks", "run_month", "timestamped", "unavailable_summary"]


class RunRefused(RuntimeError):
    """The month exists already and --force was not given."""


class BadMonth(ValueError):
    """--month is not YYYY-MM."""


@dataclass
class RunResult:
    month: str
    folder: Path
    report: Path
    unavailable: dict[str, str] = field(default_factory=dict)   # part -> reason


def timestamped(line: str) -> str:
    """A progress line as run.log and the console show it: the local time first."""
    return f"{datetime.now():%Y-%m-%d %H:%M:%S} {line}"


def unavailable_summary(unavailable: dict[str, str]) -> list[str]:
    """The parts unavailable this month, grouped by reason, one line each under a heading."""
    if not unavailable:
        return []
    return [text.say("unavailable.console")] + [f"  - {'; '.join(titles)}: {text.render(reason)}"
                                               for titles, reason in stages.by_reason(unavailable)]


def notebooks(directory: Path = NOTEBOOKS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))


def check_month(month: str | None) -> None:
    if month is not None and not MONTH.match(month):
        raise BadMonth(f"--month must be YYYY-MM (for example 2025-06), got {month!r}")


def run_month(config: str | Path | Config | None = None, month: str | None = None, *,
              reports_dir: Path | None = None, force: bool = False,
              notebooks_dir: Path = NOTEBOOKS_DIR, kernel_name: str = KERNEL_NAME,
              progress: Callable[[str], None] = print, email: list[str] | None = None,
              env=None, if_missing: bool = False, heartbeat_s: float = HEARTBEAT_S,
              language: str | None = None, engine: str | None = None) -> RunResult:
    """Run, publish, then write (and send, when SMTP is configured) the email.

    A failed email leaves the published month in place and its message in the outbox;
    smtp.MailError is raised so the caller can exit non-zero. With `if_missing`, a month
    that is already published is returned as it is (for schedulers and `make report`). `language`
    overrides the config's report.language (`retention run --lang`), `engine` its engine.backend
    (`retention run --engine`).
    """
    check_month(month)
    cfg = (config if isinstance(config, Config) else load_config(config)).in_language(language).on_engine(engine)
    reader.use(cfg.language)   # the email and any failure notice speak the report's language
    reports_dir = Path(reports_dir or REPORTS_DIR)
    reports_dir.mkdir(parents=True, exist_ok=True)
    log_lines = RunLog()

    def say(line: str) -> None:
        stamped = timestamped(line)
        log_lines.append(stamped)
        progress(stamped)

    if month and if_missing and not force and (reports_dir / month).exists():
        return _existing(reports_dir / month, say)
    if month:
        _refuse_existing(reports_dir / month, force)
    lock = _lock(reports_dir, month) if month else None
    with _signals_raise() as interrupted:
        try:
            with RunKernel(kernel_name, notebooks_dir, log_lines) as kernel:
                return _run_locked(cfg, month, reports_dir, force, notebooks_dir, kernel, say, log_lines,
                                   email or [], env, if_missing, heartbeat_s, lock, interrupted)
        finally:
            log_lines.close()
            if lock is not None:
                lock.close()


def _run_locked(cfg, month, reports_dir, force, notebooks_dir, kernel, say, log_lines, email, env,
                if_missing, heartbeat_s, lock, interrupted) -> RunResult:
    started = datetime.now()
    stamp = started.strftime("%Y%m%d-%H%M%S")
    _mark_leftovers(reports_dir, say)
    tmp = reports_dir / f"{TMP_PREFIX}{stamp}-{os.getpid()}"
    now = data_end_of(cfg)
    try:
        say(text.say("console.loading", name=cfg.name, file=cfg.path.name))
        kernel.start(notebooks(notebooks_dir))   # it imports the notebooks' libraries while the data loads
        run = prepare_run(cfg, month, tmp, now=now, say=lambda message: say(text.render(message)))
        log_lines.open(tmp)   # from here on run.log grows line by line: a failed run keeps what it logged
        # what looks wrong in the data: changed months of history, suspect ids, outliers, gaps
        for message in quality.console_messages(run.read("data_quality"), cfg.currency):
            say(text.render(message))
        release_engines()   # the notebooks' kernels scan with their own connections
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    month = str(run.month)
    final = reports_dir / month
    try:
        if if_missing and not force and final.exists():
            shutil.rmtree(tmp, ignore_errors=True)
            return _existing(final, say)
        _refuse_existing(final, force)
        if lock is None:
            lock = _lock(reports_dir, month)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        return _execute(cfg, run, tmp, final, reports_dir, stamp, started, now, notebooks_dir, kernel,
                        say, log_lines, email, env, heartbeat_s, interrupted)
    finally:
        lock.close()


def _execute(cfg, run, tmp, final, reports_dir, stamp, started, now, notebooks_dir, kernel, say,
             log_lines, email, env, heartbeat_s, interrupted) -> RunResult:
    month = str(run.month)
    stage_log = [{"name": "prepare", "notebook": None, "seconds": None}]
    _check_stage(stages.STAGE_BY_NAME["prepare"], run, tmp, None, reports_dir, stamp, say, log_lines, cfg, env)
    books = notebooks(notebooks_dir)
    params = {"month": month, "config": str(cfg.path), "run_dir": str(tmp.resolve())}
    timeout = cfg.setting("cell_timeout_s")
    book = None
    try:
        for i, book in enumerate(books, 1):
            t0 = time.monotonic()
            say(text.say("console.notebook", i=i, n=len(books), notebook=book.name))
            try:
                with _heartbeat(book.name, say, heartbeat_s) as tracker:
                    kernel.execute(book, tmp / book.name, params, timeout, tracker)
            except pm.PapermillExecutionError as exc:   # a full disk under a cell is the machine's fault
                fail(f"{book.name}, cell {exc.exec_count}", f"{exc.ename}: {exc.evalue}", tmp, reports_dir,
                     month, stamp, say, log_lines, cfg, env, book.name, exc.exec_count,
                     machine=notebook_fault(exc.ename, exc.evalue, tmp))
            except CellTimeoutError as exc:
                fail(f"{book.name}", f"a cell ran longer than {timeout} s (settings.cell_timeout_s): {exc}",
                     tmp, reports_dir, month, stamp, say, log_lines, cfg, env, book.name, None)
            except DeadKernelError as exc:
                fail(f"{book.name}", f"the notebook's kernel died: {exc}", tmp, reports_dir, month, stamp,
                     say, log_lines, cfg, env, book.name, None)
            seconds = time.monotonic() - t0
            stage = stages.stage_of_notebook(book.name)
            _check_stage(stage, run, tmp, book.name, reports_dir, stamp, say, log_lines, cfg, env)
            stage_log.append({"name": stage.name if stage else book.stem, "notebook": book.name,
                              "seconds": round(seconds, 1)})
            say(text.say("console.notebook_done", i=i, n=len(books), notebook=book.name, seconds=seconds)
                + _unavailable_note(run, stage))
        book = None
        contradictions = consistency.check(tmp)
        if contradictions:   # a number that contradicts another is a bug: nothing is published
            fail("the month's numbers", "they contradict each other: " + "; ".join(contradictions), tmp,
                 reports_dir, month, stamp, say, log_lines, cfg, env, None, None)
        report = export_html(tmp / REPORT_NOTEBOOK, run.path("report_html"), title=text.say("report.title", month=month),
                             language=cfg.language)
        say(text.say("console.report_written", mb=report.stat().st_size / 1e6))
        unavailable = run.unavailable_parts()
        manifest = build_manifest(run, cfg, stage_log, started, now, unavailable)
        run.path("manifest").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        compose.write_email(tmp, cfg, month, email, env=env, unavailable=unavailable)
        store_emails.write_emails(tmp, cfg, month, env=env, log=say)
    except RunInterrupted as exc:
        where = f"during {book.name}" if book else "while publishing"
        failed = failed_folder(tmp, reports_dir, month, stamp)
        say(f"INTERRUPTED by {exc} {where}; nothing was published")
        keep_failure(failed, f"Run for {month} was interrupted by {exc} {where}.\n", log_lines)
        notify(cfg, month, failed, book.name if book else None, None, f"interrupted by {exc}", env, say)
        exc.failed_dir = failed
        raise
    except RunFailed:
        raise
    except BaseException as exc:
        where = book.name if book else "publishing"
        fault = machine_fault(exc, fallback=tmp)
        if fault is not None:   # a full disk, a folder not writable: one line and exit 7, not a traceback
            fail(where, str(fault), tmp, reports_dir, month, stamp, say, log_lines, cfg, env,
                 book.name if book else None, None, machine=fault)
        failed = failed_folder(tmp, reports_dir, month, stamp)   # a bug: its traceback follows
        say(f"FAILED in {where}: {type(exc).__name__}: {exc}")
        keep_failure(failed, f"Run for {month} failed in {where}\n{type(exc).__name__}: {exc}\n", log_lines)
        raise
    # the console gets these lines from the caller (`retention run` prints them last, before the report's path)
    log_lines += [timestamped(line) for line in unavailable_summary(unavailable)]
    write_log(tmp, log_lines)
    _publish(tmp, final)
    _point_notebooks_at(final)
    # only a published run's forecasts, lists and list results enter the ledger
    for key, book in (("forecasts", "forecasts"), ("warnings", "warnings"), ("intervals", "intervals"),
                      ("list_members", "lists"), ("list_results", "list_results")):
        if (final / stages.artifact(key).path).exists():
            ledger.record(final / stages.artifact(key).path, ledger.ledger_path(final.parent, cfg.slug, book), book)
    try:
        compose.send_email(final, cfg, month, env=env, log=say)
        store_emails.send_emails(final, cfg, month, env=env, log=say)
    except smtp.MailError as exc:
        exc.month = month  # for the retry hint
        raise
    finally:
        write_log(final, log_lines)
    return RunResult(month, final, final / stages.artifact("report_html").path, unavailable)


def _unavailable_note(run, stage) -> str:
    if stage is None:
        return ""
    gone = [p.name for p in stage.parts if run.reason(p.name)]
    return text.say("console.parts_unavailable", n=len(gone), parts=gone) if gone else ""


def _check_stage(stage, run, tmp, notebook, reports_dir, stamp, say, log_lines, cfg, env) -> None:
    """Every required artifact of the stage exists, unless its part was declared unavailable."""
    if stage is None:
        return
    for part in stage.parts:
        if run.reason(part.name):
            continue
        missing = [a for a in part.artifacts if a.required and not run.has(a.key)
                   and not (a.key in _OPTIONAL_TABLES and a.key not in cfg.tables)]
        if missing:
            names = ", ".join(f"{a.path} ({a.key})" for a in missing)
            fail(notebook or "preparation", f"stage '{stage.name}' finished without writing {names} of its part "
                 f"'{part.name}', and did not declare that part unavailable", tmp, reports_dir, str(run.month),
                 stamp, say, log_lines, cfg, env, notebook, None)


_OPTIONAL_TABLES = ("customers", "surveys", "complaints", "campaigns")


# ---------------------------------------------------------------- the heartbeat

class _heartbeat:
    """Every `every` seconds, say which cell of a long notebook is running."""

    def __init__(self, name: str, say: Callable[[str], None], every: float):
        self.name, self.say, self.every = name, say, every
        self.tracker, self.stop = Tracker(), threading.Event()

    def __enter__(self) -> Tracker:
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self._beat, daemon=True)
        self.thread.start()
        return self.tracker

    def _beat(self) -> None:
        while not self.stop.wait(self.every):
            minutes, seconds = divmod(int(time.monotonic() - self.t0), 60)
            self.say(f"    {self.name} still running: cell {self.tracker.cell} of {self.tracker.cells}, "
                     f"{minutes} min {seconds:02d} s")

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


# ---------------------------------------------------------------- publishing

def _existing(final: Path, say: Callable[[str], None]) -> RunResult:
    say(text.say("console.already_published", month=final.name))
    return RunResult(final.name, final, final / stages.artifact("report_html").path)


def _refuse_existing(final: Path, force: bool) -> None:
    if final.exists() and not force:
        raise RunRefused(f"{final} already exists; use --force to replace it")


def _point_notebooks_at(folder: Path) -> None:
    """The executed notebooks' run_dir parameter names the published folder, not the temporary
    one, so a notebook re-opened in JupyterLab finds its month (and works on a lab copy of it)."""
    for book in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(book, as_version=4)
        for cell in nb.cells:
            if "injected-parameters" in cell.metadata.get("tags", []):
                cell.source = re.sub(r'^run_dir = .*$', f"run_dir = {json.dumps(str(folder))}", cell.source,
                                     flags=re.M)
        nb.metadata.get("papermill", {}).get("parameters", {})["run_dir"] = str(folder)
        nbformat.write(nb, book)


def _publish(tmp: Path, final: Path) -> None:
    """Swap the finished folder into place; the old one is removed only after the swap."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)
