"""A run's notebooks executed under papermill, one after another, in one kernel.

A kernel's start and the libraries' imports cost seconds per notebook (a Spark session tens of
seconds), and a month runs eight. So the run starts one kernel and, before each notebook after the
first, gives it a new session: the previous notebook's names, figures, working folder and DuckDB
connection go, the execution count starts again at 1, and only imported modules and a Spark session
stay. Each notebook is still executed and saved on its own, and runs alone in JupyterLab as it does
here (tests/e2e/test_notebooks.py runs each in a kernel of its own).
"""
from __future__ import annotations

import ast
import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

import nbformat
import papermill as pm
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from retention_lib.report import notebook_text

ENGINE = "retention"
KERNEL_OUTPUT = "kernel-output.txt"

# Run in the kernel before each notebook after the first. The reset comes last: it also forgets the
# function, so the notebook finds no name it did not define.
NEW_SESSION = """
def _new_session(cwd):
    import gc, os, sys
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if "retention_lib.data.engine" in sys.modules:
        sys.modules["retention_lib.data.engine"].release(keep_spark=True)
    os.chdir(cwd)
    get_ipython().reset(new_session=True)
    gc.collect()
_new_session({cwd!r})
"""


# Run in the kernel as soon as it starts, while the run validates its data: the notebooks' imports.
# A module that does not import is left to the notebook that asks for it, to fail there.
WARM_UP = """
def _warm_up(modules):
    import importlib
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
_warm_up({modules!r})
"""


