"""run.log, the run's timestamped progress: written line by line as the run goes once the run has its
folder, so a run that fails on a full disk keeps what it logged before; written whole (or not at all)
when it is written at once.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from retention_lib.core import stages


def write_atomic(path: Path, text: str) -> None:
    """The whole text or nothing: a file cut short by a full disk is never left under its name."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def write_log(folder: Path, lines: list[str]) -> None:
    """run.log: a RunLog writing into the folder has every line in it already; other lines are written whole."""
    if isinstance(lines, RunLog) and lines.writing:
        return
    write_atomic(folder / stages.RUN_FILES["run_log"].path, "\n".join(lines) + "\n")


class RunLog(list):
    """The run's log lines. Once the run has its folder (`open`), each line is also appended to its run.log
    as it comes (under a lock: the heartbeat and the notebooks' loggers log from their threads), so a run
    that fails on a full disk keeps in run.log what it logged before. The file goes with its folder when
    that is renamed (<month>.failed-<time>, or the published month)."""

    def __init__(self):
        super().__init__()
        self._fd, self._lock, self.error = None, threading.Lock(), None

    @property
    def writing(self) -> bool:
        return self._fd is not None

    def open(self, folder: Path) -> None:
        try:
            self._fd = os.open(folder / stages.RUN_FILES["run_log"].path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                               | os.O_APPEND, 0o644)
        except OSError as exc:
            self.error = exc
            return
        self._write(list(self))

    def append(self, line: str) -> None:
        super().append(line)
        self._write([line])

    def extend(self, lines) -> None:
        lines = list(lines)
        super().extend(lines)
        self._write(lines)

    def __iadd__(self, lines):
        self.extend(lines)
        return self

    def _write(self, lines: list[str]) -> None:
        with self._lock:
            if self._fd is None or not lines:
                return
            data = ("\n".join(lines) + "\n").encode("utf-8")
            try:
                while data:
                    data = data[os.write(self._fd, data):]
            except OSError as exc:   # the disk is full: what was written stays; the rest is in memory only
                self.error = exc
                self._close()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.close(fd)
            except OSError:
                pass
