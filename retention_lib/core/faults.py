"""Faults of the machine or its setup, not of the data or the code: a configured file that is missing or
cannot be read, a folder that cannot be written, a full disk, a damaged data store that cannot be
rebuilt. `retention run` ends on one with exit 7 and one line, `error: <path>: <what> — <the fix>`.

`machine_fault` recognises one in an exception: an OSError by its errno (also pyarrow's and DuckDB's,
which carry it only in their text), or a notebook's failing OSError by its name and text.
"""
from __future__ import annotations

import builtins
import errno
import os
import re
from pathlib import Path


class MachineFault(RuntimeError):
    """A fault of the machine or its setup: the path, what is wrong with it, and the fix."""

    def __init__(self, path: str | Path, what: str, fix: str):
        super().__init__(f"{path}: {what} — {fix}")
        self.path, self.what, self.fix = str(path), what, fix


def _user() -> str:
    try:
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return f"uid {os.geteuid()}"


_ACCESS = ("permission denied", "give the user that runs retention ({user}) access to it (ls -ld {folder}), "
                                "or choose another folder with --reports-dir or RETENTION_STORE_DIR")
# errno -> (what, fix); {folder} is the folder of the path, {user} who runs retention. A missing file
# (ENOENT) is not here: it is the machine's fault only where the code says so (a configured table file,
# store.MachineFault); anywhere else it is a bug.
FAULTS = {
    errno.ENOSPC: ("no space left on the device", "free space on the disk that holds it (df -h {folder}), "
                                                  "then run again"),
    errno.EDQUOT: ("the disk quota is exceeded", "free space or raise the quota of {user} (quota -s), then run again"),
    errno.EROFS: ("the file system is read-only", "mount it read-write, or point --reports-dir or "
                                                  "RETENTION_STORE_DIR at a writable folder"),
    errno.EACCES: _ACCESS,
    errno.EPERM: _ACCESS,
    errno.EIO: ("input/output error", "the disk or the network share may be failing: check the system log "
                                      "(dmesg) and the disk, then run again"),
    errno.ESTALE: ("stale file handle of a network share", "remount the share, then run again"),
    errno.EMFILE: ("too many open files", "raise the limit of open files (ulimit -n), then run again"),
    errno.ENFILE: ("too many open files on the machine", "raise fs.file-max or stop other programs, then run again"),
}
ERRNO_IN_TEXT = re.compile(r"\[errno (\d+)\]", re.I)
PATH_IN_TEXT = re.compile(r"""['"](/[^'"]+)['"]""")


def _errno_of(exc: BaseException) -> int | None:
    number = getattr(exc, "errno", None)
    if isinstance(number, int):
        return number
    found = ERRNO_IN_TEXT.search(str(exc))
    if found:
        return int(found[1])
    text = str(exc).lower()   # DuckDB says only "No space left on device"
    return next((n for n in FAULTS if os.strerror(n).lower() in text), None)


def fault_of_errno(number: int | None, path: str | Path | None,
                   fallback: str | Path | None = None) -> MachineFault | None:
    """The machine fault of an errno at `path` (else `fallback`), or None when the errno is not one."""
    if number not in FAULTS:
        return None
    path = Path(path or fallback or ".")
    what, fix = FAULTS[number]
    folder = path if path.is_dir() else path.parent
    while not folder.exists() and folder != folder.parent:   # df and ls need a folder that is there
        folder = folder.parent
    return MachineFault(path, what, fix.format(folder=folder, user=_user()))


def machine_fault(exc: BaseException, fallback: str | Path | None = None) -> MachineFault | None:
    """The machine fault `exc` is, or None (a bug, bad data). `fallback` names the path when the error
    does not (a write that fails on a full disk names no file)."""
    if isinstance(exc, MachineFault):
        return exc
    if isinstance(exc, OSError) or type(exc).__module__.lstrip("_").split(".")[0] in ("duckdb", "pyarrow"):
        path = getattr(exc, "filename", None)
        if path is None:
            found = PATH_IN_TEXT.search(str(exc))
            path = found[1] if found else None
        return fault_of_errno(_errno_of(exc), path, fallback)
    return None


OS_ERRORS = {name for name, cls in vars(builtins).items() if isinstance(cls, type) and issubclass(cls, OSError)} \
    | {"ArrowIOError", "IOException"}


def notebook_fault(ename: str, evalue: str, fallback: str | Path | None = None) -> MachineFault | None:
    """The machine fault of a notebook's failing cell (papermill gives its exception's name and text)."""
    if ename not in OS_ERRORS:
        return None
    found = ERRNO_IN_TEXT.search(evalue or "")
    number = int(found[1]) if found else next((n for n in FAULTS if os.strerror(n).lower() in (evalue or "").lower()),
                                              None)
    path = PATH_IN_TEXT.search(evalue or "")
    return fault_of_errno(number, path[1] if path else None, fallback)
