"""Peak resident memory of a block of code, DuckDB's allocations included.

tracemalloc only sees Python's allocator, and DuckDB (the summary) allocates outside it, so
we use the kernel's RSS high-water mark instead: on Linux it is reset before the block
(/proc/self/clear_refs) and read after it (VmHWM), which catches short spikes exactly.
Elsewhere a thread samples RSS with psutil every millisecond. Freed heap memory is handed
back to the OS first (malloc_trim) so that earlier steps do not hide this one's growth.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
from contextlib import contextmanager

MB = 1e6

try:
    _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):
    _trim = None


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def _reset_high_water() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        _status_kb("VmHWM:")
        return True
    except OSError:
        return False


METHOD = "RSS high-water mark (/proc, reset per run)" if _reset_high_water() else "RSS sampled every 1 ms (psutil)"


@contextmanager
def peak_rss():
    """Yields a dict whose "mb" is set, on exit, to the peak RSS above the RSS at entry."""
    gc.collect()
    if _trim is not None:
        _trim(0)
    result: dict[str, float] = {}
    if _reset_high_water():
        base = _status_kb("VmRSS:")
        yield result
        result["mb"] = max(_status_kb("VmHWM:") - base, 0) * 1024 / MB
        return
    import psutil

    proc, peak, done = psutil.Process(), [0], threading.Event()
    base = proc.memory_info().rss

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.001)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        done.set()
        thread.join()
        result["mb"] = max(max(peak[0], proc.memory_info().rss) - base, 0) / MB
