"""What a failed run leaves behind: its folder renamed <month>.failed-<time>, a FAILED.txt written whole
or not at all, its run.log, and the failure notice to operations; RunFailed carries it to the caller
(`machine`: the machine's fault it failed on, for exit 7).
"""
from __future__ import annotations

from pathlib import Path

from retention_lib.app import run_log
from retention_lib.app.safety import _fail_folder
from retention_lib.core.faults import MachineFault, machine_fault
from retention_lib.delivery import compose, smtp


class RunFailed(RuntimeError):
    """The run failed; its folder is kept as <month>.failed-<time>. `machine`: the fault of the machine
    it failed on (a full disk: exit 7), else a bug; `unwritten`: why its FAILED.txt could not be written."""

    def __init__(self, message: str, failed_dir: Path, notebook: str | None = None, cell: int | None = None,
                 machine: MachineFault | None = None, unwritten: str | None = None):
        super().__init__(message)
        self.failed_dir, self.notebook, self.cell = failed_dir, notebook, cell
        self.machine, self.unwritten = machine, unwritten


def fail(where: str, error: str, tmp, reports_dir, month, stamp, say, log_lines, cfg, env, notebook, cell,
         machine: MachineFault | None = None):
    """Keep the failed run (folder, FAILED.txt, run.log), send the notice, and raise RunFailed."""
    failed = failed_folder(tmp, reports_dir, month, stamp)
    if machine is not None:   # it names the folder as the run knew it, before it became <month>.failed-<time>
        machine = _moved(machine, tmp, failed)
        error = str(machine)
    say(f"FAILED in {where}: {error}")
    unwritten = keep_failure(failed, f"Run for {month} failed in {where}\n{error}\n"
                             + (f"Executed notebook: {failed / notebook}\n"
                                if notebook and (failed / notebook).exists() else ""), log_lines)
    notify(cfg, month, failed, notebook, cell, error, env, say)
    raise RunFailed(f"{where}: {error}", failed, notebook, cell, machine, unwritten)


def failed_folder(tmp: Path, reports_dir: Path, month: str, stamp: str) -> Path:
    """The failed run's folder, <month>.failed-<time>; the temporary one where it cannot be renamed (a
    read-only reports folder: the next run marks it)."""
    try:
        return _fail_folder(tmp, reports_dir, month, stamp)
    except OSError:
        return tmp


def _moved(fault: MachineFault, tmp: Path, failed: Path) -> MachineFault:
    def moved(text: str) -> str:
        for before in dict.fromkeys((str(tmp.resolve()), str(tmp))):
            text = text.replace(before, str(failed))
        return text
    return MachineFault(moved(fault.path), fault.what, moved(fault.fix))


def keep_failure(failed: Path, text: str, log_lines: list[str]) -> str | None:
    """FAILED.txt in the failed run's folder, and its run.log with every line logged before: never an
    error of its own (the disk may be full). None, or why FAILED.txt could not be written."""
    try:
        run_log.write_log(failed, log_lines)
    except OSError:
        pass   # run.log keeps the lines it was given as they came (run_log.RunLog)
    path = failed / "FAILED.txt"
    try:
        run_log.write_atomic(path, text)
    except OSError as exc:
        fault = machine_fault(exc, fallback=failed)
        return f"its {path.name} could not be written: {fault.what if fault else exc}"
    return None


def notify(cfg, month, failed, notebook, cell, error, env, say) -> None:
    """The failure notice to operations, when configured; a notice that cannot be written is said, not raised."""
    try:
        compose.failure_notice(cfg, month, failed, notebook, cell, error, env=env, log=say)
    except (OSError, smtp.MailError) as exc:
        say(f"failure notice not written: {exc}")