def imported_modules(books: list[Path]) -> list[str]:
    """The modules the notebooks' code cells import (`from a import b` counts a.b, which may be a module)."""
    found: dict[str, None] = {}
    for book in books:
        for cell in nbformat.read(book, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:   # IPython magics: the notebook itself says what is wrong
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(dict.fromkeys(alias.name for alias in node.names))
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found[node.module] = None
                    found.update(dict.fromkeys(f"{node.module}.{alias.name}" for alias in node.names))
    return list(found)


class Tracker:
    """Which cell of which notebook is running, for the heartbeat."""

    def __init__(self):
        self.cell, self.cells = 0, 0


class RunKernel:
    """The one kernel of a run: `execute` runs a notebook in it; leaving the `with` shuts it down."""

    def __init__(self, kernel_name: str, cwd: Path, log_lines: list[str]):
        self.cwd, self.log_lines, self.executed = Path(cwd), log_lines, 0
        self._warming = None   # (client, message id) of the warm-up, until the first notebook
        self._private = tempfile.TemporaryDirectory(prefix="retention-kernel-")
        self.folder = Path(self._private.name)
        self.km = _ipc_kernel_manager(self.folder)(kernel_name=kernel_name)

    def __enter__(self) -> RunKernel:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        # an interrupted notebook's waits resume in the shutdown and log that the kernel died: into run.log
        try:
            with _execution_logs_into(self.log_lines):
                if self._warming:
                    self._warming[0].stop_channels()
                if self.km.has_kernel:   # a failed notebook's kernel may be busy: no goodbye then
                    run_sync(self.km.shutdown_kernel)(now=exc_type is not None)
        finally:
            self._private.cleanup()

    def start(self, books: list[Path]) -> None:
        """Start the kernel now and let it import what `books` import, while the run prepares its data."""
        run_sync(self._start)(WARM_UP.format(modules=imported_modules(books)) + NEW_SESSION.format(cwd=str(self.cwd)))

    async def _start(self, code: str) -> None:
        await self.km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"], cwd=str(self.cwd))
        kc = self.km.client()
        kc.start_channels(iopub=False, stdin=False, hb=False, control=False)   # a heartbeat thread would
        self._warming = kc, kc.execute(code, silent=True, store_history=False)  # race a failed run's exit

    def execute(self, book: Path, target: Path, params: dict, timeout: int, tracker: Tracker) -> None:
        """One notebook under papermill; on failure the kernel's own output of this notebook goes to
        run.log only."""
        output = self.folder / KERNEL_OUTPUT
        start = output.stat().st_size if output.exists() else 0
        with _execution_logs_into(self.log_lines):
            try:
                if self._warming:
                    run_sync(self._warmed)(timeout)
                elif self.executed:
                    run_sync(self._new_session)()
                self.executed += 1
                pm.execute_notebook(str(book), str(target), parameters=params, cwd=str(self.cwd),
                                    engine_name=ENGINE, progress_bar=False, log_output=False,
                                    execution_timeout=timeout, km=self.km, tracker=tracker)
            except BaseException:
                if output.exists() and output.stat().st_size > start:
                    with output.open("rb") as f:
                        f.seek(start)
                        tail = f.read().decode("utf-8", errors="replace").splitlines()[-40:]
                    self.log_lines += [f"    kernel: {line}" for line in tail]
                raise

    async def _warmed(self, timeout: int) -> None:
        kc, msg_id = self._warming
        try:
            while True:
                reply = await kc.get_shell_msg(timeout=timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        finally:
            kc.stop_channels()
            self._warming = None
        _check(reply, "import the notebooks' libraries")

    async def _new_session(self) -> None:
        kc = self.km.client()
        kc.start_channels(stdin=False, hb=False, control=False)
        try:
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive(NEW_SESSION.format(cwd=str(self.cwd)), silent=True,
                                                 store_history=False, timeout=60, output_hook=lambda msg: None)
        finally:
            kc.stop_channels()
        _check(reply, "start a new session for the next notebook")


def _check(reply: dict, what: str) -> None:
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the kernel could not {what}: {reply['content'].get('ename')}: "
                           f"{reply['content'].get('evalue')}")


class _Engine(NBClientEngine):
    """papermill's nbclient engine on the run's kernel, counting cells for the heartbeat."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, tracker: Tracker | None = None,
                                 km=None, **kwargs):
        notebook_text.localise(nb_man.nb)   # the markdown in the run's language (run_month made it the reader's)
        if tracker is not None:
            tracker.cells = sum(c.cell_type == "code" for c in nb_man.nb.cells)
            start = nb_man.cell_start

            def cell_start(cell, cell_index=None, **kw):
                if cell.cell_type == "code":
                    tracker.cell += 1
                return start(cell, cell_index, **kw)
            nb_man.cell_start = cell_start
        client = PapermillNotebookClient(nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
                                         kernel_name=kernel_name, log=logging.getLogger("papermill"),
                                         log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        try:
            return client.execute()
        finally:   # the client does not own the run's kernel, so it leaves its channels open
            if client.kc is not None:
                client.kc.stop_channels()


papermill_engines.register(ENGINE, _Engine)


# Libraries that log while they execute a notebook. Without a handler, Python prints their warnings
# and errors to stderr (logging's last resort): a kernel killed by SIGTERM would put nbclient's
# "Kernel died" traceback beside the run's one line. They go to run.log instead.
EXECUTION_LOGGERS = ("nbclient", "papermill", "jupyter_client", "traitlets")


class _IntoRunLog(logging.Handler):
    def __init__(self, lines: list[str]):
        super().__init__(logging.WARNING)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"    {record.name}: {record.getMessage()}")


@contextmanager
def _execution_logs_into(lines: list[str]):
    handler = _IntoRunLog(lines)
    loggers = [logging.getLogger(name) for name in EXECUTION_LOGGERS]
    kept = [(lg.propagate, lg.handlers[:]) for lg in loggers]
    for lg in loggers:
        lg.handlers, lg.propagate = [handler], False
    try:
        yield
    finally:
        for lg, (propagate, handlers) in zip(loggers, kept):
            lg.handlers, lg.propagate = handlers, propagate


def _ipc_kernel_manager(folder: Path):
    """Kernels talk over socket files in a private folder, not TCP ports on localhost that
    any local user could reach (ipykernel warns about TCP without encryption). Their own
    stdout and stderr (a KeyboardInterrupt traceback when the run is interrupted, say) go to
    a file there, not to the console of the run."""
    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(transport="ipc", ip=str(folder / "kernel"), **kwargs)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            output = open(folder / KERNEL_OUTPUT, "ab")
            try:
                kw.update(stdout=output, stderr=output)
                await super()._async_launch_kernel(kernel_cmd, **kw)
            finally:
                output.close()  # the kernel holds its own descriptor
    return IPCKernelManager
