"""What keeps a month's run safe beside other runs and after a crash: one run per reports folder
and month (a lock file that goes with the process), SIGTERM and SIGINT turned into
RunInterrupted, and folders left by killed runs marked <month>.failed-<time>.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import signal
import socket
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable

from retention_lib.core import stages

TMP_PREFIX = ".tmp-"


class RunLocked(RuntimeError):
    """Another run of the same month in the same reports folder is in progress."""


class RunInterrupted(BaseException):
    """SIGINT or SIGTERM arrived during the run (a BaseException, so no library code swallows it)."""

    def __init__(self, signum: int, failed_dir: Path | None = None):
        super().__init__(signal.Signals(signum).name)
        self.signum, self.failed_dir = signum, failed_dir


class _signals_raise:
    """SIGTERM (and SIGINT) raise RunInterrupted in the main thread for the run's duration."""

    def __enter__(self):
        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                self.previous[signum] = signal.signal(signum, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        # The cell being run dies with its kernel; asyncio would print its task's never-retrieved
        # DeadKernelError as a traceback at exit, after the one line that says the run was interrupted.
        logging.getLogger("asyncio").disabled = True
        raise RunInterrupted(signum)

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


class _Lock:
    def __init__(self, fh, path: Path):
        self.fh, self.path = fh, path

    def close(self) -> None:
        if not self.fh.closed:
            self.path.unlink(missing_ok=True)  # while still holding it: a newcomer makes a new file
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


def _lock(reports_dir: Path, month: str) -> _Lock:
    """One run per reports folder and month; the lock goes with the process, even if killed."""
    path = reports_dir / f".lock-{month}"
    while True:
        fh = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise RunLocked(f"another run of {month} is in progress in {reports_dir} ({holder}); "
                            f"wait for it to finish (lock file {path})") from None
        try:  # the holder we waited on may have removed the file: lock the one that is there now
            if os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        fh.close()
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()} on {socket.gethostname()}, started {datetime.now():%Y-%m-%d %H:%M:%S}")
    fh.flush()
    return _Lock(fh, path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mark_leftovers(reports_dir: Path, say: Callable[[str], None]) -> None:
    """Folders left by runs that were killed (their process is gone) become <month>.failed-*."""
    for tmp in sorted(reports_dir.glob(f"{TMP_PREFIX}*")):
        m = re.match(rf"{re.escape(TMP_PREFIX)}(\d{{8}}-\d{{6}})-(\d+)$", tmp.name)
        if not tmp.is_dir() or not m or _alive(int(m.group(2))):
            continue
        prepared = tmp / stages.RUN_FILES["prepared"].path
        month = json.loads(prepared.read_text(encoding="utf-8"))["month"] if prepared.exists() else None
        if month is None:  # killed while loading: nothing to diagnose in it
            shutil.rmtree(tmp, ignore_errors=True)
            say(f"Removed {tmp.name}, left by a run (pid {m.group(2)}) killed while loading its data")
            continue
        failed = _fail_folder(tmp, reports_dir, month, m.group(1))
        (failed / "FAILED.txt").write_text(
            f"Run for {month} (pid {m.group(2)}) was killed before it finished; found and marked by a later "
            "run. Nothing was published from it.\n", encoding="utf-8")
        say(f"Marked {tmp.name}, left by a killed run (pid {m.group(2)}), as {failed.name}")
    for old in reports_dir.glob(".old-*"):  # a swap interrupted after its first rename
        month = old.name.split("-", 1)[1].rsplit("-", 1)[0]
        if not (reports_dir / month).exists():
            old.rename(reports_dir / month)
        else:
            shutil.rmtree(old, ignore_errors=True)


def _fail_folder(tmp: Path, reports_dir: Path, month: str, stamp: str) -> Path:
    failed = reports_dir / f"{month}.failed-{stamp}"
    tmp.rename(failed)
    return failed
